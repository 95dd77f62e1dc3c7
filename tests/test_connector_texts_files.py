"""Connector errors of files and downloads (spreadsheets, XML exports, the HTTP GET they share)
say the same facts in Vietnamese for the province's admin, while `str()` stays English for
the logs the national agency reads."""

from __future__ import annotations

import contextlib
import socket
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.base import Connector, SourceRecord, cannot_open
from connectors.errors import (
    ConnectorError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
    network_reason_vi,
)
from connectors.http import (
    TransientResponse,
    get_with_retries,
    retry_policy,
)
from connectors.spreadsheet import SpreadsheetConnector
from connectors.xml import XmlConnector
from connectors.xmlsafe import (
    EncodingRefused,
    XmlError,
    XmlMalformed,
    XmlRefused,
    check_encoding,
    parse_bytes,
)
from stisync.wsgi import start_background
from sync.texts import error_text
from tests.connector_texts import raises_without_vietnamese
from tests.test_spreadsheet_xlsx import workbook
from tests.test_xml_hostile import hostile_workbook
from tests.test_xml_url import Export, xml_url

ROOT = Path(__file__).resolve().parents[1]
FILE_CONNECTORS = [ROOT / "connectors" / name for name in
                   ("base.py", "http.py", "xmlsafe.py", "spreadsheet", "xml")]
XLS = Path(__file__).resolve().parent / "data" / "spreadsheets" / "nhiem-vu.xls"
# English words that must not be left in a Vietnamese text of ours.
ENGLISH = ("option ", " is required", "cannot ", " row ", " line ", " sheet ", "attempt",
           "refused:", "does not exist", "is not ")


def in_both(err: ConnectorError, english: str, *vietnamese: str) -> str:
    """Check `err` against its English text and the Vietnamese words it must hold; return the
    Vietnamese text for further checks."""
    assert english in str(err)
    assert err.text("en") == str(err)
    said = err.text("vi")
    assert said.startswith(f"{err.source}: ")
    assert said != str(err)
    assert error_text(err, "vi") == said
    for words in vietnamese:
        assert words in said, (words, said)
    return said


def ours_only(said: str) -> None:
    """No English word of ours is left in a Vietnamese text (quoted texts of others may be)."""
    for word in ENGLISH:
        assert word not in said, (word, said)


def raised(run: Callable[[], Any], error: type[ConnectorError] = ConnectorError
           ) -> ConnectorError:
    with pytest.raises(error) as caught:
        run()
    return caught.value


def sheet_source(path: Path, **options: Any) -> SpreadsheetConnector:
    options.setdefault("id_column", "Mã số")
    return SpreadsheetConnector("tinh", {"path": path.name, **options}, base_dir=path.parent)


# The check that keeps every future error bilingual --------------------------------------------

def test_every_error_of_these_connectors_is_made_with_a_vietnamese_text() -> None:
    assert raises_without_vietnamese(FILE_CONNECTORS) == []


def test_the_check_finds_an_error_made_without_a_vietnamese_text(tmp_path: Path) -> None:
    code = tmp_path / "nguon.py"
    code.write_text(
        "from connectors import errors\n"
        "def f(s):\n"
        "    raise SourceConfigError(s, 'path', 'is required')\n"
        "def g(s):\n"
        "    raise SourceDataError(s, 'bad', where='x.csv', message_vi=None)\n"
        "def h(s):\n"
        "    return errors.SourceUnavailable(s, 'down')\n"
        "def ok(s, vi):\n"
        "    raise SourceConfigError(s, 'path', 'is required', vi)\n"
        "def ok2(s):\n"
        "    raise SourceDataError(s, 'bad', message_vi='hỏng')\n",
        encoding="utf-8",
    )
    assert raises_without_vietnamese([tmp_path]) == [
        f"{code}:3: SourceConfigError", f"{code}:5: SourceDataError",
        f"{code}:7: SourceUnavailable",
    ]


# Places ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("origin", "vietnamese"), [
    ({"file": "danh-muc.xlsx", "sheet": "Danh mục", "row": 12, "columns": {"Mã số": "A"}},
     "tệp danh-muc.xlsx, trang tính Danh mục, dòng 12"),
    ({"file": "exports/tasks.xml", "line": 120, "index": 7}, "tệp exports/tasks.xml, dòng 120"),
    ({"file": "tasks.xml", "line": None, "index": 3}, "tệp tasks.xml, mục 3"),
    ({"url": "https://so.example/x.xml", "line": 4, "index": 1},
     "https://so.example/x.xml, dòng 4"),
    ({"table": "nhiem_vu", "row": 17}, "bảng nhiem_vu, dòng 17"),
    ({"query": "SELECT 1", "row": 3}, 'truy vấn "SELECT 1", dòng 3'),
    ({"url": "https://oai.example/oai", "page": 3, "identifier": "oai:kho:1"},
     "https://oai.example/oai, trang 3, bản ghi oai:kho:1"),
    ({}, ""),
], ids=["xlsx", "xml-file", "xml-without-line", "xml-download", "sql-table", "sql-query",
        "oaipmh", "empty"])
