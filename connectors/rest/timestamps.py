"""Timestamps as provincial APIs write them: a record's modification time, and `since`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

# Provincial systems run on Vietnamese local time and often omit the offset.
VIETNAM = timezone(timedelta(hours=7), "ICT")

SINCE_FORMATS = ("iso", "dd/mm/yyyy", "epoch")

_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")

# Epoch seconds pass this only after the year 5000, so a larger number is in milliseconds
# (what JavaScript back ends send).
_EPOCH_MS_ABOVE = 100_000_000_000


def parse_timestamp(value: Any) -> datetime:
    """An aware datetime from ISO 8601, `dd/mm/yyyy [HH:MM[:SS]]` or epoch seconds (or ms).

    A value without an offset is Vietnamese local time. Raises ValueError on anything else.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > _EPOCH_MS_ABOVE else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a date or time")
    text = value.strip()
    for fmt in _DAY_FIRST:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=VIETNAM)
        except ValueError:
            continue
    # Python 3.10's fromisoformat does not know the "Z" suffix.
    iso = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither ISO 8601 nor dd/mm/yyyy [HH:MM[:SS]]"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def format_since(since: datetime, fmt: str) -> str:
    """`since` as the source expects it in its query string.

    Written in Vietnamese time, so a server that drops the offset still compares the right
    instant; truncation only moves it earlier, which re-reads a little and misses nothing.
    """
    if since.tzinfo is None:
        raise ValueError(f"since {since.isoformat()} is naive; pass a timezone-aware datetime")
    if fmt == "epoch":
        return str(int(since.timestamp()))
    local = since.astimezone(VIETNAM)
    if fmt == "dd/mm/yyyy":
        return local.strftime("%d/%m/%Y")
    if fmt == "iso":
        return local.isoformat(timespec="seconds")
    raise ValueError(f"unknown since format {fmt!r}; known: {', '.join(SINCE_FORMATS)}")
