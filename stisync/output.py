"""Printing results for a person (tables) or a program (JSON, CSV), and progress on a terminal."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from stisync.texts import t, word


def localize(data: Any, tz: str) -> Any:
    """Every datetime in `data` as ISO 8601 text in time zone `tz` (the province's clock)."""
    zone = ZoneInfo(tz)
    if isinstance(data, datetime):
        return data.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(data, dict):
        return {k: localize(v, tz) for k, v in data.items()}
    if isinstance(data, list):
        return [localize(v, tz) for v in data]
    return data


def table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], out: TextIO | None = None
) -> None:
    out = out or sys.stdout  # looked up now, so that a redirected stdout is followed
    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip() + "\n")


def as_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")


def as_csv(rows: list[dict[str, Any]], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if not rows:
        return
    fields = list(rows[0])
    w = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                for k, v in r.items()
            }
        )


def counts_text(counts: dict[str, Any], lang: str) -> str:
    """A run's counts in words of `lang`, zeros left out: "tạo mới 19, không hợp lệ 1"."""
    text = ", ".join(f"{word('count', k, lang)} {v}" for k, v in counts.items() if v)
    return text or t("nothing", lang)


class Progress:
    """Records read and sent, redrawn in place on a terminal; silent when not a TTY."""

    def __init__(self, source: str, stream: TextIO = sys.stderr, *, lang: str = "vi"):
        self.source = source
        self.stream = stream
        self.lang = lang
        self.enabled = stream.isatty()
        self._last = 0.0
        self._width = 0

    def __call__(self, stage: str, counts: Counter[str]) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        sent = counts["created"] + counts["updated"] + counts["unchanged"] + counts["rejected"]
        line = t(
            "progress",
            self.lang,
            source=self.source,
            read=counts["fetched"],
            sent=sent,
            invalid=counts["invalid"],
        )
        # Padded so that a shorter line covers the longer one before it.
        self._width = max(self._width, len(line) + 3)
        self.stream.write(f"\r{line.ljust(self._width)}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
