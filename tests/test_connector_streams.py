"""What the file and database connectors (spreadsheet, xml, sql) share through the Connector
base: a naive `since` refused at once, `close()` ending every read still open and letting go of
its file, and the text options checked alike."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import SourceConfigError
from connectors.spreadsheet import SpreadsheetConnector
from connectors.sql import SqlConnector
from connectors.xml import XmlConnector

VN = timezone(timedelta(hours=7))
IDS = ["NV-1", "NV-2", "NV-3"]


def csv_source(folder: Path, **extra: Any) -> tuple[Connector, Path]:
    path = folder / "nhiem-vu.csv"
    path.write_text("Mã số,Tên\n" + "".join(f"{i},Nhiệm vụ {i}\n" for i in IDS),
                    encoding="utf-8")
    return SpreadsheetConnector("tinh", {"path": path.name, "id_column": "Mã số", **extra},
                                base_dir=folder), path


def xml_source(folder: Path, **extra: Any) -> tuple[Connector, Path]:
    path = folder / "nhiem-vu.xml"
    path.write_text("<ds>" + "".join(f'<nv ma="{i}"/>' for i in IDS) + "</ds>",
                    encoding="utf-8")
    return XmlConnector("tinh", {"path": path.name, "record": "nv", "id": "@ma", **extra},
                        base_dir=folder), path


def sqlite_source(folder: Path, **extra: Any) -> tuple[Connector, Path]:
    path = folder / "qlkh.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE nhiem_vu (ma_so TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO nhiem_vu VALUES (?)", [(i,) for i in IDS])
    db.close()
    return SqlConnector("tinh", {"url": f"sqlite:///{path.name}", "table": "nhiem_vu",
                                 "id_column": "ma_so", **extra}, base_dir=folder), path


KINDS = pytest.mark.parametrize("make", [csv_source, xml_source, sqlite_source],
                                ids=["spreadsheet", "xml", "sql"])
Make = Callable[..., tuple[Connector, Path]]


def open_handles(path: Path) -> int:
    """How many of this process's file descriptors point at `path` (Linux)."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd) == str(path.resolve())
        except OSError:  # the descriptor listdir itself used, gone by now
            continue
    return count


@KINDS
def test_a_naive_since_is_refused_when_records_is_called(tmp_path: Path, make: Make) -> None:
    connector, path = make(tmp_path)
    path.unlink()  # had anything been opened, the error would be a missing source instead

    with pytest.raises(ValueError, match="tinh: since must be timezone-aware") as caught:
        connector.records(datetime(2024, 5, 1))  # noqa: DTZ001 - the mistake under test

    assert "2024, 5, 1" in str(caught.value)


@KINDS
def test_an_aware_since_is_accepted(tmp_path: Path, make: Make) -> None:
    connector, _ = make(tmp_path)

    got = [r.record_id for r in connector.records(datetime(2024, 5, 1, tzinfo=VN))]

    assert got == IDS  # no modification column: every record


@KINDS
def test_close_ends_every_read_still_open(tmp_path: Path, make: Make) -> None:
    connector, _ = make(tmp_path)
    first, second = connector.records(), connector.records()
    assert next(first).record_id == "NV-1"
    assert [next(second).record_id, next(second).record_id] == ["NV-1", "NV-2"]

    connector.close()

    assert list(first) == []
    assert list(second) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
@KINDS
def test_close_lets_go_of_the_source_file(tmp_path: Path, make: Make) -> None:
    connector, path = make(tmp_path)
    reads = [connector.records(), connector.records()]
    for read in reads:
        next(read)
    assert open_handles(path) >= len(reads)  # the probe sees open files: the last assert means it

    connector.close()

    assert open_handles(path) == 0


@KINDS
def test_close_after_reads_that_ended_or_were_dropped_is_harmless(tmp_path: Path,
                                                                   make: Make) -> None:
    connector, _ = make(tmp_path)
    assert [r.record_id for r in connector.records()] == IDS
    dropped = connector.records()
    next(dropped)
    del dropped

    connector.close()
    connector.close()

    assert [r.record_id for r in connector.records()] == IDS  # still usable after close


@KINDS
@pytest.mark.parametrize("value", ["", "   ", 5, ["Mã số"]],
                         ids=["empty", "spaces", "number", "list"])
def test_an_id_option_that_is_not_text_is_refused_naming_the_key(tmp_path: Path, make: Make,
                                                                 value: Any) -> None:
    key = {csv_source: "id_column", xml_source: "id", sqlite_source: "id_column"}[make]

    with pytest.raises(SourceConfigError) as caught:
        make(tmp_path, **{key: value})

    assert caught.value.key == key
    assert f"must be a non-empty text, not {value!r}" in str(caught.value)


@pytest.mark.parametrize(("make", "key", "padded"), [
    (xml_source, "id", "  @ma "),
    (sqlite_source, "id_column", " ma_so  "),
], ids=["xml", "sql"])
def test_spaces_around_a_text_option_are_ignored(tmp_path: Path, make: Make, key: str,
                                                  padded: str) -> None:
    connector, _ = make(tmp_path, **{key: padded})

    assert [r.record_id for r in connector.records()] == IDS
