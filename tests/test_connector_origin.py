"""Where a record was found, as messages tell it: every connector's origin, described."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.base import SourceRecord, describe_origin
from connectors.rest import RestConnector
from connectors.spreadsheet import SpreadsheetConnector
from connectors.sql import SqlConnector
from connectors.xml import XmlConnector

OAI = "https://kho.example.edu.vn/oai?verb=ListRecords&metadataPrefix=oai_dc"


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        pytest.param(
            {"file": "danh-muc.xlsx", "sheet": "Danh mục", "row": 12, "columns": {"Mã số": "A"}},
            "danh-muc.xlsx, sheet Danh mục, row 12",
            id="xlsx-row",
        ),
        pytest.param(
            {"file": "nhiem-vu.csv", "row": 2, "columns": {"Mã số": "A"}},
            "nhiem-vu.csv, row 2",
            id="csv-row",
        ),
        pytest.param(
            {"file": "exports/tasks.xml", "line": 120, "index": 7},
            "exports/tasks.xml, line 120",
            id="xml-file-line",
        ),
        pytest.param(
            {"url": "https://so-khcn.example/tasks.xml", "line": 4, "index": 1},
            "https://so-khcn.example/tasks.xml, line 4",
            id="xml-download-line",
        ),
        pytest.param(
            {"file": "tasks.xml", "line": None, "index": 3},
            "tasks.xml, item 3",
            id="xml-without-a-line",
        ),
        pytest.param({"table": "nhiem_vu", "row": 17}, "table nhiem_vu, row 17", id="sql-table"),
        pytest.param(
            {"query": "SELECT ma_so, ten FROM v_nhiem_vu WHERE ngay >= :since", "row": 3},
            'query "SELECT ma_so, ten FROM v_nhiem_vu WHERE ngay >= :since", row 3',
            id="sql-query",
        ),
        pytest.param(
            {"url": "https://qlkh.example/api?page=2", "page": 2, "index": 0},
            "https://qlkh.example/api?page=2, page 2, item 0",
            id="rest-first-item",
        ),
        pytest.param(
            {"url": OAI, "page": 3, "index": 1, "identifier": "oai:kho:123"},
            f"{OAI}, page 3, record oai:kho:123",
            id="oaipmh-identifier",
        ),
        pytest.param(
            {"url": OAI, "page": 3, "index": 1},
            f"{OAI}, page 3, item 1",
            id="oaipmh-without-identifier",
        ),
        pytest.param({}, "", id="empty"),
        pytest.param({"shelf": "B2"}, "", id="unknown-keys-left-out"),
    ],
)
def test_each_origin_reads_as_a_place(origin: dict[str, Any], expected: str) -> None:
    assert describe_origin(origin) == expected


def test_a_record_without_an_origin_is_named_by_its_source() -> None:
    assert SourceRecord("qlkh", "1", None, {}).where() == "qlkh"


# What the connectors put, read back ----------------------------------------------------------


def test_a_csv_row_is_named_by_file_and_row(tmp_path: Path) -> None:
    (tmp_path / "nhiem-vu.csv").write_text("Mã số,Tên\nNV-1,Lúa\nNV-2,Cà phê\n", encoding="utf-8")
    source = SpreadsheetConnector(
        "so-khcn", {"path": "nhiem-vu.csv", "id_column": "Mã số"}, base_dir=tmp_path
    )
    assert [r.where() for r in source.records()] == ["nhiem-vu.csv, row 2", "nhiem-vu.csv, row 3"]


def test_an_xml_record_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "tasks.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tasks>\n'
        '  <task id="NV-1"/>\n\n  <task id="NV-2">\n    <ten>Lúa</ten>\n  </task>\n</tasks>\n',
        encoding="utf-8",
    )
    source = XmlConnector(
        "so-khcn", {"path": "tasks.xml", "record": "task", "id": "@id"}, base_dir=tmp_path
    )
    assert [r.where() for r in source.records()] == ["tasks.xml, line 3", "tasks.xml, line 5"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "qlkh.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE nhiem_vu (ma_so TEXT PRIMARY KEY, ngay TEXT)")
        db.executemany(
            "INSERT INTO nhiem_vu VALUES (?, ?)", [("NV-1", "2024-05-01"), ("NV-2", "2024-05-02")]
        )
    return f"sqlite:///{path}"


def test_a_table_row_is_named_by_table_and_row(sqlite_url: str) -> None:
    source = SqlConnector("qlkh", {"url": sqlite_url, "table": "nhiem_vu", "id_column": "ma_so"})
    assert [r.where() for r in source.records()] == [
        "table nhiem_vu, row 1",
        "table nhiem_vu, row 2",
    ]


def test_a_query_row_is_named_by_the_query_and_row(sqlite_url: str) -> None:
    query = "SELECT ma_so FROM nhiem_vu WHERE ngay >= :since"
    source = SqlConnector("qlkh", {"url": sqlite_url, "query": query, "id_column": "ma_so"})
    assert [r.where() for r in source.records()] == [
        f'query "{query}", row 1',
        f'query "{query}", row 2',
    ]


@responses.activate
def test_an_api_item_is_named_by_page_url_and_index() -> None:
    url = "https://qlkh.example/api/nhiem-vu"
    responses.get(url, json={"items": [{"id": 1}, {"id": 2}]})
    source = RestConnector(
        "qlkh", {"url": url, "pagination": "none", "records_path": "items"}, sleep=lambda _: None
    )
    assert [r.where() for r in source.records()] == [
        f"{url}, page 1, item 0",
        f"{url}, page 1, item 1",
    ]
