"""Reading a whole source for `stisync validate`: every record mapped and validated as a sync
would, its problems turned into rows that point at the sheet, row and column to fix.

Rows are never kept: memory holds the problem rows (at most `cap`; the rest are only counted),
one line per kind of problem, and the ids met so far, to find duplicates as a sync does.
Nothing is written anywhere and the national side is never called.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from connectors import ConnectorError, SourceConfigError, SourceRecord, make_connector
from schemas.mapping import MappingConfigError, load_mapping
from schemas.mapping.legacy import SourceText
from schemas.problems import Problem
from schemas.record import field_label
from sync.config import Config, ConfigError
from sync.extract import _duplicate, check
from sync.quality.texts import code_text, t, value_text
from sync.texts import ENCODING_NAMES, error_text

# Enough to list every problem of a provincial workbook; a source broken throughout (a
# wrong mapping) still gives a report that opens, with the rest counted.
MAX_PROBLEMS = 10_000
# A value is shown, not stored: a long text cut here still lets its owner find it.
MAX_VALUE = 500
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class ProblemRow:
    """One problem of one record, where its owner finds it: `sheet`, `row` and `column` (the
    letter) for a spreadsheet, `where` for any source ("nv.xlsx, sheet Danh mục, row 12")."""

    sheet: str
    row: int | None
    column: str
    header: str  # the source column (or JSON path) the value came from
    record_id: str
    value: Any  # the value as the source holds it: text, or a number
    field: str  # the national field, as a JSON path
    code: str
    message_vi: str
    message_en: str
    where: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_vi


@dataclass
class Kind:
    """One kind of problem (a code on a national field) and how often it occurs."""

    code: str
    field: str
    count: int
    example: ProblemRow

    def describe(self, lang: str) -> str:
        return code_text(self.code, lang) or self.example.message(lang)

    def field_text(self, lang: str) -> str:
        labels = field_label(self.field)
        if labels is None:
            return self.field
        label = labels[1] if lang == "en" else labels[0]
        return f"{label[:1].upper()}{label[1:]} ({self.field})"


class Note(NamedTuple):
    """A line above the problems: a `warning` (the report is incomplete or the mapping misses
    something) or information (what was done to the data, as it should be)."""

    text: str
    warning: bool = True


@dataclass
class QualityReport:
    source: str
    location: str = ""
    generated_at: datetime | None = None
    read: int = 0  # records read, not counting those the source marks deleted
    accepted: int = 0
    deleted: int = 0
    problems: list[ProblemRow] = field(default_factory=list)
    omitted: int = 0  # problems beyond the cap: counted in `kinds`, not listed
    kinds: dict[tuple[str, str], Kind] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
    spreadsheet: bool = False  # sheet, row and column say where each record is
    error: str | None = None  # the source or its configuration failed; figures are partial
    error_kind: str = "err_source"  # or "err_config": which words open the error's message
    error_vi: str | None = None  # `error` in Vietnamese, when it has it (a configuration error)
    cap: int = MAX_PROBLEMS
    # Cells found in a legacy encoding and converted, by encoding ("tcvn3": 120).
    converted: Counter[str] = field(default_factory=Counter)

    def error_detail(self, lang: str) -> str | None:
        return self.error_vi if lang != "en" and self.error_vi else self.error

    def error_text(self, lang: str) -> str:
        return f"{t(self.error_kind, lang)}: {self.error_detail(lang)}" if self.error else ""

    def notes(self, lang: str, *, error: bool = True) -> list[Note]:
        """What a reader must know besides the problems: a read cut short, columns the
        mapping misses (warnings); records the source marks deleted, text converted from old
        fonts (information)."""
        notes = []
        if error and self.error:
            notes.append(Note(t("incomplete", lang, error=self.error_text(lang))))
        if self.missing_columns:
            columns = ", ".join(self.missing_columns)
            notes.append(Note(t("missing_columns", lang, columns=columns)))
        if self.deleted:
            notes.append(Note(t("deleted", lang, n=self.deleted), warning=False))
        if self.converted:
            found = ", ".join(f"{ENCODING_NAMES.get(e, e)}: {n}"
                              for e, n in self.converted.most_common())
            cells = sum(self.converted.values())
            notes.append(Note(t("converted", lang, cells=cells, found=found), warning=False))
        return notes

    @property
    def rejected(self) -> int:
        return self.read - self.accepted

    @property
    def share(self) -> float | None:
        """The share of the records read that the national side would accept."""
        return self.accepted / self.read if self.read else None

    @property
    def exit_code(self) -> int:
        """The `sync` convention: 0 all good, 1 some records have problems, 2 failure."""
        if self.error:
            return 2
        return 1 if self.rejected else 0

    def summary(self) -> list[Kind]:
        """The kinds of problem, most frequent first."""
        return sorted(self.kinds.values(), key=lambda k: (-k.count, k.code, k.field))

    def sorted_problems(self) -> list[ProblemRow]:
        """Problems by sheet (in the order met), then row."""
        order: dict[str, int] = {}
        for p in self.problems:
            order.setdefault(p.sheet, len(order))
        return sorted(self.problems, key=lambda p: (order[p.sheet], p.row or 0))

    def add(self, row: ProblemRow) -> None:
        key = (row.code, _INDEX.sub("[]", row.field))
        kind = self.kinds.get(key)
        if kind is None:
            self.kinds[key] = Kind(row.code, key[1], 1, row)
        else:
            kind.count += 1
        if len(self.problems) < self.cap:
            self.problems.append(row)
        else:
            self.omitted += 1


def collect(config: Config, name: str, *, cap: int = MAX_PROBLEMS) -> QualityReport:
    """Read all of source `name`, map and validate each record, and gather its problems.

    Never raises for a source, mapping or data problem: a source that fails midway gives the
    report of what was read, with `error` set. An unknown source name raises ConfigError.
    """
    src = config.source(name)
    out = QualityReport(name, cap=cap, generated_at=datetime.now(ZoneInfo(config.timezone)))
    out.location = str(src.connector.get("path") or src.connector.get("url") or "")
    try:
        mapping = load_mapping(src.mapping)
        connector = make_connector(src.kind, src.name, src.connector, base_dir=config.base_dir)
    except (MappingConfigError, SourceConfigError, ConfigError) as exc:
        out.error, out.error_kind = str(exc), "err_config"
        out.error_vi = error_text(exc, "vi")
        return out
    seen: set[str] = set()
    text = SourceText(src.text_encoding)
    stream: Iterator[SourceRecord] = connector.records(None)
    try:
        for rec in stream:
            if rec.deleted:
                out.deleted += 1
                continue
            checked = _duplicate(check(mapping, rec, text), seen)
            for was in (checked.originals or {}).values():
                out.converted[was["encoding"]] += 1
            if out.read == 0 and "columns" in rec.origin:
                out.spreadsheet = True
                out.missing_columns = mapping.missing_columns(rec.payload.keys())
                out.location = str(rec.origin.get("file") or out.location)
            out.read += 1
            if not checked.problems:
                out.accepted += 1
            for p in checked.problems:
                out.add(problem_row(p, rec))
    except ConnectorError as exc:
        out.error = str(exc)
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
        connector.close()
    return out


def problem_row(p: Problem, rec: SourceRecord) -> ProblemRow:
    """The row of problem `p` of record `rec`: its place, and the value as its owner typed it
    (the cell, not the value after mapping) when the problem names a column of the record."""
    columns = rec.origin.get("columns") or {}
    header = p.source_field or ""
    value = rec.payload.get(header, p.value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        value = value_text(value)
        if len(value) > MAX_VALUE:
            value = value[: MAX_VALUE - 1] + "…"
    row = rec.origin.get("row") or rec.origin.get("line")
    return ProblemRow(
        sheet=str(rec.origin.get("sheet") or ""),
        row=row if isinstance(row, int) else None,
        column=str(columns.get(header, "")),
        header=header,
        record_id=rec.record_id,
        value=value,
        field=p.path,
        code=p.code,
        message_vi=p.message_vi,
        message_en=p.message_en,
        where=rec.where(),
    )
