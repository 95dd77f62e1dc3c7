"""Excel 2007+ workbooks (.xlsx), streamed with openpyxl in read-only mode."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from connectors.errors import SourceDataError, SourceUnavailable
from connectors.spreadsheet.cells import aware
from connectors.spreadsheet.sheet import OpenSheet, Row, choose_sheet, require_file

logger = logging.getLogger(__name__)


@contextmanager
def open_xlsx(source: str, path: Path, wanted: str | int | None) -> Iterator[OpenSheet]:
    require_file(source, path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise SourceUnavailable(source, f"cannot open {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # openpyxl raises whatever its zip and XML layers raise
        raise SourceDataError(source, f"is not a readable .xlsx workbook ({_reason(path, exc)})",
                              where=path.name) from exc
    try:
        title = choose_sheet(source, path.name, [ws.title for ws in book.worksheets], wanted)
        ws = book[title]
        # Some writers store a wrong sheet size; trusting it would cut rows off silently.
        ws.reset_dimensions()
        sheet = OpenSheet(file=path.name, sheet=title, rows=iter(()))
        sheet.rows = _rows(source, sheet, ws.iter_rows(values_only=True))
        yield sheet
    finally:
        book.close()


def _rows(source: str, sheet: OpenSheet, raw_rows: Iterator[tuple[Any, ...]]) -> Iterator[Row]:
    number = 0
    while True:
        try:
            values = next(raw_rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet part fails in the XML parser mid-stream
            raise SourceDataError(source, f"the workbook is damaged after row {number} ({exc})",
                                  where=sheet.where()) from exc
        number += 1
        yield number, [aware(v) if isinstance(v, datetime) else v for v in values]


def _reason(path: Path, exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        with path.open("rb") as f:
            head = f.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            return "it is an Excel 97-2003 workbook: name it .xls"
        return "not a zip archive: the file is damaged or not an .xlsx workbook"
    return f"{type(exc).__name__}: {exc}"