def test_a_place_reads_in_vietnamese(origin: dict[str, Any], vietnamese: str) -> None:
    record = SourceRecord("tinh", "1", None, {}, origin=origin)
    assert record.where("vi") == (vietnamese or "tinh")


# Options and secrets (connectors/base.py) ------------------------------------------------------

class Probe(Connector):
    kind = "probe"

    def records(self, since: datetime | None = None) -> Iterator[SourceRecord]:
        return iter(())


@pytest.mark.parametrize(("options", "key", "texts"), [
    ({"password": "x"}, "password", ("secrets are not read from the config",
     "không được ghi trong tệp cấu hình; hãy dùng password_env hoặc password_file")),
    ({"password_env": "STISYNC_KHONG_CO"}, "password_env",
     ("environment variable STISYNC_KHONG_CO is not set",
      "trỏ tới biến môi trường STISYNC_KHONG_CO, nhưng biến này chưa được đặt")),
    ({"password_file": "khong-co.txt"}, "password_file",
     ("cannot read ", "khong-co.txt, tệp này không đọc được: ")),
    ({}, "password_env", ("is required (or password_file)", "là bắt buộc (hoặc password_file)")),
], ids=["in-config", "env-not-set", "file-unreadable", "missing"])
def test_a_secret_that_cannot_be_had_is_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], key: str,
    texts: tuple[str, str]
) -> None:
    monkeypatch.delenv("STISYNC_KHONG_CO", raising=False)
    probe = Probe("qlkh", options, base_dir=tmp_path)
    err = raised(lambda: probe.secret("password", required=True), SourceConfigError)
    said = in_both(err, texts[0], f"qlkh: tuỳ chọn {key!r} ", texts[1])
    assert str(err).startswith(f"qlkh: option {key!r} ")
    if key != "password_file":     # the system's own words about the file stay as they are
        ours_only(said)


# Spreadsheet options ---------------------------------------------------------------------------

GOOD = {"path": "a.xlsx", "id_column": "Mã số"}


@pytest.mark.parametrize(("options", "key", "english", "vietnamese"), [
    ({"id_column": "Mã số"}, "path", "is required", "là bắt buộc"),
    ({"path": "a.xlsx"}, "id_column", "is required: the column holding the source's record id",
     "là bắt buộc: đó là cột chứa mã bản ghi của nguồn"),
    ({**GOOD, "id_column": 3}, "id_column", "must be a non-empty text, not 3",
     "phải là một chuỗi ký tự không rỗng, không phải 3"),
    ({**GOOD, "path": "a.ods"}, "path", "'a.ods' has an unsupported extension",
     "trỏ tới 'a.ods', có đuôi tệp không được hỗ trợ; đọc được: .csv, .xlsx, .xls"),
    ({**GOOD, "id_col": "Mã số"}, "id_col", "is not a spreadsheet option",
     "không phải tuỳ chọn của nguồn bảng tính; các tuỳ chọn có: delimiter, encoding"),
    ({**GOOD, "sheet": 0}, "sheet", "numbers start at 1, not 0", "đánh số từ 1, không phải 0"),
    ({**GOOD, "sheet": True}, "sheet", "must be a sheet name or a 1-based number, not True",
     "phải là tên trang tính hoặc số thứ tự tính từ 1, không phải True"),
    ({**GOOD, "sheet": " "}, "sheet", "must not be empty", "không được để trống"),
    ({**GOOD, "path": "a.csv", "sheet": "Danh sách"}, "sheet", "not .csv",
     "chỉ dùng cho tệp .xlsx và .xls, không dùng cho .csv"),
    ({**GOOD, "encoding": "cp1258"}, "encoding", "applies to .csv files only",
     "chỉ dùng cho tệp .csv"),
    ({**GOOD, "path": "a.csv", "encoding": "tcvn3"}, "encoding", "'tcvn3' is not a known",
     "có giá trị 'tcvn3', không phải bảng mã văn bản đã biết"),
    ({**GOOD, "path": "a.csv", "delimiter": ";;"}, "delimiter",
     "must be auto or one character", "phải là auto hoặc một ký tự như ',', ';'"),
    ({**GOOD, "header_row": "first"}, "header_row", "not 'first'",
     "phải là auto hoặc số dòng tính từ 1, không phải 'first'"),
], ids=["no-path", "no-id-column", "numeric-id-column", "ods", "misspelt-option", "sheet-zero",
        "sheet-bool", "sheet-blank", "sheet-for-csv", "encoding-for-xlsx", "unknown-encoding",
        "long-delimiter", "header-row-word"])
def test_a_bad_spreadsheet_option_is_said_in_vietnamese(
    tmp_path: Path, options: dict[str, Any], key: str, english: str, vietnamese: str
) -> None:
    err = raised(lambda: SpreadsheetConnector("tinh", options, base_dir=tmp_path),
                 SourceConfigError)
    said = in_both(err, english, f"tinh: tuỳ chọn {key!r} ", vietnamese)
    assert str(err).startswith(f"tinh: option {key!r} ")
    ours_only(said)


