"""SQL Server: the sql connector's dialect-specific parts, as unit tests.

There is no SQL Server on this machine or in CI, so nothing here connects: these tests check
what stisync would send (driver timeouts, the SELECT as T-SQL, the query guard in T-SQL) and
how it reads SQL Server's error numbers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from unittest.mock import MagicMock

import pytest
from sqlalchemy.dialects import mssql
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.types import DateTime, TypeEngine, Unicode

from connectors.errors import (
    ConnectorError,
    SourceAuthError,
    SourceConfigError,
    SourceUnavailable,
)
from connectors.sql.backends import backend_for, begin_read, connect_args
from connectors.sql.failures import explain
from connectors.sql.options import SqlSettings, read_settings
from connectors.sql.query import check_query
from connectors.sql.statement import TableName, parse_table_name, rows_plan

URL = "mssql+pymssql://dongbo:bi-mat@sql.qlkh.local:1433/QLKH"
SINCE = datetime(2024, 5, 30, 17, 30, tzinfo=timezone.utc)  # 31/05 00:30 in Vietnam


def settings(**options: Any) -> SqlSettings:
    return read_settings("qlkh", {"table": "dbo.nhiem_vu", "id_column": "ma_so", **options}, URL)


def test_sql_server_is_parsed_as_t_sql_and_has_no_read_only_transaction() -> None:
    backend = backend_for(settings().url)

    assert backend.sqlglot == "tsql"
    assert backend.installs == "mssql"
    assert "none" in backend.read_only


@pytest.mark.parametrize(("driver", "expected"), [
    ("pymssql", {"login_timeout": 10, "timeout": 300}),
    ("pytds", {"login_timeout": 7.5, "timeout": 300.0}),
    ("pyodbc", {"timeout": 8}),
], ids=["pymssql", "pytds", "pyodbc-login-only"])
def test_driver_timeouts(driver: str, expected: dict[str, Any]) -> None:
    url = settings().url.set(drivername=f"mssql+{driver}")
    connect = 7.5 if driver != "pymssql" else 10.0
    assert connect_args(url, 300.0, connect) == expected


def test_nothing_is_sent_to_open_a_read_on_sql_server() -> None:
    conn = MagicMock()
    conn.dialect.name = "mssql"

    begin_read(conn, 300.0)

    conn.execute.assert_not_called()
    conn.exec_driver_sql.assert_not_called()


def test_the_table_select_in_t_sql() -> None:
    s = settings(modified_column="NgayCapNhat")
    name = parse_table_name("qlkh", "[dbo].[Nhiệm vụ]", "tsql")
    columns: list[tuple[str, TypeEngine[Any]]] = [
        ("ma_so", Unicode(20)), ("Tên nhiệm vụ", Unicode(500)), ("NgayCapNhat", mssql.DATETIME2())]

    plan = rows_plan("qlkh", name, columns, s, SINCE)
    sql = str(plan.statement.compile(dialect=mssql.dialect()))

    assert name == TableName("Nhiệm vụ", "dbo")
    assert "FROM dbo.[Nhiệm vụ]" in sql
    assert "[Tên nhiệm vụ]" in sql
    assert ("WHERE dbo.[Nhiệm vụ].[NgayCapNhat] >= :since "
            "OR dbo.[Nhiệm vụ].[NgayCapNhat] IS NULL") in sql
    assert sql.endswith("ORDER BY dbo.[Nhiệm vụ].[NgayCapNhat], dbo.[Nhiệm vụ].ma_so")
    # DATETIME2 holds wall-clock time: since goes as Vietnamese time without an offset.
    assert plan.params == {"since": datetime(2024, 5, 31, 0, 30)}  # noqa: DTZ001


def test_a_datetimeoffset_column_gets_since_as_an_instant() -> None:
    s = settings(modified_column="NgayCapNhat")
    columns: list[tuple[str, TypeEngine[Any]]] = [("ma_so", Unicode(20)),
                                                  ("NgayCapNhat", mssql.DATETIMEOFFSET())]

    plan = rows_plan("qlkh", TableName("nhiem_vu", "dbo"), columns, s, SINCE)

    assert plan.params == {"since": SINCE}


def test_a_missing_column_lists_the_columns_there_are() -> None:
    columns: list[tuple[str, TypeEngine[Any]]] = [("MaSo", Unicode(20)),
                                                  ("NgayCapNhat", DateTime())]

    with pytest.raises(SourceConfigError) as caught:
        rows_plan("qlkh", TableName("nhiem_vu", "dbo"), columns, settings(id_column="ma"), None)

    assert caught.value.key == "id_column"
    assert "it has: MaSo, NgayCapNhat" in str(caught.value)


@pytest.mark.parametrize("query", [
    "SELECT TOP 100 [MaSo], [Tên] FROM [dbo].[Nhiệm vụ] WHERE [NgayCapNhat] >= :since",
    "SELECT MaSo FROM dbo.NhiemVu WITH (NOLOCK) WHERE NgayCapNhat >= :since",
    "SELECT MaSo FROM dbo.NhiemVu WHERE NgayCapNhat >= TODATETIMEOFFSET(:since, '+07:00')",
], ids=["top-and-brackets", "nolock-hint", "datetimeoffset-compare"])
def test_t_sql_selects_are_accepted(query: str) -> None:
    assert check_query("qlkh", query, "tsql") == query


@pytest.mark.parametrize(("query", "why"), [
    ("SELECT * INTO #tam FROM dbo.NhiemVu WHERE NgayCapNhat >= :since", "SELECT … INTO"),
    ("SELECT 1 WHERE :since IS NOT NULL; EXEC xp_cmdshell 'dir'", "2 statements"),
    ("EXEC dbo.sp_DocNhiemVu :since", "an EXECUTE statement"),
    ("MERGE dbo.NhiemVu AS t USING dbo.Moi AS m ON t.MaSo = m.MaSo "
     "WHEN MATCHED THEN DELETE;", "a MERGE statement"),
], ids=["select-into-temp-table", "exec-after-select", "exec-procedure", "merge"])
def test_t_sql_that_is_not_one_select_is_refused(query: str, why: str) -> None:
    with pytest.raises(SourceConfigError, match=why):
        check_query("qlkh", query, "tsql")


class FakeMssqlError(Exception):
    """What pymssql raises: (number, message bytes)."""


class FakeTdsError(Exception):
    """What python-tds raises: the number in `.number`."""

    def __init__(self, number: int, message: str):
        super().__init__(message)
        self.number = number


@pytest.mark.parametrize(("orig", "error", "text"), [
    (FakeMssqlError(18456, b"Login failed for user 'dongbo'.DB-Lib error message 20018"),
     SourceAuthError, "sql.qlkh.local:1433/QLKH refused the login of 'dongbo'"),
    (FakeMssqlError(4060, b"Cannot open database \"QLKH\" requested by the login."),
     SourceConfigError, "names database 'QLKH', which sql.qlkh.local does not have"),
    (FakeMssqlError(20009, b"Unable to connect: Adaptive Server is unavailable"),
     SourceUnavailable, "cannot read from sql.qlkh.local:1433/QLKH"),
    (FakeMssqlError(20003, b"Adaptive Server connection timed out"),
     SourceUnavailable, "past the 300 s timeout"),
    (FakeMssqlError(208, b"Invalid object name 'dbo.NhiemVu'."),
     SourceConfigError, "cannot be read from sql.qlkh.local:1433/QLKH: Invalid object name"),
    (FakeTdsError(18456, "Login failed for user 'dongbo'."),
     SourceAuthError, "refused the login of 'dongbo'"),
    (FakeTdsError(3906, "Failed to update database because the database is read-only."),
     SourceConfigError, "tried to write"),
], ids=["pymssql-login", "pymssql-no-database", "pymssql-unreachable", "pymssql-timeout",
        "pymssql-no-table", "pytds-login", "pytds-read-only"])
def test_sql_server_errors_are_told_apart(orig: Exception, error: type[ConnectorError],
                                          text: str) -> None:
    wrapped = OperationalError("SELECT 1", {}, orig)

    got = explain("qlkh", wrapped, settings())

    assert type(got) is error
    assert text in str(got)
    assert "bi-mat" not in str(got)
    assert "SELECT 1" not in str(got)


def test_an_unknown_programming_error_is_a_configuration_problem() -> None:
    got = explain("qlkh", ProgrammingError("SELECT 1", {}, FakeMssqlError(99999, b"la")),
                  settings())
    assert isinstance(got, SourceConfigError)
