"""The report as an Excel workbook: a summary sheet with the accepted share, then the problem
list with a filter on every column. Written in openpyxl's write-only mode, row by row, so a
report of many thousand problems costs little memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sync.quality.cells import xlsx_cell
from sync.quality.collect import QualityReport
from sync.quality.layout import (
    PROBLEM_COLUMNS,
    SUMMARY_COLUMNS,
    headings,
    problem_cells,
    summary_cells,
)
from sync.quality.texts import share_text, t

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_WRAP = Alignment(wrap_text=True, vertical="top")
_PROBLEM_WIDTHS = (14, 7, 6, 22, 16, 24, 22, 15, 80, 30)
_SUMMARY_WIDTHS = (16, 30, 8, 50, 80)


def write_xlsx(report: QualityReport, path: Path, lang: str) -> None:
    wb = Workbook(write_only=True)
    _summary_sheet(wb.create_sheet(t("sheet_summary", lang)), report, lang)
    _problem_sheet(wb.create_sheet(t("sheet_problems", lang)), report, lang)
    wb.save(path)


def _summary_sheet(ws: WriteOnlyWorksheet, report: QualityReport, lang: str) -> None:
    _widths(ws, _SUMMARY_WIDTHS)
    ws.append([_cell(ws, t("title", lang), font=Font(bold=True, size=14))])
    ws.append([_cell(ws, t("source", lang), font=_BOLD), _cell(ws, report.source)])
    ws.append([_cell(ws, t("location", lang), font=_BOLD), _cell(ws, report.location)])
    if report.generated_at is not None:
        made = report.generated_at.isoformat(timespec="seconds")
        ws.append([_cell(ws, t("generated", lang), font=_BOLD), _cell(ws, made)])
    ws.append([])
    ws.append(
        [
            _cell(ws, share_text(report.share, lang), font=Font(bold=True, size=16)),
            _cell(ws, t("accepted_share", lang), font=_BOLD),
        ]
    )
    counts = t(
        "accepted_of", lang, accepted=report.accepted, read=report.read, rejected=report.rejected
    )
    ws.append([None, _cell(ws, counts)])
    for note in report.notes(lang):
        font = Font(bold=True, color="9C0006") if note.warning else Font(color="1F4E79")
        ws.append([None, _cell(ws, note.text, font=font)])
    ws.append([])
    ws.append([_cell(ws, t("summary", lang), font=Font(bold=True, size=12))])
    _header(ws, headings(SUMMARY_COLUMNS, lang))
    for kind in report.summary():
        ws.append([_cell(ws, v, wrap=True) for v in summary_cells(kind, lang)])
    if not report.kinds:
        ws.append([_cell(ws, t("none_found", lang))])


def _problem_sheet(ws: WriteOnlyWorksheet, report: QualityReport, lang: str) -> None:
    _widths(ws, _PROBLEM_WIDTHS)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(PROBLEM_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{len(report.problems) + 1}"
    _header(ws, headings(PROBLEM_COLUMNS, lang))
    # Only the message wraps: a style on every cell costs more than the rest of the writing.
    message = PROBLEM_COLUMNS.index("col_message")
    for p in report.sorted_problems():
        cells = problem_cells(p, lang)
        ws.append([_cell(ws, v, wrap=i == message) for i, v in enumerate(cells)])
    if report.omitted:
        ws.append([_cell(ws, t("omitted", lang, n=report.omitted, cap=report.cap))])


def _widths(ws: WriteOnlyWorksheet, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _header(ws: WriteOnlyWorksheet, names: list[str]) -> None:
    ws.append([_cell(ws, n, font=_BOLD, fill=_HEAD_FILL) for n in names])


def _cell(
    ws: WriteOnlyWorksheet,
    value: Any,
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
    wrap: bool = False,
) -> WriteOnlyCell:
    """Every value goes through `xlsx_cell`: no text from the source can become a formula."""
    cell = WriteOnlyCell(ws, value=xlsx_cell(value))
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = _WRAP
    return cell