# Spreadsheet files -----------------------------------------------------------------------------

def test_a_missing_sheet_file_is_unavailable_in_vietnamese(tmp_path: Path) -> None:
    err = raised(lambda: list(sheet_source(tmp_path / "chua-co.xlsx").records()),
                 SourceUnavailable)
    path = tmp_path / "chua-co.xlsx"
    assert str(err) == f"tinh: file {path} does not exist"
    assert err.text("vi") == f"tinh: tệp {path} không tồn tại"


def test_a_folder_named_as_the_sheet_file_is_unavailable_in_vietnamese(tmp_path: Path) -> None:
    (tmp_path / "thu-muc.csv").mkdir()
    err = raised(lambda: list(sheet_source(tmp_path / "thu-muc.csv").records()),
                 SourceUnavailable)
    said = in_both(err, "is not a file", f"{tmp_path / 'thu-muc.csv'} không phải là tệp")
    ours_only(said)


def test_a_file_that_cannot_be_opened_keeps_the_systems_reason(tmp_path: Path) -> None:
    err = cannot_open("tinh", tmp_path / "khoa.xlsx", PermissionError(13, "Permission denied"))
    assert str(err) == f"tinh: cannot open {tmp_path / 'khoa.xlsx'}: Permission denied"
    assert err.text("vi") == (f"tinh: không mở được tệp {tmp_path / 'khoa.xlsx'}: "
                              "Permission denied")


@pytest.fixture
def two_sheets(tmp_path: Path) -> Path:
    return workbook(tmp_path / "nhiem-vu.xlsx", {"Hướng dẫn": [["Điền vào trang sau"]],
                                                 "Danh sách": [["Mã số"], ["X-1"]]})


@pytest.mark.parametrize(("sheet", "english", "vietnamese"), [
    ("Tong hop", "'Tong hop' is not in nhiem-vu.xlsx; its sheets: 'Hướng dẫn', 'Danh sách'",
     "có giá trị 'Tong hop', nhưng nhiem-vu.xlsx không có trang tính này; các trang tính của "
     "tệp: 'Hướng dẫn', 'Danh sách'"),
    (3, "is 3 but nhiem-vu.xlsx has 2 sheet(s): 'Hướng dẫn', 'Danh sách'",
     "là 3 nhưng nhiem-vu.xlsx chỉ có 2 trang tính: 'Hướng dẫn', 'Danh sách'"),
], ids=["by-name", "by-number"])
def test_a_sheet_not_in_the_workbook_is_said_in_vietnamese(
    two_sheets: Path, sheet: str | int, english: str, vietnamese: str
) -> None:
    err = raised(lambda: list(sheet_source(two_sheets, sheet=sheet).records()),
                 SourceConfigError)
    said = in_both(err, english, "tinh: tuỳ chọn 'sheet' ", vietnamese)
    ours_only(said)


def test_a_header_not_in_the_first_rows_is_said_in_vietnamese(two_sheets: Path) -> None:
    err = raised(lambda: list(sheet_source(two_sheets).records()), SourceConfigError)
    said = in_both(
        err, "'Mã số' is not in any of the first 30 rows of nhiem-vu.xlsx, sheet 'Hướng dẫn'",
        "tinh: tuỳ chọn 'id_column' có giá trị 'Mã số', nhưng không có ở 30 dòng đầu của "
        "tệp nhiem-vu.xlsx, trang tính Hướng dẫn nên không tìm được dòng tiêu đề",
        "các dòng đầu chứa: dòng 1: 'Điền vào trang sau'", "Hãy sửa id_column",
        "đặt header_row")
    ours_only(said)


def test_a_header_row_past_the_end_is_said_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "ngan.csv"
    path.write_text("Mã số,Tên\nX-1,a\n", encoding="utf-8")
    err = raised(lambda: list(sheet_source(path, header_row=9).records()), SourceConfigError)
    assert str(err) == "tinh: option 'header_row' is 9 but ngan.csv has only 2 row(s)"
    assert err.text("vi") == "tinh: tuỳ chọn 'header_row' là 9 nhưng tệp ngan.csv chỉ có 2 dòng"


