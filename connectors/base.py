"""The connector contract: what every provincial source yields, and the class it implements."""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar
from weakref import WeakSet

from connectors.errors import SourceConfigError, SourceUnavailable

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class SourceRecord:
    """One task record as the source holds it, before any mapping.

    `payload` is read-only: a spreadsheet row as {header text: cell value}, or a JSON object.
    `origin` says where it was found, for messages an admin can act on: for a spreadsheet
    {"file", "sheet", "row", "columns": {header: column letter}};
    for an API {"url", "page", "index"}.
    """

    source: str
    record_id: str
    modified_at: datetime | None
    payload: Mapping[str, Any]
    deleted: bool = False
    origin: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if self.modified_at is not None and self.modified_at.tzinfo is None:
            raise ValueError(f"{self.source}: modified_at of record {self.record_id!r} is naive")
        if not isinstance(self.payload, MappingProxyType):
            object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))
        if not isinstance(self.origin, MappingProxyType):
            object.__setattr__(self, "origin", MappingProxyType(dict(self.origin)))

    def where(self, lang: str = "en") -> str:
        """A short human description of the record's place in its source, in `lang`."""
        return describe_origin(self.origin, lang) or self.source


# The words of a place, in English and as a Vietnamese admin reads them ("" for none).
_PLACE_WORDS: dict[str, dict[str, str]] = {
    "en": {"file": "", "table": "table", "query": "query", "sheet": "sheet", "row": "row",
           "line": "line", "page": "page", "record": "record", "item": "item"},
    "vi": {"file": "tệp", "table": "bảng", "query": "truy vấn", "sheet": "trang tính",
           "row": "dòng", "line": "dòng", "page": "trang", "record": "bản ghi", "item": "mục"},
}


def describe_origin(origin: Mapping[str, Any], lang: str = "en") -> str:
    """Where a record was found, in words that lead an admin to it, in `lang` ("en", or "vi":
    "tệp nv.xlsx, trang tính Danh mục, dòng 12"). Connector errors name their place in
    Vietnamese (`where_vi`) with this too. The origins connectors put, and how each reads in
    English:

    - spreadsheet {"file", "sheet", "row", "columns"}: "nv.xlsx, sheet Danh mục, row 12"
      (a CSV has no sheet; `columns` is for the mapper and is not shown)
    - xml {"file" or "url", "line", "index"}: "tasks.xml, line 120" (the line is where an
      editor takes you; the record's number in the document is shown only without a line)
    - sql {"table" or "query", "row"}: "table nhiem_vu, row 17", 'query "SELECT …", row 3'
      (the row's number in what was read, counted from 1)
    - rest {"url", "page", "index"}: "https://…?page=2, page 2, item 1" (the index in the
      page's JSON list, from 0)
    - oaipmh {"url", "page", "index", "identifier"}: "https://…/oai?verb=ListRecords…, page 3,
      record oai:…" (the record's OAI identifier in place of its index, when there is one)

    Keys not listed here are left out; an empty origin gives "".
    """
    words = _PLACE_WORDS["en" if lang == "en" else "vi"]

    def said(word: str, value: Any) -> str:
        return f"{words[word]} {value}" if words[word] else str(value)

    parts = []
    if origin.get("file"):
        parts.append(said("file", origin["file"]))
    if origin.get("url"):
        parts.append(str(origin["url"]))
    if origin.get("table"):
        parts.append(said("table", origin["table"]))
    if origin.get("query"):
        parts.append(said("query", f'"{origin["query"]}"'))
    if origin.get("sheet"):
        parts.append(said("sheet", origin["sheet"]))
    for key in ("row", "line", "page"):
        if origin.get(key):
            parts.append(said(key, origin[key]))
    if origin.get("identifier"):
        parts.append(said("record", origin["identifier"]))
    elif origin.get("index") is not None and not (origin.get("row") or origin.get("line")):
        parts.append(said("item", origin["index"]))
    return ", ".join(parts)


# How an English place opens when it names no file: (its opening, the word it starts with).
_EN_LEADS = (("table ", "table"), ('query "', "query"))
_EN_COUNTED = re.compile(r", (row|line|page|item) (\d+)(?=,|$)")
_EN_NAMED = re.compile(r", (sheet|record) ")


def place_in(where: str | None, lang: str) -> str:
    """A place `describe_origin` wrote in English (as the state database keeps it, for the
    national agency's staff), said in `lang`: the same as `describe_origin(origin, lang)`
    would have said, for the admin who reads the quarantine or a run's log."""
    if not where or lang == "en":
        return where or ""
    words = _PLACE_WORDS["vi"]
    head, rest = f"{words['file']} ", where
    if where.startswith(("http://", "https://")):
        head = ""
    for lead, key in _EN_LEADS:
        if where.startswith(lead):
            word_en = _PLACE_WORDS["en"][key]
            head, rest = f"{words[key]} ", where[len(word_en) + 1 :]
            break
    rest = _EN_COUNTED.sub(lambda m: f", {words[m.group(1)]} {m.group(2)}", rest)
    rest = _EN_NAMED.sub(lambda m: f", {words[m.group(1)]} ", rest)
    return head + rest


