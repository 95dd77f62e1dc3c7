"""The spreadsheet connector on real sheet layouts: title rows, section rows, totals, headers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from connectors import SourceConfigError, SourceDataError
from connectors.spreadsheet import SpreadsheetConnector

Rows = list[list[Any]]

# As provinces publish them: a title, a blank line, the header, sections, a total.
REPORT: Rows = [
    ["DANH MỤC NHIỆM VỤ KH&CN CẤP TỈNH NĂM 2024"],
    [],
    [None, "Ngày lập: 05/01/2024"],
    [],
    ["STT", "Mã số", "Tên nhiệm vụ", "Kinh phí\n(triệu đồng)"],
    ["I. ĐỀ TÀI CẤP TỈNH"],
    [1, "ĐT-01", "Nghiên cứu giống lúa chịu mặn", 1250],
    ["A"],
    [2, "ĐT-02", "Ứng dụng công nghệ sinh học", 800.5],
    [],
    [None, None, None, None],
    ["1"],
    [3, None, "Nhiệm vụ chưa có mã", 300],
    [None, None, "Tổng cộng", 2350.5],
    [None, "Cộng:", None, 2350.5],
]


def write(path: Path, rows: Rows) -> Path:
    if path.suffix == ".xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = "Danh sách"
        for row in rows:
            ws.append(row or [None])
        wb.save(path)
    else:
        lines = [",".join("" if v is None else str(v).replace("\n", " ") for v in row)
                 for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path, **options: Any) -> list[Any]:
    options.setdefault("id_column", "Mã số")
    c = SpreadsheetConnector("tinh", {"path": path.name, **options}, base_dir=path.parent)
    return list(c.records())


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"], ids=["xlsx", "csv"])
def test_the_header_is_found_below_title_and_blank_rows(tmp_path: Path, suffix: str) -> None:
    records = read(write(tmp_path / f"danh-muc{suffix}", REPORT))

    assert [(r.record_id, r.origin["row"]) for r in records] == [
        ("ĐT-01", 7), ("ĐT-02", 9), ("", 13),
    ]
    assert records[0].payload["Tên nhiệm vụ"] == "Nghiên cứu giống lúa chịu mặn"
    assert list(records[0].origin["columns"]) == ["STT", "Mã số", "Tên nhiệm vụ",
                                                  "Kinh phí (triệu đồng)"]


def test_section_total_and_blank_rows_are_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="connectors.spreadsheet"):
        read(write(tmp_path / "danh-muc.xlsx", REPORT))

    skipped = caplog.text
    assert "sheet 'Danh sách', row 6 is a section header, skipped" in skipped
    assert "row 8 is a section header" in skipped
    assert "row 10 is blank" in skipped
    assert "row 14 is a total row" in skipped
    assert "row 15 is a total row" in skipped


def test_a_row_without_id_but_with_data_is_kept_for_reporting(tmp_path: Path) -> None:
    records = read(write(tmp_path / "danh-muc.xlsx", REPORT))

    orphan = records[-1]
    assert orphan.record_id == ""
    assert {k: v for k, v in orphan.payload.items() if v is not None} == {
        "STT": 3, "Tên nhiệm vụ": "Nhiệm vụ chưa có mã", "Kinh phí (triệu đồng)": 300}
    assert orphan.payload["Mã số"] is None  # every column is there, empty ones as None
    assert orphan.where() == "danh-muc.xlsx, sheet Danh sách, row 13"


def test_xlsx_values_keep_their_types(tmp_path: Path) -> None:
    records = read(write(tmp_path / "danh-muc.xlsx", REPORT))

    assert dict(records[1].payload) == {"STT": 2, "Mã số": "ĐT-02",
                                        "Tên nhiệm vụ": "Ứng dụng công nghệ sinh học",
                                        "Kinh phí (triệu đồng)": 800.5}


@pytest.mark.parametrize(("cell", "expected"), [
    (12.0, "12"),
    (7, "7"),
    (3.5, "3.5"),
    ("  ĐT-01 ", "ĐT-01"),
    ("Đe\u0302\u0300 tài-9", "Đề tài-9"),
], ids=["float-whole", "int", "float-fraction", "padded-text", "decomposed-text"])
def test_the_record_id_is_the_cell_as_text(tmp_path: Path, cell: Any, expected: str) -> None:
    records = read(write(tmp_path / "ids.xlsx", [["Mã số", "Tên"], [cell, "x"]]))

    assert records[0].record_id == expected


@pytest.mark.parametrize("id_column", ["Mã số", "MÃ SỐ", "mã   số", "Ma\u0303 so\u0302\u0301"],
                         ids=["exact", "upper-case", "extra-spaces", "decomposed"])
def test_a_multi_line_header_matches_the_id_column_loosely(tmp_path: Path, id_column: str) -> None:
    path = write(tmp_path / "multi.xlsx",
                 [["Tiêu đề"], ["Mã\nsố", "Tên\r\n nhiệm  vụ"], ["X-1", "a"]])

    records = read(path, id_column=id_column)

    assert records[0].record_id == "X-1"
    assert records[0].origin["columns"] == {"Mã số": "A", "Tên nhiệm vụ": "B"}


def test_repeated_and_empty_headers_get_unique_names(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.xlsx", [
        ["Mã số", "Tên", None, "Tên", "tên", "Ghi chú"],
        ["X-1", "a", "b", "c", "d", "e"],
    ])

    record = read(path)[0]

    assert record.origin["columns"] == {"Mã số": "A", "Tên": "B", "Cột C": "C", "Tên (2)": "D",
                                        "tên (3)": "E", "Ghi chú": "F"}
    assert record.payload["Tên (2)"] == "c"
    assert record.payload["Cột C"] == "b"


def test_data_right_of_the_header_is_kept_under_a_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.xlsx", [["Mã số", "Tên"], ["X-1", "a"], ["X-2", "b", None, "?"]])

    first, second = read(path)

    assert second.payload["Cột D"] == "?"
    assert second.origin["columns"]["Cột D"] == "D"
    assert "Cột D" not in first.origin["columns"]


def test_records_share_one_columns_dict(tmp_path: Path) -> None:
    first, second, _ = read(write(tmp_path / "danh-muc.xlsx", REPORT))

    assert first.origin["columns"] is second.origin["columns"]


def test_a_header_repeated_on_every_printed_page_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "pages.csv", [["Mã số", "Tên"], ["X-1", "a"], ["Mã số", "Tên"],
                                          ["X-2", "b"]])

    assert [r.record_id for r in read(path)] == ["X-1", "X-2"]


def test_an_explicit_header_row_is_used(tmp_path: Path) -> None:
    path = write(tmp_path / "two.xlsx", [["Mã số", "Ghi chú"], ["Mã số", "Tên"], ["X-1", "a"]])

    records = read(path, header_row=2)

    assert dict(records[0].payload) == {"Mã số": "X-1", "Tên": "a"}


def test_a_header_not_in_the_first_rows_is_a_config_error_showing_them(tmp_path: Path) -> None:
    path = write(tmp_path / "danh-muc.xlsx", REPORT)

    with pytest.raises(SourceConfigError) as caught:
        read(path, id_column="Mã nhiệm vụ")

    message = str(caught.value)
    assert caught.value.key == "id_column"
    assert "'Mã nhiệm vụ' is not in any of the first 30 rows of danh-muc.xlsx" in message
    assert "row 1: 'DANH MỤC NHIỆM VỤ KH&CN CẤP TỈNH NĂM 2024'" in message
    assert "row 5: 'STT' | 'Mã số' | 'Tên nhiệm vụ' | 'Kinh phí (triệu đồng)'" in message
    assert "header_row" in message


def test_a_header_below_row_30_needs_header_row(tmp_path: Path) -> None:
    rows: Rows = [[f"Ghi chú {i}"] for i in range(35)] + [["Mã số", "Tên"], ["X-1", "a"]]
    path = write(tmp_path / "deep.csv", rows)

    with pytest.raises(SourceConfigError, match="first 30 rows"):
        read(path)
    assert [r.record_id for r in read(path, header_row=36)] == ["X-1"]


@pytest.mark.parametrize(("options", "key", "text"), [
    ({"header_row": 2}, "id_column",
     "'Mã số' is not a column of the header in table.csv, row 2; the headers found: 'X-1', 'a'"),
    ({"header_row": 9}, "header_row", "is 9 but table.csv has only 2 row(s)"),
    ({"modified_column": "Ngày sửa"}, "modified_column",
     "'Ngày sửa' is not a column of the header in table.csv, row 1; the headers found: "
     "'Mã số', 'Tên'"),
], ids=["id-not-in-chosen-row", "header-row-past-end", "modified-column-missing"])
def test_header_errors_name_the_option_and_what_was_found(
    tmp_path: Path, options: dict[str, Any], key: str, text: str
) -> None:
    path = write(tmp_path / "table.csv", [["Mã số", "Tên"], ["X-1", "a"]])

    with pytest.raises(SourceConfigError) as caught:
        read(path, **options)

    assert caught.value.key == key
    assert text in str(caught.value)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"], ids=["csv", "xlsx"])
def test_an_empty_file_is_a_data_error(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"trong{suffix}", [])

    with pytest.raises(SourceDataError, match=f"trong{suffix}.*the sheet is empty"):
        read(path)


def test_a_header_without_data_rows_yields_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "header-only.csv", [["Mã số", "Tên"]])

    assert read(path) == []


def test_a_section_title_written_in_the_id_column_is_not_a_record(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["DANH MỤC NHIỆM VỤ NĂM 2024"])
    ws.append(["Mã số", "Tên nhiệm vụ", "Chủ nhiệm"])
    ws.append(["I. NHIỆM VỤ CẤP TỈNH"])           # one cell of text, in the id column
    ws.append(["DM-1", "Nghiên cứu A", "TS. Lê Văn B"])
    ws.append(["II", "NHIỆM VỤ CẤP CƠ SỞ"])       # numbered section: mark + title
    ws.append(["DM-2", "Nghiên cứu C", "ThS. Trần D"])
    ws.append(["DM-3"])                            # a lone id is kept, to be reported
    wb.save(tmp_path / "s.xlsx")
    records = read(tmp_path / "s.xlsx")
    assert [r.record_id for r in records] == ["DM-1", "DM-2", "DM-3"]
