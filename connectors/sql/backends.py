"""What differs between databases: driver timeouts, the read-only transaction, the SQL dialect.

How each database keeps a read read-only:

* PostgreSQL: `SET TRANSACTION READ ONLY` opens the transaction; the server refuses any write
  in it, including `nextval()` and functions that write.
* MariaDB / MySQL: `START TRANSACTION READ ONLY`; the server refuses writes to tables in it.
* SQL Server has no read-only transaction. The query guard is the first line; the second is the
  login: give stisync one that is only in `db_datareader`. The transaction is rolled back at the
  end, so a write that slipped through a function is not kept.
* SQLite: `PRAGMA query_only = ON` for the connection.

Timeouts: every driver gets a connect timeout; the statement timeout is set in the session
where the database has one (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`,
MySQL `max_execution_time`) and as the driver's query timeout for SQL Server. MariaDB and MySQL
count the whole streamed read against it, including the time stisync spends on the rows. SQLite
has none: the timeout bounds how long a read waits for another program's write lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.types import Date, DateTime, TypeEngine

# Naive DATETIME columns and `:since` are Vietnamese wall-clock time; sessions are set to it so
# that TIMESTAMP / timestamptz values compare in the same time.
VIETNAM_ZONE = "Asia/Ho_Chi_Minh"
VIETNAM_OFFSET = "+07:00"


def _read_grace(timeout: float) -> float:
    # The server's own statement timeout should fire first: its message is the clearer one.
    return max(2.0, timeout / 10)


@dataclass(frozen=True)
class Backend:
    """A database family as the connector treats it."""

    name: str
    sqlglot: str | None
    read_only: str
    installs: str | None  # the stisync extra that brings its driver


_BACKENDS = {
    "postgresql": Backend("postgresql", "postgres", "SET TRANSACTION READ ONLY", "postgres"),
    "mysql": Backend("mysql", "mysql", "START TRANSACTION READ ONLY", "mysql"),
    "mssql": Backend("mssql", "tsql", "none (use a login in db_datareader only)", "mssql"),
    "sqlite": Backend("sqlite", "sqlite", "PRAGMA query_only = ON", None),
}


def backend_for(url: URL) -> Backend:
    name = url.get_backend_name()
    name = "mysql" if name == "mariadb" else name
    return _BACKENDS.get(name, Backend(name, None, "none known", None))


def connect_args(url: URL, timeout: float, connect_timeout: float) -> dict[str, Any]:
    """The driver's own settings for the connect timeout and a client-side read timeout."""
    driver = url.get_driver_name()
    whole = math.ceil(connect_timeout)
    read = math.ceil(timeout + _read_grace(timeout))
    if driver in ("psycopg", "psycopg2"):
        # libpq waits at least 2 s; keepalives notice a server that vanished mid-read.
        return {
            "connect_timeout": max(2, whole),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
    if driver == "pg8000":
        return {"timeout": read}
    if driver in ("pymysql", "mysqldb", "mariadbconnector"):
        # The read timeout also bounds the handshake of a server that accepts and says nothing.
        return {"connect_timeout": whole, "read_timeout": read, "write_timeout": read}
    if driver == "mysqlconnector":
        return {"connection_timeout": whole}
    if driver == "pymssql":
        return {"login_timeout": whole, "timeout": math.ceil(timeout)}
    if driver == "pytds":
        return {"login_timeout": connect_timeout, "timeout": timeout}
    if driver == "pyodbc":
        return {"timeout": whole}  # pyodbc's timeout is the login timeout
    if driver == "pysqlite":
        # sqlite3's timeout is how long a statement waits for another program's lock: SQLite's
        # only statement timeout. Opening a file never waits.
        return {"timeout": timeout}
    return {}


def driver_sets_timeouts(url: URL) -> bool:
    return bool(connect_args(url, 1.0, 1.0))


def begin_read(conn: Connection, timeout: float) -> None:
    """Open the read-only transaction and set the session's statement timeout and time zone.

    Must be the first thing done on a new connection: PostgreSQL accepts READ ONLY only
    before the transaction's first query.
    """
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.execute(
            text(
                "SELECT set_config('statement_timeout', :ms, true), "
                "set_config('TimeZone', :zone, true)"
            ),
            {"ms": str(max(1, round(timeout * 1000))), "zone": VIETNAM_ZONE},
        )
    elif name in ("mysql", "mariadb"):
        conn.execute(text("SET SESSION time_zone = :zone"), {"zone": VIETNAM_OFFSET})
        # A slow consumer of a streamed result would otherwise be cut off after 60 s.
        if getattr(conn.dialect, "is_mariadb", False):
            conn.execute(
                text("SET SESSION max_statement_time = :s, net_write_timeout = :w"),
                {"s": timeout, "w": math.ceil(timeout)},
            )
        else:
            conn.execute(
                text("SET SESSION max_execution_time = :ms, net_write_timeout = :w"),
                {"ms": max(1, round(timeout * 1000)), "w": math.ceil(timeout)},
            )
        conn.exec_driver_sql("START TRANSACTION READ ONLY")
    elif name == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")


def is_date_only(column_type: TypeEngine[Any]) -> bool:
    return isinstance(column_type, Date) and not isinstance(column_type, DateTime)


def has_offset(column_type: TypeEngine[Any]) -> bool:
    """Whether the column holds instants (timestamptz, datetimeoffset), not wall-clock time."""
    # SQLAlchemy's SQL Server DATETIMEOFFSET does not set `timezone`.
    return isinstance(column_type, DateTime) and (
        bool(column_type.timezone) or type(column_type).__name__ == "DATETIMEOFFSET"
    )
