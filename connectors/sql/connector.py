"""SqlConnector: a table, a view or one SELECT in a provincial database as a source."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from connectors.base import Connector, SourceRecord
from connectors.errors import SourceConfigError, SourceDataError
from connectors.sql import sqlite
from connectors.sql.backends import backend_for, begin_read, connect_args, driver_sets_timeouts
from connectors.sql.failures import explain
from connectors.sql.options import SqlSettings, read_settings, url_from_config
from connectors.sql.query import check_query
from connectors.sql.statement import (
    QUERY_RESULT,
    TABLE,
    Plan,
    parse_table_name,
    pick_column,
    query_plan,
    table_plan,
)
from connectors.sql.values import BinaryValue, is_deleted, moment, plain

logger = logging.getLogger(__name__)

# Past this many, unreadable modification times and deleted flags are logged at debug level.
_WARNINGS = 10


class SqlConnector(Connector):
    """Streams the rows of a table, a view or one SELECT, each as a SourceRecord.

    The constructor checks the options, reads the URL from the environment or a file, parses
    and vets the query, and loads the driver; nothing touches the database until the first
    `next()` on `records()`. Each read runs in its own connection and read-only transaction,
    rolled back at the end. Options: see connectors/sql/__init__.py.
    """

    kind: ClassVar[str] = "sql"

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None):
        super().__init__(name, options, base_dir=base_dir)
        url_text = url_from_config(name, self.options) or self.secret("url", required=True)
        settings = read_settings(name, self.options, url_text or "")
        self.settings: SqlSettings = replace(
            settings, url=sqlite.resolve(settings.url, self.base_dir)
        )
        self.backend = backend_for(self.settings.url)
        self._check_driver()
        s = self.settings
        self.table = parse_table_name(name, s.table, self.backend.sqlglot) if s.table else None
        self.query = check_query(name, s.query, self.backend.sqlglot) if s.query else None
        self.what = self._describe()
        self._warnings = 0

    def records(self, since: datetime | None = None) -> Generator[SourceRecord, None, None]:
        """Rows modified at or after `since` (all rows when None).

        With `table` and a modified_column, rows whose modification time is empty are read too:
        they may have changed. With `query`, the query decides, given :since (1900-01-01 on a
        full read).
        """
        self._check_since(since)
        return self._track(self._read(since))

    # The read -----------------------------------------------------------------------------

    def _read(self, since: datetime | None) -> Generator[SourceRecord, None, None]:
        s = self.settings
        sqlite.require_file(self.name, s.url)
        engine = self._engine()
        logger.debug(
            "%s: reading %s from %s (read-only: %s)",
            self.name,
            self.what,
            s.where,
            self.backend.read_only,
        )
        try:
            with self._connect(engine) as conn:
                yield from self._rows(conn, since)
        except DBAPIError as exc:
            raise explain(self.name, exc, s) from exc
        finally:
            engine.dispose()

    def _rows(
        self, conn: Connection, since: datetime | None
    ) -> Generator[SourceRecord, None, None]:
        s = self.settings
        begin_read(conn, s.timeout)
        plan = self._plan(conn, since)
        streaming = conn.execution_options(stream_results=True, yield_per=s.batch_size)
        result = streaming.execute(plan.statement, plan.params)
        try:
            columns = list(result.keys())
            picks = self._columns(columns)
            number = 0
            for number, row in enumerate(result, start=1):
                yield self._record(columns, picks, row, number)
            logger.debug("%s: read %s rows from %s", self.name, number, s.where)
        finally:
            # Closed here, before the rollback: PyMySQL must finish (read out) a streamed
            # result before the connection takes another command, and PostgreSQL frees the
            # server-side cursor. An error here must not hide the one being raised.
            with suppress(DBAPIError):
                result.close()

    def _plan(self, conn: Connection, since: datetime | None) -> Plan:
        if self.table is not None:
            return table_plan(self.name, conn, self.settings, self.table, since)
        return query_plan(self.settings, since)

    def _columns(self, columns: Sequence[str]) -> tuple[int, int | None, int | None]:
        """Positions of the id, modified and deleted columns in the result."""
        s = self.settings
        what = TABLE if self.table is not None else QUERY_RESULT
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                raise SourceConfigError(
                    self.name,
                    "query",
                    f"returns column {column!r} twice; name each column once (… AS another_name)",
                    f"trả về cột {column!r} hai lần; hãy đặt cho mỗi cột một tên riêng "
                    "(… AS ten_khac)",
                )
            seen.add(column)

        def find(key: str, wanted: str) -> int:
            return columns.index(pick_column(self.name, key, wanted, columns, what))

        return (
            find("id_column", s.id_column),
            find("modified_column", s.modified_column) if s.modified_column else None,
            find("deleted_column", s.deleted_column) if s.deleted_column else None,
        )

    def _record(
        self,
        columns: Sequence[str],
        picks: tuple[int, int | None, int | None],
        row: Row[Any],
        number: int,
    ) -> SourceRecord:
        id_at, modified_col, deleted_col = picks
        origin = {"table" if self.table is not None else "query": self.what, "row": number}
        where = f"{self.what}, row {number}"
        payload: dict[str, Any] = {}
        for column, value in zip(columns, row, strict=True):
            try:
                payload[column] = plain(value)
            except BinaryValue as exc:
                raise SourceDataError(
                    self.name,
                    f"column {column!r} {exc}; leave binary columns "
                    "out (a query or a view without them)",
                    where=where,
                    message_vi=f"cột {column!r} {exc.vi}; hãy bỏ các cột nhị phân ra (dùng một "
                    "query hoặc view không có chúng)",
                    where_vi=f"{self.what}, dòng {number}",
                ) from None
        raw_id = payload[columns[id_at]]
        record_id = "" if raw_id is None else str(raw_id).strip()
        if not record_id:
            # Passed on rather than dropped: the run reports it as a record without an id.
            self._warn("%s: %s has no id in column %r", self.name, where, columns[id_at])
        return SourceRecord(
            source=self.name,
            record_id=record_id,
            modified_at=self._moment(row, modified_col, columns, where),
            payload=payload,
            deleted=self._deleted(row, deleted_col, columns, where),
            origin=origin,
        )

    def _moment(
        self, row: Row[Any], at: int | None, columns: Sequence[str], where: str
    ) -> datetime | None:
        if at is None:
            return None
        try:
            return moment(row[at])
        except ValueError as exc:
            # The row is still yielded: a record whose time cannot be read may have changed.
            self._warn(
                "%s: %s, column %r: %s; the row is read as changed",
                self.name,
                where,
                columns[at],
                exc,
            )
            return None

    def _deleted(self, row: Row[Any], at: int | None, columns: Sequence[str], where: str) -> bool:
        if at is None:
            return False
        try:
            return is_deleted(row[at])
        except ValueError as exc:
            # Read as present: a wrong "deleted" would take a record off the national side.
            self._warn(
                "%s: %s, column %r: %s; the row is read as not deleted",
                self.name,
                where,
                columns[at],
                exc,
            )
            return False

    # Set-up -------------------------------------------------------------------------------

    def _engine(self) -> Engine:
        s = self.settings
        # NullPool: a run holds one connection and gives it back to the server when it ends.
        return create_engine(
            sqlite.open_existing(s.url),
            poolclass=NullPool,
            connect_args=connect_args(s.url, s.timeout, s.connect_timeout),
        )

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except UnicodeEncodeError as exc:
            # PyMySQL sends the login in Latin-1: "mật-khẩu" fails before the server sees it.
            raise SourceConfigError(
                self.name,
                self.settings.url_key,
                f"holds a URL whose "
                f"driver cannot send the user name or password "
                f"({exc.reason}); use ASCII characters in them",
                f"chứa một URL mà driver không gửi được tên đăng nhập hoặc mật khẩu "
                f"({exc.reason}); hãy chỉ dùng ký tự ASCII trong đó",
            ) from None

    def _check_driver(self) -> None:
        url = self.settings.url
        try:
            url.get_dialect().import_dbapi()
        except NoSuchModuleError:
            raise SourceConfigError(
                self.name,
                self.settings.url_key,
                f"names database kind {url.drivername!r}, which SQLAlchemy does not know",
                f"ghi loại cơ sở dữ liệu {url.drivername!r}, loại mà SQLAlchemy không biết",
            ) from None
        except ImportError as exc:
            extra = self.backend.installs
            hint = f" (pip install 'stisync[{extra}]')" if extra else ""
            raise SourceConfigError(
                self.name,
                self.settings.url_key,
                f"needs the {url.get_driver_name()} driver, which is not installed{hint}: {exc}",
                f"cần driver {url.get_driver_name()}, driver này chưa được cài đặt{hint}: {exc}",
            ) from None
        if self.backend.sqlglot is None:
            logger.warning(
                "%s: stisync knows no read-only transaction for %s; only the query "
                "check and the login's rights keep the read read-only",
                self.name,
                self.backend.name,
            )
        if not driver_sets_timeouts(url):
            logger.warning(
                "%s: no timeouts are known for the %s driver; a database that "
                "hangs may hold the run",
                self.name,
                url.get_driver_name(),
            )

    def _describe(self) -> str:
        if self.table is not None:
            return self.table.text
        text = " ".join((self.query or "").split())
        return text if len(text) <= 60 else text[:57] + "..."

    def _warn(self, message: str, *args: Any) -> None:
        self._warnings += 1
        level = logging.WARNING if self._warnings <= _WARNINGS else logging.DEBUG
        logger.log(level, message, *args)
