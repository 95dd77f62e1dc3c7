"""The two tables every report format shares — the summary and the problem list — as headings
and rows of plain values, so that the HTML, workbook and CSV reports say the same thing."""

from __future__ import annotations

from typing import Any

from sync.quality.collect import Kind, ProblemRow
from sync.quality.texts import t, value_text

PROBLEM_COLUMNS = (
    "col_sheet",
    "col_row",
    "col_column",
    "col_header",
    "col_record",
    "col_value",
    "col_field",
    "col_code",
    "col_message",
    "col_where",
)
SUMMARY_COLUMNS = ("col_code", "col_field", "col_count", "col_kind", "col_example")


def headings(columns: tuple[str, ...], lang: str) -> list[str]:
    return [t(key, lang) for key in columns]


def problem_cells(p: ProblemRow, lang: str) -> list[Any]:
    """One problem as cells in PROBLEM_COLUMNS order; the value keeps its type (a number stays
    a number)."""
    return [
        p.sheet,
        p.row,
        p.column,
        p.header,
        p.record_id,
        p.value,
        p.field,
        p.code,
        p.message(lang),
        p.where,
    ]


def place(p: ProblemRow, lang: str) -> str:
    """Where to look, in a few words: "Danh mục, dòng 20, cột D" (or the record's place for a
    source that is not a spreadsheet)."""
    if p.row is None:
        return p.where
    words = ("row", "column") if lang == "en" else ("dòng", "cột")
    parts = [p.sheet] if p.sheet else []
    parts.append(f"{words[0]} {p.row}")
    if p.column:
        parts.append(f"{words[1]} {p.column}")
    return ", ".join(parts)


def example_text(p: ProblemRow, lang: str) -> str:
    shown = value_text(p.value)
    # Mapping messages quote the value already; validation messages do not.
    value = f": “{shown}”" if shown and shown not in p.message(lang) else ""
    return f"{place(p, lang)}{value} — {p.message(lang)}"


def summary_cells(kind: Kind, lang: str) -> list[Any]:
    return [
        kind.code,
        kind.field_text(lang),
        kind.count,
        kind.describe(lang),
        example_text(kind.example, lang),
    ]
