"""Harnesses for the kinds read from local files: spreadsheets (.csv, .xlsx) and XML exports."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

import openpyxl
import pytest
from lxml import etree

from connectors.base import Connector, SourceRecord
from connectors.errors import ConnectorError, SourceUnavailable
from connectors.spreadsheet import SpreadsheetConnector
from connectors.xml import XmlConnector
from tests.contract.harness import EXACT, VIETNAM, OpenCounter, Row, SinceGuarantee

NO_HANG = "a local file has no timeout to honour: reading it never waits on a network"

HEADER = ["STT", "Mã số", "Tên nhiệm vụ", "Ngày cập nhật"]
TITLE = "DANH MỤC NHIỆM VỤ KH&CN CẤP TỈNH"


class FileHarness:
    """The shared part: a folder of its own, the rows written last, and the files opened."""

    name: ClassVar[str] = "so-khcn"
    unreachable_error: type[ConnectorError] = SourceUnavailable
    file_name: str

    def __init__(self, folder: Path):
        self.folder = folder
        self.rows: dict[str, Row] = {}
        self.opens = OpenCounter(folder)

    @property
    def path(self) -> Path:
        return self.folder / self.file_name

    def fill(self, rows: Sequence[Row]) -> None:
        self.rows = {r.id: r for r in rows}
        self.write(self.path, list(self.rows.values()))

    def change(self, rows: Sequence[Row]) -> None:
        # An export is written anew: changed rows stay where they were, new ones go last.
        self.rows.update({r.id: r for r in rows})
        self.write(self.path, list(self.rows.values()))

    def write(self, path: Path, rows: list[Row]) -> None:
        raise NotImplementedError

    def touches(self) -> int:
        return self.opens.count

    def record_id(self, row: Row) -> str:
        return row.id

    def place(self) -> str:
        return self.file_name

    def hanging(self, timeout: float) -> Connector:
        pytest.skip(NO_HANG)

    def close(self) -> None:
        self.opens.close()


class SpreadsheetHarness(FileHarness):
    """A sheet as provinces keep one: a title row, a blank row, the header, a row per task.
    Without `modified` the sheet has no modification column, so every read is a full one."""

    def __init__(self, folder: Path, extension: str, *, modified: bool = True):
        super().__init__(folder)
        self.file_name = f"danh-muc.{extension}"
        self.modified = modified
        self.has_modified = modified
        self.since: SinceGuarantee = EXACT if modified else SinceGuarantee(reads_all=True)

    def options(self, **more: Any) -> dict[str, Any]:
        options = {"path": self.file_name, "id_column": "Mã số", **more}
        if self.modified:
            options["modified_column"] = "Ngày cập nhật"
        return options

    def connector(self) -> Connector:
        return SpreadsheetConnector(self.name, self.options(), base_dir=self.folder)

    def title(self, record: SourceRecord) -> str:
        return str(record.payload["Tên nhiệm vụ"])

    def unreachable(self) -> tuple[Connector, str]:
        # A share not mounted yet: the connector calls that unavailable, to be tried again.
        c = SpreadsheetConnector(
            self.name, {**self.options(), "path": "chua-co/" + self.file_name}, base_dir=self.folder
        )
        return c, str(self.folder / "chua-co" / self.file_name)

    def cells(self, rows: list[Row]) -> list[list[Any]]:
        table: list[list[Any]] = [[TITLE], [], HEADER]
        for number, row in enumerate(rows, start=1):
            local = row.modified.astimezone(VIETNAM)
            when = (
                local.strftime("%d/%m/%Y %H:%M:%S")
                if self.path.suffix == ".csv"
                else local.replace(tzinfo=None)
            )
            table.append([number, row.id, row.title, when])
        return table

    def write(self, path: Path, rows: list[Row]) -> None:
        if path.suffix == ".csv":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(self.cells(rows))
            # Excel's "CSV UTF-8" export: a byte-order mark, CRLF line ends.
            path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
            return
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Danh mục"
        for cells in self.cells(rows):
            sheet.append(cells)
        book.save(path)

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        self.fill(good)
        if self.path.suffix == ".csv":
            # A byte that is not UTF-8 in a file declared UTF-8, after the good rows.
            with self.path.open("ab") as f:
                f.write(f"{len(good) + 1},NV-LOI,".encode() + b"Nghi\xeam c\xf4u,01/06/2024\r\n")
            line = 3 + len(good) + 1
            c = SpreadsheetConnector(
                self.name, self.options(encoding="utf-8"), base_dir=self.folder
            )
            return c, f"{self.file_name}: line {line}"
        self.fill([*good, Row("NV-LOI", "Dòng bị cắt", max(r.modified for r in good))])
        _break_row(self.path, 4 + len(good))
        return self.connector(), f"{self.file_name}, sheet 'Danh mục'"


def _break_row(path: Path, row: int) -> None:
    """Cut the worksheet's XML off inside `row`, as a copy interrupted halfway leaves it."""
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name]
    cut = re.search(rb'<row r="%d"' % row, xml)
    assert cut is not None, f"row {row} is not in {name}"
    parts[name] = xml[: cut.start()] + b'<row r="%d"><c r="A%d" t="n"><v>1</v></row>' % (row, row)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts.items():
            z.writestr(part, data)


NS = "urn:so-khcn:nhiem-vu"
XML_OPTIONS: dict[str, Any] = {
    "record": "q:NhiemVu",
    "namespaces": {"q": NS},
    "id": "q:MaSo",
    "modified": "q:NgayCapNhat",
}


def export(rows: Sequence[Row], *, tail: str = "") -> bytes:
    """An XML export of `rows` as a provincial system writes one, one element per line."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<q:DanhMuc xmlns:q="{NS}">']
    for row in rows:
        lines.append(
            f"  <q:NhiemVu><q:MaSo>{row.id}</q:MaSo><q:TenNhiemVu>{escape(row.title)}"
            f"</q:TenNhiemVu><q:NgayCapNhat>"
            f"{row.modified.astimezone(VIETNAM).isoformat()}</q:NgayCapNhat>"
            "</q:NhiemVu>"
        )
    lines.append(tail)
    lines.append("</q:DanhMuc>")
    return "\n".join(lines).encode("utf-8")


def xml_title(record: SourceRecord) -> str:
    element = etree.fromstring(record.payload["_xml"].encode("utf-8"))
    return str(element.findtext(f"{{{NS}}}TenNhiemVu"))


# What a broken element looks like: a closing tag that does not match its opening one.
BROKEN = "  <q:NhiemVu><q:MaSo>NV-LOI</q:Ma></q:NhiemVu>"


class XmlFileHarness(FileHarness):
    """An XML export file, one q:NhiemVu element per task."""

    file_name = "nhiem-vu.xml"
    has_modified = True
    since = EXACT

    def connector(self) -> Connector:
        return XmlConnector(
            self.name, {"path": self.file_name, **XML_OPTIONS}, base_dir=self.folder
        )

    def write(self, path: Path, rows: list[Row]) -> None:
        path.write_bytes(export(rows))

    def title(self, record: SourceRecord) -> str:
        return xml_title(record)

    def unreachable(self) -> tuple[Connector, str]:
        c = XmlConnector(
            self.name, {"path": "chua-co/nhiem-vu.xml", **XML_OPTIONS}, base_dir=self.folder
        )
        return c, str(self.folder / "chua-co" / "nhiem-vu.xml")

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        self.rows = {r.id: r for r in good}
        self.path.write_bytes(export(good, tail=BROKEN))
        return self.connector(), f"{self.file_name}, line {3 + len(good)}"