def test_a_column_not_in_the_header_is_said_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "bang.csv"
    path.write_text("Mã số,Tên\nX-1,a\n", encoding="utf-8")
    err = raised(lambda: list(sheet_source(path, modified_column="Ngày sửa").records()),
                 SourceConfigError)
    said = in_both(err, "'Ngày sửa' is not a column of the header in bang.csv, row 1; "
                   "the headers found: 'Mã số', 'Tên'",
                   "tinh: tuỳ chọn 'modified_column' có giá trị 'Ngày sửa', không phải một cột "
                   "của dòng tiêu đề ở tệp bang.csv, dòng 1; các tiêu đề tìm thấy: 'Mã số', "
                   "'Tên'")
    ours_only(said)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_empty_sheet_is_said_in_vietnamese(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"trong{suffix}"
    if suffix == ".csv":
        path.write_text("\n\n", encoding="utf-8")
    else:
        workbook(path, {"Danh sách": []})
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    place = "tệp trong.csv" if suffix == ".csv" else "tệp trong.xlsx, trang tính Danh sách"
    assert str(err).endswith(": the sheet is empty")
    assert err.text("vi") == f"tinh: {place}: bảng tính trống, không có dòng nào có dữ liệu"


def test_a_byte_that_does_not_decode_is_said_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "hong.csv"
    path.write_bytes("Mã số,Tên\nX-1,a\n".encode() + b"X-2,\xff bad\n")
    err = raised(lambda: list(sheet_source(path, encoding="utf-8").records()), SourceDataError)
    said = in_both(err, "hong.csv: line 3 cannot be decoded as utf-8 (invalid start byte)",
                   "tinh: tệp hong.csv: dòng 3 không giải mã được bằng bảng mã utf-8 "
                   "(invalid start byte); hãy đặt tuỳ chọn encoding của nguồn")
    ours_only(said)


def test_a_malformed_csv_names_the_line_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "dai.csv"
    path.write_text("Mã số,Tên\nX-1,a\nX-2," + "b" * 200_000 + "\n", encoding="utf-8")
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    assert str(err) == ("tinh: dai.csv, line 3: malformed CSV: field larger than field limit "
                        "(131072)")
    assert err.text("vi") == ("tinh: tệp dai.csv, dòng 3: CSV sai cấu trúc: field larger than "
                              "field limit (131072)")


@pytest.mark.parametrize(("content", "english", "vietnamese"), [
    (b"Ma so,Ten\nX-1,a\n", "not a zip archive: the file is damaged or not an .xlsx workbook",
     "không phải tệp nén zip: tệp bị hỏng hoặc không phải sổ làm việc .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "it is an Excel 97-2003 workbook: name "
     "it .xls", "đây là sổ làm việc Excel 97-2003: hãy đổi đuôi tệp thành .xls"),
], ids=["text-file", "xls-named-xlsx"])
def test_an_unreadable_xlsx_is_said_in_vietnamese(tmp_path: Path, content: bytes, english: str,
                                                  vietnamese: str) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(content)
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    assert str(err) == f"tinh: hong.xlsx: is not a readable .xlsx workbook ({english})"
    assert err.text("vi") == (f"tinh: tệp hong.xlsx: không đọc được như một sổ làm việc .xlsx "
                              f"({vietnamese})")


def test_an_xlsx_damaged_mid_sheet_names_the_row_in_vietnamese(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dut.xlsx", {"Danh sách": [["Mã số", "Tên"]] + [
        [f"X-{i}", "tên nhiệm vụ " * 5] for i in range(200)]})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: len(sheet) // 2] + b'<row r="x"><<<'
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    row = str(err).split("after row ")[1].split(" ")[0]
    assert str(err).startswith(f"tinh: dut.xlsx, sheet 'Danh sách': the workbook is damaged "
                               f"after row {row} (")
    assert err.text("vi").startswith(f"tinh: tệp dut.xlsx, trang tính Danh sách: sổ làm việc "
                                     f"bị hỏng sau dòng {row} (")


def test_a_hostile_xlsx_part_is_refused_in_vietnamese(tmp_path: Path) -> None:
    path = hostile_workbook(tmp_path, "xl/worksheets/sheet1.xml",
                            '<!DOCTYPE worksheet [<!ENTITY e "x">]>',
                            more={"xl/styles.xml": '<!DOCTYPE styleSheet [<!ENTITY s "x">]>'})
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    assert str(err).startswith("tinh: nhiem-vu.xlsx: is not a readable .xlsx workbook "
                               "(refused: part xl/worksheets/sheet1.xml, line 1: its DTD "
                               "declares the entity 'e';")
    said = in_both(err, "1 more part(s) refused too",
                   "tinh: tệp nhiem-vu.xlsx: không đọc được như một sổ làm việc .xlsx (bị từ "
                   "chối: phần xl/worksheets/sheet1.xml, dòng 1: DTD của tài liệu khai báo "
                   "thực thể 'e'; tài liệu có khai báo thực thể (entity)",
                   "không có gì trong tài liệu này được mở rộng hay tải về; 1 phần khác cũng "
                   "bị từ chối)")
    ours_only(said)


