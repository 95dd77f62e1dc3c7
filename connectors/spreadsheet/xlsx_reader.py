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
from defusedxml import DefusedXmlException

from connectors.base import cannot_open, describe_origin
from connectors.errors import SourceDataError
from connectors.spreadsheet.cells import aware
from connectors.spreadsheet.sheet import OpenSheet, Row, choose_sheet, require_file
from connectors.xmlsafe import XmlError, XmlRefused, iterparse

logger = logging.getLogger(__name__)


@contextmanager
def open_xlsx(source: str, path: Path, wanted: str | int | None) -> Iterator[OpenSheet]:
    require_file(source, path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise cannot_open(source, path, exc) from exc
    except Exception as exc:  # openpyxl raises whatever its zip and XML layers raise
        reason, reason_vi = _reason(path, exc)
        raise SourceDataError(
            source, f"is not a readable .xlsx workbook ({reason})", where=path.name,
            message_vi=f"không đọc được như một sổ làm việc .xlsx ({reason_vi})",
            where_vi=describe_origin({"file": path.name}, "vi"),
        ) from exc
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
            raise SourceDataError(
                source, f"the workbook is damaged after row {number} ({exc})", where=sheet.where(),
                message_vi=f"sổ làm việc bị hỏng sau dòng {number} ({exc})",
                where_vi=sheet.where_vi(),
            ) from exc
        number += 1
        yield number, [aware(v) if isinstance(v, datetime) else v for v in values]


def _reason(path: Path, exc: Exception) -> tuple[str, str]:
    """Why the workbook cannot be read, in English and in Vietnamese."""
    if isinstance(exc, zipfile.BadZipFile):
        with path.open("rb") as f:
            head = f.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            return ("it is an Excel 97-2003 workbook: name it .xls",
                    "đây là sổ làm việc Excel 97-2003: hãy đổi đuôi tệp thành .xls")
        return ("not a zip archive: the file is damaged or not an .xlsx workbook",
                "không phải tệp nén zip: tệp bị hỏng hoặc không phải sổ làm việc .xlsx")
    guarded = _guard_refusal(exc)
    if guarded is not None:
        # openpyxl only says it "could not read worksheets"; our own gate names the part.
        refused = _refused_parts(path)
        if not refused:
            return f"refused: {guarded}", f"bị từ chối: {guarded}"
        more, more_vi = "", ""
        if len(refused) > 1:
            more = f"; {len(refused) - 1} more part(s) refused too"
            more_vi = f"; {len(refused) - 1} phần khác cũng bị từ chối"
        return (f"refused: part {refused[0]}{more}",
                f"bị từ chối: phần {refused[0].text('vi')}{more_vi}")
    said = f"{type(exc).__name__}: {exc}"
    return said, said


def _guard_refusal(exc: BaseException) -> DefusedXmlException | None:
    """The refusal of defusedxml (which openpyxl parses through) under openpyxl's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DefusedXmlException):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _refused_parts(path: Path) -> list[XmlRefused]:
    """The XML parts of the workbook whose prologs the hardened parser refuses (entities, an
    external DTD), in archive order. Only prologs are read, and only after a refusal."""
    refused: list[XmlRefused] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith((".xml", ".rels")):
                    continue
                with archive.open(name) as part:
                    events = iterparse(part, tag=None, events=("start",), where=name)
                    try:
                        next(events, None)  # the root's start: the whole prolog has been judged
                    except XmlRefused as exc:
                        refused.append(exc)
                    except XmlError:
                        pass  # damaged, not hostile: not what defusedxml refused
                    finally:
                        events.close()
    except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError):
        pass  # a part that cannot even be unzipped: the message keeps what was found
    return refused
