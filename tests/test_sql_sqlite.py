"""The sql connector on SQLite files: times as other programs write them, a file that is not
there, a writer's lock, a file that is not a database."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceConfigError, SourceDataError, SourceUnavailable
from connectors.sql import SqlConnector

VN = timezone(timedelta(hours=7))
TABLE: dict[str, Any] = {
    "table": "nhiem_vu",
    "id_column": "ma_so",
    "modified_column": "ngay_cap_nhat",
}


def database(path: Path, rows: list[tuple[str, str | None]]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE nhiem_vu (ma_so TEXT PRIMARY KEY, ngay_cap_nhat DATETIME)")
        db.executemany("INSERT INTO nhiem_vu VALUES (?, ?)", rows)
    db.close()
    return path


def read(url: str, since: datetime | None = None, **options: Any) -> list[str]:
    return [
        r.record_id for r in SqlConnector("qlkh", {"url": url, **TABLE, **options}).records(since)
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2024-05-02 09:00:00",
        "2024-05-02T09:00:00",
        "2024-05-02 09:00:00.000000",
        "2024-05-02 09:00",
    ],
    ids=["seconds", "iso-t", "microseconds", "minutes"],
)
def test_a_row_written_at_since_is_read_whatever_form_its_time_takes(
    tmp_path: Path, written: str
) -> None:
    path = database(
        tmp_path / "qlkh.sqlite",
        [("NV-1", "2024-05-02 08:59:59"), ("NV-2", written), ("NV-3", "2024-05-02 09:00:01")],
    )

    got = read(f"sqlite:///{path}", datetime(2024, 5, 2, 9, tzinfo=VN))

    assert got == ["NV-2", "NV-3"]


def test_rows_without_a_readable_time_are_read_as_changed(tmp_path: Path) -> None:
    path = database(
        tmp_path / "qlkh.sqlite",
        [("NV-1", "2024-05-01 08:00:00"), ("NV-2", None), ("NV-3", ""), ("NV-4", "chưa cập nhật")],
    )
    c = SqlConnector("qlkh", {"url": f"sqlite:///{path}", **TABLE})

    got = {r.record_id: r for r in c.records(datetime(2024, 5, 2, tzinfo=VN))}

    assert sorted(got) == ["NV-2", "NV-3", "NV-4"]
    assert all(r.modified_at is None for r in got.values())
    assert got["NV-4"].payload["ngay_cap_nhat"] == "chưa cập nhật"


def test_since_in_another_zone_is_compared_as_vietnamese_wall_clock_time(tmp_path: Path) -> None:
    path = database(
        tmp_path / "qlkh.sqlite", [("NV-1", "2024-05-02 08:59:59"), ("NV-2", "2024-05-02 09:00:00")]
    )

    got = read(f"sqlite:///{path}", datetime(2024, 5, 2, 2, tzinfo=timezone.utc))

    assert got == ["NV-2"]


def test_a_relative_file_is_found_beside_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    database(tmp_path / "data" / "qlkh.sqlite", [("NV-1", "2024-05-01 08:00:00")])
    monkeypatch.chdir(tmp_path / "data")  # never the working directory's file

    c = SqlConnector("qlkh", {"url": "sqlite:///data/qlkh.sqlite", **TABLE}, base_dir=tmp_path)

    assert [r.record_id for r in c.records()] == ["NV-1"]


def test_a_missing_file_is_unavailable_and_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "chua-co" / "qlkh.sqlite"
    (tmp_path / "chua-co").mkdir()

    with pytest.raises(SourceUnavailable) as caught:
        read(f"sqlite:///{missing}")

    assert str(caught.value) == f"qlkh: file {missing} does not exist"
    assert caught.value.retriable
    assert not missing.exists()


def test_a_file_that_is_not_a_database_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "qlkh.sqlite"
    path.write_text("Mã số,Tên\nNV-1,Lúa\n", encoding="utf-8")

    with pytest.raises(SourceDataError) as caught:
        read(f"sqlite:///{path}")

    assert str(caught.value) == f"qlkh: {path}: file is not a database"


def test_a_query_on_a_missing_table_is_a_configuration_error(tmp_path: Path) -> None:
    path = database(tmp_path / "qlkh.sqlite", [])
    query = "SELECT ma_so FROM nhiem_vu_cu WHERE ngay_cap_nhat >= :since"

    with pytest.raises(SourceConfigError) as caught:
        list(
            SqlConnector(
                "qlkh", {"url": f"sqlite:///{path}", "query": query, "id_column": "ma_so"}
            ).records()
        )

    assert caught.value.key == "query"
    assert f"cannot be read from {path}: no such table: nhiem_vu_cu" in str(caught.value)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A database another program is writing to: its exclusive lock keeps readers out."""
    path = database(tmp_path / "qlkh.sqlite", [("NV-1", "2024-05-01 08:00:00")])
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        yield path
    finally:
        writer.close()


def test_a_writers_lock_is_waited_for_up_to_the_timeout(locked: Path) -> None:
    started = time.monotonic()

    with pytest.raises(SourceUnavailable) as caught:
        read(f"sqlite:///{locked}", timeout=0.5)

    assert 0.4 <= time.monotonic() - started < 5
    assert str(caught.value) == (
        f"qlkh: {locked} stayed locked by another program past the 0.5 s timeout "
        "(database is locked); the next run tries again"
    )