@pytest.mark.parametrize(("content", "english", "vietnamese"), [
    (b"PK\x03\x04" + bytes(100), "it is an Excel 2007+ workbook: name it .xlsx",
     "đây là sổ làm việc Excel 2007 trở lên: hãy đổi đuôi tệp thành .xlsx"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>",
     "it is an HTML or XML page saved with an .xls name: open and save it as .xlsx",
     "đây là trang HTML hoặc XML được lưu với đuôi .xls: hãy mở tệp và lưu lại dưới dạng "
     ".xlsx"),
], ids=["xlsx-named-xls", "html-export"])
def test_an_unreadable_xls_is_said_in_vietnamese(tmp_path: Path, content: bytes, english: str,
                                                 vietnamese: str) -> None:
    path = tmp_path / "hong.xls"
    path.write_bytes(content)
    err = raised(lambda: list(sheet_source(path).records()), SourceDataError)
    assert str(err) == f"tinh: hong.xls: is not a readable .xls workbook ({english})"
    assert err.text("vi") == (f"tinh: tệp hong.xls: không đọc được như một sổ làm việc .xls "
                              f"({vietnamese})")


def test_an_xls_sheet_not_in_the_workbook_is_said_in_vietnamese() -> None:
    err = raised(lambda: list(sheet_source(XLS, sheet="Tổng hợp").records()),
                 SourceConfigError)
    in_both(err, "'Tổng hợp' is not in nhiem-vu.xls",
            "tinh: tuỳ chọn 'sheet' có giá trị 'Tổng hợp', nhưng nhiem-vu.xls không có trang "
            "tính này; các trang tính của tệp: 'Danh sách'")


# XML: the hardened parser ----------------------------------------------------------------------

@pytest.mark.parametrize(("data", "kwargs", "kind", "english", "vietnamese"), [
    (b"<a><b></a>", {}, XmlMalformed, "trang.xml, line 1: is not well-formed XML: ",
     "trang.xml, dòng 1: không phải XML đúng cú pháp: "),
    (b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', {}, XmlRefused,
     "its DTD declares the entity 'e'",
     "trang.xml, dòng 1: DTD của tài liệu khai báo thực thể 'e'; tài liệu có khai báo thực "
     "thể (entity) hoặc DTD bên ngoài đều bị từ chối"),
    (b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>', {}, XmlRefused,
     "its DOCTYPE a points at an external DTD 'http://127.0.0.1:9/x.dtd'",
     "khai báo DOCTYPE a của tài liệu trỏ tới một DTD bên ngoài 'http://127.0.0.1:9/x.dtd'"),
    (b"<a><b><c/></b></a>", {"max_depth": 2}, XmlRefused, "elements nest deeper than 2 levels",
     "trang.xml, dòng 1: các phần tử lồng nhau sâu quá 2 cấp"),
    (b"<a>" + b"x" * 2000 + b"</a>", {"max_bytes": 1000}, XmlRefused,
     "trang.xml: is 2,007 bytes, over the limit of 1,000",
     "trang.xml: có 2007 byte, vượt giới hạn 1000 byte"),
    (b'<?xml version="1.0" encoding="x-khong-co"?><a/>', {}, XmlMalformed,
     "only UTF-8, UTF-16 and single-byte encodings such as windows-1258 are read",
     "chỉ đọc được UTF-8, UTF-16 và các bảng mã một byte như windows-1258"),
], ids=["malformed", "entity", "external-dtd", "too-deep", "too-big", "unknown-encoding"])
def test_an_xml_parse_error_is_said_in_vietnamese(
    data: bytes, kwargs: dict[str, Any], kind: type[XmlError], english: str, vietnamese: str
) -> None:
    with pytest.raises(kind) as caught:
        parse_bytes(data, where="trang.xml", **kwargs)
    err = caught.value
    assert english in str(err)
    assert err.text("en") == str(err)
    assert vietnamese in err.text("vi")
    assert error_text(err, "vi") == err.text("vi")
    assert err.text("vi").startswith("trang.xml")


def test_an_encoding_that_cannot_be_forced_is_said_in_vietnamese() -> None:
    with pytest.raises(EncodingRefused) as caught:
        check_encoding("tcvn3")
    assert str(caught.value) == "'tcvn3' is not a known text encoding"
    assert caught.value.reason_vi == "'tcvn3' không phải bảng mã văn bản đã biết"


# XML: options and files ------------------------------------------------------------------------

NS = {"q": "urn:so-khcn:nhiem-vu"}
XML_GOOD = {"path": "x.xml", "record": "q:NhiemVu", "namespaces": NS, "id": "q:MaSo"}


