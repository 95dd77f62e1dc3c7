"""Excel 97-2003 workbooks (.xls, BIFF8), read with xlrd one sheet at a time."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlrd
from xlrd.sheet import Cell, Sheet

from connectors.base import cannot_open, describe_origin
from connectors.errors import SourceDataError
from connectors.spreadsheet.cells import aware
from connectors.spreadsheet.sheet import OpenSheet, Row, choose_sheet, require_file

logger = logging.getLogger(__name__)

Filler = Callable[[int, list[Any]], list[Any]]


@contextmanager
def open_xls(source: str, path: Path, wanted: str | int | None) -> Iterator[OpenSheet]:
    require_file(source, path)
    # xlrd writes its warnings to a file; keep them for the debug log instead of stdout.
    xlrd_log = io.StringIO()
    try:
        book = xlrd.open_workbook(str(path), on_demand=True, formatting_info=True,
                                  ragged_rows=True, logfile=xlrd_log)
    except OSError as exc:
        raise cannot_open(source, path, exc) from exc
    except Exception as exc:  # xlrd raises XLRDError, struct and assertion errors alike
        reason, reason_vi = _reason(path, exc)
        raise SourceDataError(source, f"is not a readable .xls workbook ({reason})",
                              where=path.name,
                              message_vi=f"không đọc được như một sổ làm việc .xls ({reason_vi})",
                              where_vi=describe_origin({"file": path.name}, "vi")) from exc
    try:
        title = choose_sheet(source, path.name, book.sheet_names(), wanted)
        try:
            ws = book.sheet_by_name(title)
        except Exception as exc:
            raise SourceDataError(source, f"the sheet cannot be read ({exc})",
                                  where=f"{path.name}, sheet {title!r}",
                                  message_vi=f"không đọc được trang tính ({exc})",
                                  where_vi=describe_origin({"file": path.name, "sheet": title},
                                                           "vi")) from exc
        convert = _converter(book.datemode)
        yield OpenSheet(file=path.name, sheet=title, rows=_rows(ws, convert),
                        fill_merged=_merge_filler(ws, convert))
    finally:
        book.release_resources()
        if xlrd_log.getvalue().strip():
            logger.debug("%s: xlrd on %s: %s", source, path.name, xlrd_log.getvalue().strip())


def _rows(ws: Sheet, convert: Callable[[Cell], Any]) -> Iterator[Row]:
    for index in range(ws.nrows):
        yield index + 1, [convert(cell) for cell in ws.row(index)]


def _converter(datemode: int) -> Callable[[Cell], Any]:
    """Cell values as openpyxl gives them for .xlsx, so both formats map the same way."""

    def convert(cell: Cell) -> Any:
        kind, value = cell.ctype, cell.value
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if kind == xlrd.XL_CELL_NUMBER:
            return int(value) if float(value).is_integer() else value
        if kind == xlrd.XL_CELL_DATE:
            try:
                return aware(xlrd.xldate.xldate_as_datetime(value, datemode))
            except (xlrd.xldate.XLDateError, OverflowError, ValueError):
                return value
        if kind == xlrd.XL_CELL_BOOLEAN:
            return bool(value)
        if kind == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(value, "#ERROR")
        return value

    return convert


def _merge_filler(ws: Sheet, convert: Callable[[Cell], Any]) -> Filler:
    def fill(row: int, cells: list[Any]) -> list[Any]:
        index = row - 1
        filled = list(cells)
        for rlo, rhi, clo, chi in ws.merged_cells:
            if not rlo <= index < rhi:
                continue
            if clo >= ws.row_len(rlo):
                continue
            value = convert(ws.cell(rlo, clo))
            if len(filled) < chi:
                filled.extend([None] * (chi - len(filled)))
            for col in range(clo, chi):
                if filled[col] is None:
                    filled[col] = value
        return filled

    return fill


def _reason(path: Path, exc: Exception) -> tuple[str, str]:
    """Why the workbook cannot be read, in English and in Vietnamese."""
    with path.open("rb") as f:
        head = f.read(512).lstrip()
    if head.startswith(b"PK"):
        return ("it is an Excel 2007+ workbook: name it .xlsx",
                "đây là sổ làm việc Excel 2007 trở lên: hãy đổi đuôi tệp thành .xlsx")
    if head[:1] == b"<":
        return ("it is an HTML or XML page saved with an .xls name: open and save it as .xlsx",
                "đây là trang HTML hoặc XML được lưu với đuôi .xls: hãy mở tệp và lưu lại "
                "dưới dạng .xlsx")
    said = f"{type(exc).__name__}: {exc}"
    return said, said
