"""The spreadsheet connector on Excel 97-2003 (.xls) workbooks: merged headers, dates, samples."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors import SourceConfigError, SourceDataError
from connectors.spreadsheet import SpreadsheetConnector

ICT = timezone(timedelta(hours=7))
FIXTURE = Path(__file__).resolve().parent / "data" / "spreadsheets" / "nhiem-vu.xls"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
LEGACY = SAMPLES / "legacy-excel" / "corpus"


def connector(path: Path, **options: Any) -> SpreadsheetConnector:
    options.setdefault("id_column", "Mã số")
    return SpreadsheetConnector("tinh", {"path": path.name, **options}, base_dir=path.parent)


def test_a_two_row_merged_header_is_resolved() -> None:
    records = list(connector(FIXTURE, header_row=4).records())

    assert [(r.record_id, r.origin["row"]) for r in records] == [
        ("ĐT-2024-01", 6), ("102", 7), ("DA-2024-07", 9),
    ]
    # A3:A4, B3:B4... are merged down; D4 and E4 sit under the merged "Thời gian"
    assert records[0].origin["columns"] == {
        "STT": "A", "Mã số": "B", "Tên nhiệm vụ": "C", "Bắt đầu": "D", "Kết thúc": "E",
        "Ngày cập nhật": "F", "Kinh phí (triệu đồng)": "G",
    }
    assert records[0].origin["sheet"] == "Danh sách"


def test_xls_cells_keep_their_types_and_dates() -> None:
    first, second, third = connector(FIXTURE, header_row=4).records()

    assert dict(first.payload) == {
        "STT": 1,
        "Mã số": "ĐT-2024-01",
        "Tên nhiệm vụ": "Nghiên cứu chọn tạo giống lúa chịu mặn",
        "Bắt đầu": datetime(2024, 1, 15, tzinfo=ICT),
        "Kết thúc": datetime(2025, 12, 31, tzinfo=ICT),
        "Ngày cập nhật": datetime(2024, 3, 10, 14, 30, tzinfo=ICT),
        "Kinh phí (triệu đồng)": 1250.5,
    }
    assert second.payload["Mã số"] == 102
    assert third.payload["Kết thúc"] is None


def test_xls_modified_dates_honour_since() -> None:
    c = connector(FIXTURE, header_row=4, modified_column="Ngày cập nhật")

    records = list(c.records(datetime(2024, 3, 1, tzinfo=ICT)))

    assert [(r.record_id, r.modified_at) for r in records] == [
        ("ĐT-2024-01", datetime(2024, 3, 10, 14, 30, tzinfo=ICT)),
        ("102", datetime(2024, 5, 2, 8, 0, tzinfo=ICT)),
    ]


def test_a_workbook_in_the_1904_date_system_reads_its_own_dates(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    # the DATEMODE record: type 0x0022, length 2, value 0 (1900 system)
    datemode = b"\x22\x00\x02\x00\x00\x00"
    assert data.count(datemode) == 1
    path = tmp_path / "mac.xls"
    path.write_bytes(data.replace(datemode, b"\x22\x00\x02\x00\x01\x00"))

    first = next(iter(connector(path, header_row=4).records()))

    # the same serial number counts from 1904-01-01, as Excel would show it
    assert first.payload["Bắt đầu"] == datetime(2028, 1, 16, tzinfo=ICT)


def test_the_header_is_found_in_a_merged_cell_and_sections_are_skipped() -> None:
    records = list(connector(FIXTURE).records())

    # row 4 holds the second line of the header; without header_row it is an id-less row
    assert [(r.record_id, r.origin["row"]) for r in records] == [
        ("", 4), ("ĐT-2024-01", 6), ("102", 7), ("DA-2024-07", 9),
    ]
    assert list(records[1].payload) == ["STT", "Mã số", "Tên nhiệm vụ", "Thời gian",
                                        "Thời gian (2)", "Ngày cập nhật", "Kinh phí (triệu đồng)"]


@pytest.mark.parametrize("sheet", ["Ghi chú", 2], ids=["name", "index"])
def test_another_sheet_is_chosen(sheet: str | int) -> None:
    records = list(connector(FIXTURE, sheet=sheet).records())

    assert [dict(r.payload) for r in records] == [
        {"Mã số": "ĐT-2024-01", "Ghi chú": "Đã nghiệm thu giai đoạn 1"},
    ]
    assert records[0].where() == "nhiem-vu.xls, sheet Ghi chú, row 2"


def test_an_unknown_sheet_lists_the_sheets() -> None:
    with pytest.raises(SourceConfigError) as caught:
        list(connector(FIXTURE, sheet="Sheet1").records())

    assert "'Sheet1' is not in nhiem-vu.xls; its sheets: 'Danh sách', 'Ghi chú'" in str(
        caught.value
    )


def test_an_id_column_not_in_the_header_lists_the_headers() -> None:
    with pytest.raises(SourceConfigError) as caught:
        list(connector(FIXTURE, header_row=4, id_column="Mã nhiệm vụ").records())

    assert caught.value.key == "id_column"
    assert ("the headers found: 'STT', 'Mã số', 'Tên nhiệm vụ', 'Bắt đầu', 'Kết thúc', "
            "'Ngày cập nhật', 'Kinh phí (triệu đồng)'") in str(caught.value)


@pytest.mark.parametrize(("content", "text"), [
    (b"\x00\x01garbage that is no workbook" * 20, "is not a readable .xls workbook"),
    (b"PK\x03\x04" + bytes(100), "it is an Excel 2007+ workbook: name it .xlsx"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>",
     "HTML or XML page saved with an .xls name"),
    (FIXTURE.read_bytes()[:3000], "is not a readable .xls workbook"),
], ids=["garbage", "xlsx-named-xls", "html-export", "truncated"])
def test_a_damaged_xls_is_a_data_error_naming_the_file(tmp_path: Path, content: bytes,
                                                       text: str) -> None:
    path = tmp_path / "hong.xls"
    path.write_bytes(content)

    with pytest.raises(SourceDataError) as caught:
        list(connector(path).records())

    assert "hong.xls" in str(caught.value)
    assert text in str(caught.value)


# The header cell of each sample as xlrd reads it: the text is in TCVN3 or VNI, which this
# connector passes on unconverted.
LEGACY_HEADERS = {
    "2005-KH2003-bieu.xls": (3, "Sè TT"),
    "2006-Mau21_CKTC_NSH.xls": (10, "STT"),
    "2009-20081202.257.xls": (8, "Maõ soá"),
}


def legacy_corpus() -> Path:
    if not LEGACY.is_dir():
        pytest.skip("the shared legacy-excel samples are not beside this checkout")
    return LEGACY


@pytest.mark.samples
def test_every_legacy_workbook_has_a_case_below() -> None:
    assert sorted(p.name for p in legacy_corpus().glob("*.xls")) == sorted(LEGACY_HEADERS)


@pytest.mark.samples
@pytest.mark.parametrize("name", sorted(LEGACY_HEADERS), ids=sorted(LEGACY_HEADERS))
def test_real_legacy_workbooks_open_and_yield_rows(name: str) -> None:
    header_row, id_column = LEGACY_HEADERS[name]

    records = list(connector(legacy_corpus() / name, header_row=header_row,
                             id_column=id_column).records())

    assert records
    rows = [r.origin["row"] for r in records]
    assert rows == sorted(rows)
    assert rows[0] > header_row
    assert all(r.origin["file"] == name and r.payload for r in records)