@pytest.mark.parametrize(("options", "key", "english", "vietnamese"), [
    ({**XML_GOOD, "recrod": "x"}, "recrod", "is not an xml option; did you mean 'record'?",
     "không phải tuỳ chọn của nguồn xml; có phải là 'record' không?"),
    ({**XML_GOOD, "zzz": 1}, "zzz", "known: deleted, encoding",
     "các tuỳ chọn có: deleted, encoding"),
    ({k: v for k, v in XML_GOOD.items() if k != "id"}, "id", "is required", "là bắt buộc"),
    ({**XML_GOOD, "path": None}, "path", "or url is required (one of them, not both)",
     "hoặc url là bắt buộc (một trong hai, không phải cả hai)"),
    ({**XML_GOOD, "url": "https://so.example/x.xml"}, "path",
     "and url cannot both be given; choose one",
     "và url không được đặt cùng lúc; hãy chọn một"),
    ({**XML_GOOD, "path": None, "url": "ftp://so.example/x.xml"}, "url",
     "must be an http:// or https:// address, not 'ftp://so.example/x.xml'",
     "phải là một địa chỉ http:// hoặc https://, không phải 'ftp://so.example/x.xml'"),
    ({**XML_GOOD, "namespaces": "q"}, "namespaces", "must be a table",
     "phải là một bảng, ví dụ { q = \"urn:so-khcn\" }"),
    ({**XML_GOOD, "namespaces": {"": "urn:x"}}, "namespaces", "cannot give a default namespace",
     "không khai báo được namespace mặc định vì XPath 1.0"),
    ({**XML_GOOD, "namespaces": {"q": " "}}, "namespaces.q", "must be a namespace URI, not ' '",
     "phải là URI của một namespace, không phải ' '"),
    ({**XML_GOOD, "record": "q:1x"}, "record", "'q:1x' is not an element name such as",
     "có giá trị 'q:1x', không phải tên phần tử (như q:NhiemVu)"),
    ({**XML_GOOD, "record": "p:NhiemVu"}, "record",
     "uses the prefix 'p', which namespaces does not declare",
     "dùng tiền tố 'p' nhưng namespaces không khai báo tiền tố này"),
    ({**XML_GOOD, "id": "q:MaSo["}, "id", "'q:MaSo[' is not a usable XPath: ",
     "có giá trị 'q:MaSo[', không phải XPath dùng được: "),
    ({**XML_GOOD, "encoding": "tcvn3"}, "encoding", "'tcvn3' is not a known text encoding; use",
     "có giá trị 'tcvn3' không phải bảng mã văn bản đã biết; hãy dùng auto, utf-8"),
    ({**XML_GOOD, "max_depth": 999}, "max_depth", "must be a whole number from 1 to 256",
     "phải là số nguyên từ 1 đến 256, không phải 999"),
    ({**XML_GOOD, "max_bytes": 0}, "max_bytes", "must be a whole number of at least 1",
     "phải là số nguyên từ 1 trở lên, không phải 0"),
    ({**XML_GOOD, "timeout": 5}, "timeout", "applies to url sources only",
     "chỉ dùng cho nguồn tải về qua url"),
    ({**XML_GOOD, "path": None, "url": "https://so.example/x.xml", "timeout": 0}, "timeout",
     "must be a number of seconds above 0, not 0", "phải là số giây lớn hơn 0, không phải 0"),
    ({**XML_GOOD, "id": 7}, "id", "must be a non-empty text, not 7",
     "phải là một chuỗi ký tự không rỗng, không phải 7"),
], ids=["misspelt", "unknown", "no-id", "no-path-or-url", "path-and-url", "ftp-url",
        "namespaces-text", "default-namespace", "blank-uri", "bad-element-name",
        "undeclared-prefix", "bad-xpath", "unknown-encoding", "too-deep", "no-bytes",
        "timeout-for-a-file", "zero-timeout", "id-not-text"])
def test_a_bad_xml_option_is_said_in_vietnamese(
    tmp_path: Path, options: dict[str, Any], key: str, english: str, vietnamese: str
) -> None:
    options = {k: v for k, v in options.items() if v is not None}
    err = raised(lambda: XmlConnector("so-khcn", options, base_dir=tmp_path), SourceConfigError)
    said = in_both(err, english, f"so-khcn: tuỳ chọn {key!r} ", vietnamese)
    assert str(err).startswith(f"so-khcn: option {key!r} ")
    if key != "id" or "XPath" not in english:     # lxml's own words stay as they are
        ours_only(said)


def test_a_missing_xml_file_is_unavailable_in_vietnamese(tmp_path: Path) -> None:
    source = XmlConnector("so-khcn", {**XML_GOOD, "path": "chua-co.xml"}, base_dir=tmp_path)
    err = raised(lambda: list(source.records()), SourceUnavailable)
    assert str(err) == f"so-khcn: file {tmp_path / 'chua-co.xml'} does not exist"
    assert err.text("vi") == f"so-khcn: tệp {tmp_path / 'chua-co.xml'} không tồn tại"


def test_a_glob_matching_nothing_is_unavailable_in_vietnamese(tmp_path: Path) -> None:
    source = XmlConnector("so-khcn", {**XML_GOOD, "path": "xuat/*.xml"}, base_dir=tmp_path)
    err = raised(lambda: list(source.records()), SourceUnavailable)
    assert str(err) == f"so-khcn: no file matches xuat/*.xml (in {tmp_path})"
    assert err.text("vi") == f"so-khcn: không có tệp nào khớp với xuat/*.xml (trong {tmp_path})"


