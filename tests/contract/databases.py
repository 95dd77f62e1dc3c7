"""Harnesses for the sql kind: a table in SQLite, PostgreSQL and MariaDB, written the way the
province's own applications write it (plain SQL, times as Vietnamese wall-clock text)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool, Pool

from connectors.base import Connector, SourceRecord
from connectors.errors import ConnectorError, SourceUnavailable
from connectors.sql import SqlConnector
from tests.contract.harness import EXACT, VIETNAM, Row, closed_port

# Per database: the type of the column saying when a row changed, and of a binary column.
TYPES = {
    "sqlite": ("DATETIME", "BLOB"),
    "postgresql": ("TIMESTAMP", "BYTEA"),
    "mysql": ("DATETIME", "LONGBLOB"),
}


class SqlHarness:
    """A table `nhiem_vu_<random>` in the database at `url`, with a column that says when each
    row changed."""

    name: ClassVar[str] = "qlkh-db"
    unreachable_error: type[ConnectorError] = SourceUnavailable
    has_modified = True
    since = EXACT

    def __init__(self, url: str):
        self.url = url
        self.backend = make_url(url).get_backend_name()
        self.backend = "mysql" if self.backend == "mariadb" else self.backend
        self.table = f"nhiem_vu_{uuid.uuid4().hex[:8]}"
        self.engine: Engine = create_engine(url)
        self.connections = 0
        self.locker: Connection | sqlite3.Connection | None = None
        event.listen(Pool, "connect", self._connected)

    def _connected(self, *_: Any) -> None:
        self.connections += 1

    def options(self, **more: Any) -> dict[str, Any]:
        return {
            "url": self.url,
            "table": self.table,
            "id_column": "ma_so",
            "modified_column": "ngay_cap_nhat",
            **more,
        }

    def run(self, *statements: str, params: Sequence[dict[str, Any]] = ()) -> None:
        with self.engine.begin() as conn:
            for statement in statements:
                if params:
                    conn.execute(text(statement), list(params))
                else:
                    conn.execute(text(statement))

    def create(self, *, binary: bool = False) -> None:
        moment, blob = TYPES[self.backend]
        extra = f", ban_scan {blob} NULL" if binary else ""
        self.run(
            f"DROP TABLE IF EXISTS {self.table}",
            f"CREATE TABLE {self.table} (ma_so VARCHAR(20) PRIMARY KEY, "
            f"ten_nhiem_vu VARCHAR(200), ngay_cap_nhat {moment} NULL{extra})",
        )

    def insert(self, rows: Sequence[Row]) -> None:
        if rows:
            self.run(
                f"INSERT INTO {self.table} (ma_so, ten_nhiem_vu, ngay_cap_nhat) "
                "VALUES (:id, :title, :modified)",
                params=[_values(r) for r in rows],
            )

    def fill(self, rows: Sequence[Row]) -> None:
        self.create()
        self.insert(rows)

    def change(self, rows: Sequence[Row]) -> None:
        for row in rows:
            with self.engine.begin() as conn:
                updated = conn.execute(
                    text(
                        f"UPDATE {self.table} SET ten_nhiem_vu = :title, "
                        "ngay_cap_nhat = :modified WHERE ma_so = :id"
                    ),
                    _values(row),
                )
                if updated.rowcount == 0:
                    conn.execute(
                        text(
                            f"INSERT INTO {self.table} (ma_so, ten_nhiem_vu, "
                            "ngay_cap_nhat) VALUES (:id, :title, :modified)"
                        ),
                        _values(row),
                    )

    def connector(self) -> Connector:
        return SqlConnector(self.name, self.options())

    def touches(self) -> int:
        return self.connections

    def record_id(self, row: Row) -> str:
        return row.id

    def title(self, record: SourceRecord) -> str:
        return str(record.payload["ten_nhiem_vu"])

    def place(self) -> str:
        return self.table

    def unreachable(self) -> tuple[Connector, str]:
        port = closed_port()
        url = make_url(self.url).set(host="127.0.0.1", port=port)
        c = SqlConnector(self.name, {**self.options(), "url": url.render_as_string()})
        return c, f"127.0.0.1:{port}/"

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        # A scanned file in a column, after the good rows: nothing a task record can carry.
        self.create(binary=True)
        self.insert(good)
        later = max(r.modified for r in good)
        self.run(
            f"INSERT INTO {self.table} VALUES ('NV-SCAN', 'Hồ sơ quét', :modified, :scan)",
            params=[{"modified": _wall(later + timedelta(hours=1)), "scan": b"\x89PNG\r\n"}],
        )
        return self.connector(), f"{self.table}, row {len(good) + 1}"

    def hanging(self, timeout: float) -> Connector:
        self.fill([])
        # A connection of its own, outside the pool: closing it must end its session and lock.
        self.locker = create_engine(self.url, poolclass=NullPool).connect()
        lock = {
            "postgresql": f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE",
            "mysql": f"LOCK TABLES {self.table} WRITE",
        }[self.backend]
        self.locker.exec_driver_sql(lock)  # held until close()
        return SqlConnector(self.name, self.options(timeout=timeout))

    def close(self) -> None:
        event.remove(Pool, "connect", self._connected)
        if self.locker is not None:
            self.locker.close()
        try:
            self.run(f"DROP TABLE IF EXISTS {self.table}")
        finally:
            self.engine.dispose()


class SqliteHarness(SqlHarness):
    """A SQLite file, as a small provincial application keeps its data."""

    def __init__(self, folder: Path):
        self.folder = folder
        super().__init__(f"sqlite:///{folder / 'qlkh.sqlite'}")

    def hanging(self, timeout: float) -> Connector:
        # Another program writing: its exclusive lock keeps every reader waiting.
        self.fill([])
        self.locker = sqlite3.connect(self.folder / "qlkh.sqlite", isolation_level=None)
        self.locker.execute("BEGIN EXCLUSIVE")
        return SqlConnector(self.name, self.options(timeout=timeout))

    def unreachable(self) -> tuple[Connector, str]:
        missing = self.folder / "chua-co" / "qlkh.sqlite"
        return SqlConnector(self.name, {**self.options(), "url": f"sqlite:///{missing}"}), str(
            missing
        )


def _values(row: Row) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "modified": _wall(row.modified)}


def _wall(when: Any) -> str:
    """Vietnamese wall-clock time as text, how applications without time zones store it."""
    return str(when.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S"))
