"""The spreadsheet connector on .xlsx workbooks: dates, `since`, sheets, damaged files."""

from __future__ import annotations

import logging
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from connectors import SourceConfigError, SourceDataError
from connectors.spreadsheet import SpreadsheetConnector

ICT = timezone(timedelta(hours=7))
HEADER = ["Mã số", "Tên nhiệm vụ", "Ngày bắt đầu", "Ngày cập nhật"]


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def connector(path: Path, **options: Any) -> SpreadsheetConnector:
    options.setdefault("id_column", "Mã số")
    return SpreadsheetConnector("tinh", {"path": path.name, **options}, base_dir=path.parent)


@pytest.fixture
def dated(tmp_path: Path) -> Path:
    """One row per way a province writes its modification date."""
    return workbook(tmp_path / "nhiem-vu.xlsx", {"Danh sách": [
        HEADER,
        # Excel cells hold wall-clock times without a zone
        ["DT", "ô ngày giờ", date(2024, 1, 15), datetime(2024, 3, 10, 14, 30)],  # noqa: DTZ001
        ["VN", "chữ dd/mm/yyyy", None, "05/03/2024"],
        ["ISO", "chữ ISO có múi giờ", None, "2024-03-12T08:00:00+00:00"],
        ["SERIAL", "số serial Excel", None, 45366],
        ["EMPTY", "không có ngày", None, None],
        ["BAD", "ngày sai", None, "hôm qua"],
    ]})


def test_xlsx_dates_are_aware_in_vietnam_time(dated: Path) -> None:
    first = next(iter(connector(dated).records()))

    assert first.payload["Ngày bắt đầu"] == datetime(2024, 1, 15, tzinfo=ICT)
    assert first.payload["Ngày bắt đầu"].utcoffset() == timedelta(hours=7)
    assert first.payload["Ngày cập nhật"] == datetime(2024, 3, 10, 14, 30, tzinfo=ICT)


def test_modified_at_is_read_from_every_date_form(dated: Path) -> None:
    records = connector(dated, modified_column="Ngày cập nhật").records()

    assert {r.record_id: r.modified_at for r in records} == {
        "DT": datetime(2024, 3, 10, 14, 30, tzinfo=ICT),
        "VN": datetime(2024, 3, 5, tzinfo=ICT),
        "ISO": datetime(2024, 3, 12, 15, 0, tzinfo=ICT),
        "SERIAL": datetime(2024, 3, 15, tzinfo=ICT),
        "EMPTY": None,
        "BAD": None,
    }


def test_an_unreadable_date_is_logged_with_its_place(
    dated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.spreadsheet"):
        list(connector(dated, modified_column="Ngày cập nhật").records())

    assert "nhiem-vu.xlsx, sheet 'Danh sách', row 7, column 'Ngày cập nhật'" in caplog.text
    assert "'hôm qua' is not a date" in caplog.text


@pytest.mark.parametrize(("since", "expected"), [
    (datetime(2024, 3, 10, 14, 30, tzinfo=ICT), ["DT", "ISO", "SERIAL", "EMPTY", "BAD"]),
    (datetime(2024, 3, 10, 14, 31, tzinfo=ICT), ["ISO", "SERIAL", "EMPTY", "BAD"]),
    # a date-only cell may mean any time that day, so 05/03 is kept on the 5th in Vietnam
    (datetime(2024, 3, 5, 1, 0, tzinfo=timezone.utc),
     ["DT", "VN", "ISO", "SERIAL", "EMPTY", "BAD"]),
    (datetime(2024, 3, 20, tzinfo=ICT), ["EMPTY", "BAD"]),
], ids=["at-a-modification", "a-minute-later", "same-day-as-a-date-only-cell", "after-all"])
def test_since_skips_rows_modified_before_it(dated: Path, since: datetime,
                                             expected: list[str]) -> None:
    records = connector(dated, modified_column="Ngày cập nhật").records(since)

    # rows whose date is empty or unreadable are kept: they may have changed
    assert [r.record_id for r in records] == expected


def test_without_a_modified_column_since_yields_every_row(dated: Path) -> None:
    records = connector(dated).records(datetime(2030, 1, 1, tzinfo=ICT))

    assert len(list(records)) == 6


def test_since_must_be_timezone_aware(dated: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        connector(dated).records(datetime(2024, 1, 1))  # noqa: DTZ001 - the point of the test


@pytest.fixture
def two_sheets(tmp_path: Path) -> Path:
    return workbook(tmp_path / "hai-sheet.xlsx", {
        "Hướng dẫn": [["Điền mỗi nhiệm vụ một dòng"]],
        "Danh sách": [["Mã số", "Tên"], ["X-1", "a"]],
    })


@pytest.mark.parametrize("sheet", ["Danh sách", "danh  SÁCH", 2],
                         ids=["name", "loose-name", "index"])
def test_a_sheet_is_chosen_by_name_or_number(two_sheets: Path, sheet: str | int) -> None:
    records = list(connector(two_sheets, sheet=sheet).records())

    assert [r.record_id for r in records] == ["X-1"]
    assert records[0].origin["sheet"] == "Danh sách"


def test_the_first_sheet_is_the_default(two_sheets: Path) -> None:
    with pytest.raises(SourceConfigError, match="sheet 'Hướng dẫn'"):
        list(connector(two_sheets).records())


@pytest.mark.parametrize(("sheet", "text"), [
    ("Tổng hợp", "'Tổng hợp' is not in hai-sheet.xlsx; its sheets: 'Hướng dẫn', 'Danh sách'"),
    (3, "is 3 but hai-sheet.xlsx has 2 sheet(s): 'Hướng dẫn', 'Danh sách'"),
], ids=["unknown-name", "number-too-big"])
def test_an_unknown_sheet_lists_the_sheets(two_sheets: Path, sheet: str | int, text: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        list(connector(two_sheets, sheet=sheet).records())

    assert caught.value.key == "sheet"
    assert text in str(caught.value)


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


@pytest.mark.parametrize(("make", "text"), [
    (lambda p: p.write_bytes(b"Ma so,Ten\nX-1,a\n"), "not a zip archive"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
     "Excel 97-2003 workbook: name it .xls"),
    (_zip_without_workbook, "is not a readable .xlsx workbook"),
], ids=["text-file", "xls-named-xlsx", "zip-without-workbook"])
def test_a_damaged_workbook_is_a_data_error_naming_the_file(tmp_path: Path, make: Any,
                                                            text: str) -> None:
    path = tmp_path / "hong.xlsx"
    make(path)

    with pytest.raises(SourceDataError) as caught:
        list(connector(path).records())

    assert "hong.xlsx" in str(caught.value)
    assert text in str(caught.value)


def test_close_ends_a_read_in_progress(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dai.xlsx", {"S": [["Mã số"], *([f"X-{i}"] for i in range(50))]})
    c = connector(path)
    records = c.records()
    next(records)

    c.close()

    assert list(records) == []