def test_malformed_xml_names_the_file_and_line_in_vietnamese(tmp_path: Path) -> None:
    (tmp_path / "hong.xml").write_text('<ds>\n<nv id="1"/>\n<nv id="2"><ten>x</tenn></nv>\n'
                                       "</ds>\n", encoding="utf-8")
    source = XmlConnector("so-khcn", {"path": "hong.xml", "record": "nv", "id": "@id"},
                          base_dir=tmp_path)
    err = raised(lambda: list(source.records()), SourceDataError)
    assert str(err).startswith("so-khcn: hong.xml, line 3: is not well-formed XML: ")
    said = err.text("vi")
    assert said.startswith("so-khcn: tệp hong.xml, dòng 3: không phải XML đúng cú pháp: ")
    assert "tenn" in said       # the parser's own words are kept


def test_a_hostile_xml_file_is_refused_in_vietnamese(tmp_path: Path) -> None:
    (tmp_path / "xuat.xml").write_text('<!DOCTYPE ds [<!ENTITY e SYSTEM "file:///etc/hosts">]>'
                                       '\n<ds><nv id="&e;"/></ds>', encoding="utf-8")
    source = XmlConnector("so-khcn", {"path": "xuat.xml", "record": "nv", "id": "@id"},
                          base_dir=tmp_path)
    err = raised(lambda: list(source.records()), SourceDataError)
    said = in_both(err, "so-khcn: xuat.xml, line 1: refused: its DTD declares the entity 'e' "
                   "(SYSTEM 'file:///etc/hosts')",
                   "so-khcn: tệp xuat.xml, dòng 1: bị từ chối: DTD của tài liệu khai báo thực "
                   "thể 'e' (SYSTEM 'file:///etc/hosts'); tài liệu có khai báo thực thể")
    ours_only(said)


# XML downloads and the HTTP GET ----------------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Export, str]]:
    export = Export()
    with start_background(export.app) as running:
        yield export, running.url
        export.release.set()


@pytest.fixture
def export(server: tuple[Export, str]) -> Iterator[tuple[Export, str]]:
    state, url = server
    state.hits.clear()
    state.release.clear()
    yield state, url
    state.release.set()        # lets a hanging handler finish before the server stops


def test_a_server_that_stays_down_is_unavailable_in_vietnamese(
        export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: list(xml_url(f"{url}/luon-ban.xml", retries=2).records()),
                 SourceUnavailable)
    assert str(err) == (f"so-khcn: {url}/luon-ban.xml answered HTTP 503 SERVICE UNAVAILABLE: "
                        "bảo trì (2 attempts)")
    assert err.text("vi") == (f"so-khcn: {url}/luon-ban.xml trả lời HTTP 503 SERVICE "
                              "UNAVAILABLE: bảo trì (đã thử 2 lần)")


@pytest.mark.timeout(10)
def test_a_server_that_hangs_times_out_in_vietnamese(export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: list(xml_url(f"{url}/treo.xml", timeout=0.3, retries=2).records()),
                 SourceUnavailable)
    assert str(err) == f"so-khcn: {url}/treo.xml did not answer within 0.3 s (2 attempts)"
    assert err.text("vi") == (f"so-khcn: hết thời gian chờ: {url}/treo.xml không trả lời "
                              "trong 0.3 giây (đã thử 2 lần)")


@pytest.mark.timeout(10)
def test_a_download_that_stalls_is_unavailable_in_vietnamese(export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: list(xml_url(f"{url}/dung-giua-chung.xml", timeout=0.3).records()),
                 SourceUnavailable)
    received = str(err).split(" after ")[1].split(" bytes")[0]
    assert str(err) == (f"so-khcn: {url}/dung-giua-chung.xml sent nothing for 0.3 s after "
                        f"{received} bytes")
    assert err.text("vi") == (f"so-khcn: hết thời gian chờ: {url}/dung-giua-chung.xml không "
                              f"gửi thêm gì trong 0.3 giây, sau khi đã nhận "
                              f"{received.replace(',', '')} byte")


def test_a_broken_download_names_the_url_and_line_in_vietnamese(
        export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: list(xml_url(f"{url}/hong.xml").records()), SourceDataError)
    assert str(err).startswith(f"so-khcn: {url}/hong.xml, line 5: is not well-formed XML")
    assert err.text("vi").startswith(f"so-khcn: {url}/hong.xml, dòng 5: không phải XML đúng "
                                     "cú pháp")


def test_a_download_over_max_bytes_is_refused_in_vietnamese(export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: list(xml_url(f"{url}/nhiem-vu.xml", max_bytes=1000).records()),
                 SourceDataError)
    assert str(err) == (f"so-khcn: {url}/nhiem-vu.xml: refused: is over the limit of 1,000 "
                        "bytes")
    assert err.text("vi") == f"so-khcn: {url}/nhiem-vu.xml: bị từ chối: vượt giới hạn 1000 byte"


def test_an_unreachable_server_is_unavailable_in_vietnamese() -> None:
    err = raised(lambda: list(xml_url("http://127.0.0.1:9/x.xml", retries=1).records()),
                 SourceUnavailable)
    assert str(err) == ("so-khcn: cannot reach http://127.0.0.1:9/x.xml (1 attempt): "
                        "Connection refused")
    assert err.text("vi") == ("so-khcn: không kết nối được tới http://127.0.0.1:9/x.xml (đã thử "
                              "1 lần): máy chủ từ chối kết nối (Connection refused)")


