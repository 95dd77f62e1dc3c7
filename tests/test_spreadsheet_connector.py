"""The spreadsheet connector's contract: options checked up front, no I/O before next()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors import (
    SourceConfigError,
    SourceRecord,
    SourceUnavailable,
    connector_class,
    make_connector,
)
from connectors.spreadsheet import SpreadsheetConnector


def test_the_registry_loads_the_spreadsheet_kind() -> None:
    assert connector_class("spreadsheet") is SpreadsheetConnector


@pytest.mark.parametrize("name", ["nhiem-vu.csv", "nhiem-vu.xlsx", "nhiem-vu.xls", "CU.XLS"],
                         ids=["csv", "xlsx", "xls", "upper-case-xls"])
def test_nothing_is_read_before_the_first_next(tmp_path: Path, name: str) -> None:
    c = make_connector("spreadsheet", "tinh", {"path": f"chua-co/{name}", "id_column": "Mã số"},
                       base_dir=tmp_path)
    records = c.records()  # the file does not exist, and nobody has noticed yet

    with pytest.raises(SourceUnavailable) as caught:
        next(records)

    assert str(tmp_path / "chua-co" / name) in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert caught.value.retriable


def test_a_folder_instead_of_a_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "thu-muc.csv").mkdir()
    c = SpreadsheetConnector("tinh", {"path": "thu-muc.csv", "id_column": "Mã số"},
                             base_dir=tmp_path)

    with pytest.raises(SourceUnavailable, match="is not a file"):
        list(c.records())


def test_the_path_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("Mã số\nX-1\n", encoding="utf-8")
    c = SpreadsheetConnector("tinh", {"path": "data/a.csv", "id_column": "Mã số"},
                             base_dir=tmp_path)

    records = list(c.records())

    assert records == [SourceRecord(source="tinh", record_id="X-1", modified_at=None,
                                    payload={"Mã số": "X-1"},
                                    origin={"file": "a.csv", "row": 2,
                                            "columns": {"Mã số": "A"}})]


GOOD = {"path": "a.xlsx", "id_column": "Mã số"}


@pytest.mark.parametrize(("options", "key", "text"), [
    ({"id_column": "Mã số"}, "path", "is required"),
    ({"path": "a.xlsx"}, "id_column", "is required"),
    ({**GOOD, "id_column": ""}, "id_column", "must be a non-empty text"),
    ({**GOOD, "id_column": 3}, "id_column", "must be a non-empty text"),
    ({**GOOD, "path": "a.ods"}, "path", "'a.ods' has an unsupported extension; "
                                        "supported: .csv, .xlsx, .xls"),
    ({**GOOD, "path": "a"}, "path", "supported: .csv, .xlsx, .xls"),
    ({**GOOD, "id_col": "Mã số"}, "id_col", "is not a spreadsheet option; known: delimiter, "
                                            "encoding, header_row, id_column"),
    ({**GOOD, "sheet": 0}, "sheet", "numbers start at 1"),
    ({**GOOD, "sheet": True}, "sheet", "must be a sheet name or a 1-based number"),
    ({**GOOD, "path": "a.csv", "sheet": "Danh sách"}, "sheet", "not .csv"),
    ({**GOOD, "encoding": "cp1258"}, "encoding", "applies to .csv files only"),
    ({**GOOD, "delimiter": ";"}, "delimiter", "applies to .csv files only"),
    ({**GOOD, "path": "a.csv", "encoding": "tcvn3"}, "encoding", "'tcvn3' is not a known"),
    ({**GOOD, "path": "a.csv", "delimiter": ";;"}, "delimiter", "must be auto or one character"),
    ({**GOOD, "header_row": 0}, "header_row", "must be auto or a row number from 1, not 0"),
    ({**GOOD, "header_row": "first"}, "header_row", "not 'first'"),
    ({**GOOD, "header_row": True}, "header_row", "not True"),
], ids=[
    "no-path", "no-id-column", "empty-id-column", "numeric-id-column", "ods", "no-extension",
    "misspelt-option", "sheet-zero", "sheet-bool", "sheet-for-csv", "encoding-for-xlsx",
    "delimiter-for-xlsx", "unknown-encoding", "long-delimiter", "header-row-zero",
    "header-row-word", "header-row-bool",
])
def test_bad_options_stop_the_source_at_construction(
    tmp_path: Path, options: dict[str, Any], key: str, text: str
) -> None:
    with pytest.raises(SourceConfigError) as caught:
        SpreadsheetConnector("tinh", options, base_dir=tmp_path)

    assert caught.value.key == key
    assert str(caught.value).startswith(f"tinh: option {key!r}")
    assert text in str(caught.value)


@pytest.mark.parametrize(("options", "expected"), [
    ({"delimiter": "tab"}, "\t"),
    ({"delimiter": ";"}, ";"),
    ({"delimiter": "auto"}, None),
    ({"header_row": "4"}, 4),
    ({"header_row": 4}, 4),
], ids=["tab-word", "semicolon", "auto", "header-row-text", "header-row-number"])
def test_good_options_are_understood(tmp_path: Path, options: dict[str, Any],
                                     expected: Any) -> None:
    c = SpreadsheetConnector("tinh", {"path": "a.csv", "id_column": "Mã số", **options},
                             base_dir=tmp_path)

    key = next(iter(options))
    assert getattr(c.settings, key) == expected