class Connector(ABC):
    """A provincial source. Subclasses validate `options` in `__init__` (no I/O there) and
    implement `records`, a lazy generator: no I/O happens before its first `next()`.

    A connector whose streams hold their own files or connections (opened in the generator,
    released in its `finally`) returns them through `_track`, so that the base `close()` can
    end every read still open; one that holds a session of its own closes it in `close()`.
    """

    kind: ClassVar[str]

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None):
        self.name = name
        self.options = dict(options)
        self.base_dir = base_dir or Path.cwd()
        # Weak: a stream the caller dropped is collected (and closed) without waiting for us.
        self._streams: WeakSet[Generator[SourceRecord, None, None]] = WeakSet()

    @abstractmethod
    def records(self, since: datetime | None = None) -> Iterator[SourceRecord]:
        """Yield the source's records changed at or after `since` (all of them when None)."""

    def close(self) -> None:
        """Release sessions, files and connections: here, end every stream `_track` was given
        that is still open, which runs its `finally` and `with` exits where it stopped."""
        for stream in list(self._streams):
            stream.close()

    # Helpers shared by connectors -------------------------------------------------------------

    def _track(
        self, stream: Generator[SourceRecord, None, None]
    ) -> Generator[SourceRecord, None, None]:
        """`stream`, remembered so that `close()` ends it if it is still open then."""
        self._streams.add(stream)
        return stream

    def _check_since(self, since: datetime | None) -> None:
        """Refuse a naive `since` when `records()` is called, not at its first `next()`: a
        naive time cannot be compared with the source's aware ones."""
        if since is not None and since.tzinfo is None:
            raise ValueError(f"{self.name}: since must be timezone-aware, not {since!r}")

    def option(self, key: str, default: Any = None, *, required: bool = False) -> Any:
        if key in self.options:
            return self.options[key]
        if required:
            raise SourceConfigError(self.name, key, "is required", "là bắt buộc")
        return default

    def path_option(self, key: str, *, required: bool = True) -> Path | None:
        raw = self.option(key, required=required)
        if raw is None:
            return None
        p = Path(str(raw)).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def secret(self, key: str, *, required: bool = False) -> str | None:
        """A secret named by `<key>_env` (an environment variable) or `<key>_file` (a file).

        Secrets are never read from the configuration text itself.
        """
        if key in self.options:
            raise SourceConfigError(
                self.name,
                key,
                f"secrets are not read from the config; use {key}_env or {key}_file",
                f"không dùng được: mật khẩu và khoá bí mật không được ghi trong tệp cấu hình; "
                f"hãy dùng {key}_env hoặc {key}_file",
            )
        env = self.options.get(f"{key}_env")
        if env:
            value = os.environ.get(str(env))
            if value is None:
                raise SourceConfigError(
                    self.name, f"{key}_env", f"environment variable {env} is not set",
                    f"trỏ tới biến môi trường {env}, nhưng biến này chưa được đặt",
                )
            return value
        path = self.options.get(f"{key}_file")
        if path:
            p = Path(str(path)).expanduser()
            p = p if p.is_absolute() else self.base_dir / p
            try:
                return p.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SourceConfigError(
                    self.name, f"{key}_file", f"cannot read {p}: {exc}",
                    f"trỏ tới tệp {p}, tệp này không đọc được: {exc}",
                ) from exc
        if required:
            raise SourceConfigError(self.name, f"{key}_env", f"is required (or {key}_file)",
                                    f"là bắt buộc (hoặc {key}_file)")
        return None


def cannot_open(source: str, file: Path | str, exc: OSError) -> SourceUnavailable:
    """A file that is there but cannot be opened (locked, no permission): try again later. The
    reason is the system's own words."""
    reason = exc.strerror or exc
    return SourceUnavailable(source, f"cannot open {file}: {reason}",
                             f"không mở được tệp {file}: {reason}")


def text_option(source: str, options: Mapping[str, Any], key: str, *,
                strip: bool = True) -> str | None:
    """The text option `key` of a source's `[sources.NAME.connector]` table, stripped unless
    `strip` is false; None when it is absent. A value that is not text, or only spaces, is a
    SourceConfigError naming the key."""
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SourceConfigError(source, key, f"must be a non-empty text, not {value!r}",
                                f"phải là một chuỗi ký tự không rỗng, không phải {value!r}")
    return value.strip() if strip else value