@contextlib.contextmanager
def answering(reply: bytes) -> Iterator[int]:
    """The port of a loopback server that answers one connection with `reply` and hangs up:
    a server speaking plain HTTP where TLS is expected, or one that breaks a body off."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2)
    listener.settimeout(5)

    def answer() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(5)


@pytest.fixture
def plain_http() -> Iterator[str]:
    """An https:// address whose server answers in plain HTTP: every TLS handshake fails."""
    with answering(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as port:
        yield f"https://127.0.0.1:{port}"


@pytest.mark.timeout(10)
def test_a_download_that_breaks_off_is_unavailable_in_vietnamese() -> None:
    export = (Path(__file__).parent / "data" / "xml" / "nhiem-vu-1.xml").read_bytes()
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
            b"Content-Length: %d\r\n\r\n" % len(export))
    with answering(head + export[:600]) as port:
        url = f"http://127.0.0.1:{port}/nhiem-vu.xml"
        err = raised(lambda: list(xml_url(url, retries=1).records()), SourceUnavailable)
    reason = str(err).split(" bytes: ")[1]
    assert str(err) == f"so-khcn: the download of {url} broke off after 600 bytes: {reason}"
    assert err.text("vi") == (f"so-khcn: việc tải {url} bị ngắt giữa chừng sau 600 byte: "
                              f"{reason}")
    assert "IncompleteRead" in reason     # urllib3's own words, in both languages


@pytest.mark.timeout(10)
def test_a_server_without_tls_fails_verification_in_vietnamese(plain_http: str) -> None:
    err = raised(lambda: list(xml_url(f"{plain_http}/nhiem-vu.xml", retries=1).records()),
                 SourceConfigError)
    assert str(err).startswith("so-khcn: option 'url' fails TLS verification (")
    assert err.text("vi").startswith("so-khcn: tuỳ chọn 'url' trỏ tới một máy chủ không qua "
                                     "được bước xác minh chứng chỉ TLS (")


def get(url: str, check: Callable[[requests.Response], Any] = lambda r: r,
        **kwargs: Any) -> Any:
    with requests.Session() as session:
        return get_with_retries(session, url, source="qlkh", policy=retry_policy(1),
                                timeout=2, check=check, **kwargs)


@pytest.mark.timeout(10)
def test_a_source_with_a_ca_bundle_option_is_pointed_at_it_in_vietnamese(
        plain_http: str) -> None:
    err = raised(lambda: get(f"{plain_http}/api"), SourceConfigError)
    assert str(err).startswith(f"qlkh: option 'ca_bundle' is needed: TLS verification of "
                               f"{plain_http}/api failed (")
    assert err.text("vi").startswith(f"qlkh: tuỳ chọn 'ca_bundle' cần được đặt: không xác minh "
                                     f"được chứng chỉ TLS của {plain_http}/api (")


def test_a_url_that_cannot_be_requested_is_said_in_vietnamese() -> None:
    err = raised(lambda: get("http://127.0.0.1:99999/x"), SourceConfigError)
    assert str(err) == ("qlkh: option 'url' cannot be requested: http://127.0.0.1:99999/x: "
                        "Failed to parse: http://127.0.0.1:99999/x")
    assert err.text("vi") == ("qlkh: tuỳ chọn 'url' không dùng được để gửi yêu cầu: "
                              "http://127.0.0.1:99999/x: Failed to parse: "
                              "http://127.0.0.1:99999/x")


def test_a_request_named_differently_in_vietnamese_uses_that_name(
        export: tuple[Export, str]) -> None:
    _, url = export
    err = raised(lambda: get(f"{url}/khong-co", shown=f"{url} (page 2)",
                             shown_vi=f"{url} (trang 2)",
                             check=_refuse_with(503, said="", said_vi="(nội dung trống)")),
                 SourceUnavailable)
    assert str(err) == f"qlkh: {url} (page 2) answered HTTP 503 Busy:  (1 attempt)"
    assert err.text("vi") == (f"qlkh: {url} (trang 2) trả lời HTTP 503 Busy: (nội dung trống) "
                              "(đã thử 1 lần)")


def _refuse_with(status: int, *, said: str, said_vi: str) -> Callable[[Any], Any]:
    def check(_response: Any) -> Any:
        raise TransientResponse(status, "Busy", said, None, said_vi=said_vi)

    return check


def test_the_common_network_reasons_are_translated_and_others_kept() -> None:
    assert network_reason_vi(OSError("[Errno 111] Connection refused")) == \
        "máy chủ từ chối kết nối (Connection refused)"
    assert network_reason_vi(OSError("read timed out")) == "hết thời gian chờ"
    assert network_reason_vi(OSError("disk full")) == "disk full"
