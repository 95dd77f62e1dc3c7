"""The sql connector when things go wrong: refused queries, writes, logins, timeouts, hangs."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from connectors.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceUnavailable,
)
from connectors.sql import SqlConnector

pytest_plugins = ["tests.db_fixtures"]

VN = timezone(timedelta(hours=7))
TABLE: dict[str, Any] = {"table": "nhiem_vu", "id_column": "ma_so",
                         "modified_column": "ngay_cap_nhat"}


def run(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def scalar(url: str, query: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(query)).scalar()
    engine.dispose()
    return value


def seed(url: str) -> None:
    run(url,
        "CREATE TABLE nhiem_vu (ma_so VARCHAR(20) PRIMARY KEY, ten_nhiem_vu VARCHAR(200), "
        "ngay_cap_nhat TIMESTAMP NULL)",
        "INSERT INTO nhiem_vu VALUES ('NV-001', 'Nghiên cứu cà phê', '2024-05-01 08:30:00'), "
        "('NV-002', 'Ứng dụng công nghệ sinh học', '2024-05-02 09:00:00')")


def read(url: str, *, since: datetime | None = None, **options: Any) -> list[str]:
    return [r.record_id for r in SqlConnector("qlkh", {"url": url, **options}).records(since)]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


REFUSED = [
    ("DELETE FROM nhiem_vu WHERE ngay_cap_nhat >= :since", "a DELETE statement"),
    ("SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since; DROP TABLE nhiem_vu",
     "2 statements"),
    ("UPDATE nhiem_vu SET ten_nhiem_vu = 'x' WHERE ngay_cap_nhat >= :since",
     "an UPDATE statement"),
    ("INSERT INTO nhiem_vu SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since",
     "an INSERT statement"),
    ("SELECT * INTO sao_luu FROM nhiem_vu WHERE ngay_cap_nhat >= :since", "SELECT … INTO"),
    ("SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since /* ; */ ; DROP TABLE nhiem_vu",
     "a comment in it holds ';'"),
    ("SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since -- \n; DROP TABLE nhiem_vu",
     "2 statements"),
]
REFUSED_IDS = ["delete", "select-then-drop", "update", "insert-select", "select-into",
               "comment-hiding-a-drop", "drop-after-a-comment"]


@pytest.fixture(scope="module")
def seeded_url(module_db_url: str) -> str:
    """A database with the two-row nhiem_vu table, shared by the tests that only read it."""
    seed(module_db_url)
    return module_db_url


@pytest.mark.parametrize(("query", "why"), REFUSED, ids=REFUSED_IDS)
def test_a_query_that_is_not_one_select_never_runs(seeded_url: str, query: str, why: str
                                                   ) -> None:
    with pytest.raises(SourceConfigError) as caught:
        SqlConnector("qlkh", {"url": seeded_url, "query": query, "id_column": "ma_so"})

    assert why in str(caught.value)
    assert scalar(seeded_url, "SELECT count(*) FROM nhiem_vu") == 2
    assert scalar(seeded_url, "SELECT count(*) FROM information_schema.tables "
                              "WHERE table_name = 'sao_luu'") == 0


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"],
                         ids=["postgresql", "mariadb"])
def test_a_refused_query_is_refused_before_any_connection(scheme: str) -> None:
    url = f"{scheme}://dongbo@127.0.0.1:{closed_port()}/qlkh"

    # SourceConfigError, not SourceUnavailable: no connection was tried.
    with pytest.raises(SourceConfigError, match="a DELETE statement"):
        SqlConnector("qlkh", {"url": url, "query": "DELETE FROM nhiem_vu", "id_column": "ma_so"})


def test_postgresql_refuses_nextval_in_the_read_only_transaction(pg_url: str) -> None:
    seed(pg_url)
    run(pg_url, "CREATE SEQUENCE so_thu_tu")
    query = "SELECT nextval('so_thu_tu') AS ma_so FROM nhiem_vu WHERE ngay_cap_nhat >= :since"

    with pytest.raises(SourceConfigError) as caught:
        read(pg_url, query=query, id_column="ma_so")

    assert caught.value.key == "query"
    assert "tried to write, which 127.0.0.1:5432/" in str(caught.value)
    assert "read-only transaction" in str(caught.value)
    assert scalar(pg_url, "SELECT is_called FROM so_thu_tu") is False


def test_postgresql_refuses_a_function_that_writes(pg_url: str) -> None:
    seed(pg_url)
    run(pg_url, "CREATE FUNCTION ghi_len() RETURNS text LANGUAGE sql AS $$ "
                "INSERT INTO nhiem_vu VALUES ('CHEN', 'chen vao', now()) RETURNING ma_so $$")
    query = "SELECT ghi_len() AS ma_so FROM nhiem_vu WHERE ngay_cap_nhat >= :since"

    with pytest.raises(SourceConfigError, match="cannot execute INSERT in a read-only "):
        read(pg_url, query=query, id_column="ma_so")

    assert scalar(pg_url, "SELECT count(*) FROM nhiem_vu WHERE ma_so = 'CHEN'") == 0


def test_mariadb_refuses_nextval_in_the_read_only_transaction(mysql_url: str) -> None:
    seed(mysql_url)
    run(mysql_url, "CREATE SEQUENCE so_thu_tu")
    query = "SELECT NEXTVAL(so_thu_tu) AS ma_so FROM nhiem_vu WHERE ngay_cap_nhat >= :since"

    with pytest.raises(SourceConfigError, match="Cannot execute statement in a READ ONLY"):
        read(mysql_url, query=query, id_column="ma_so")

    assert scalar(mysql_url, "SELECT NEXTVAL(so_thu_tu)") == 1


def test_mariadb_refuses_a_function_that_writes(mysql_url: str) -> None:
    seed(mysql_url)
    run(mysql_url, "CREATE FUNCTION ghi_len() RETURNS VARCHAR(20) MODIFIES SQL DATA BEGIN "
                   "INSERT INTO nhiem_vu VALUES ('CHEN', 'chen vao', NOW()); RETURN 'CHEN'; END")
    query = "SELECT ghi_len() AS ma_so FROM nhiem_vu WHERE ngay_cap_nhat >= :since"

    with pytest.raises(SourceConfigError, match="tried to write"):
        read(mysql_url, query=query, id_column="ma_so")

    assert scalar(mysql_url, "SELECT count(*) FROM nhiem_vu WHERE ma_so = 'CHEN'") == 0


@pytest.mark.parametrize(("options", "key", "text"), [
    ({**TABLE, "table": "nhiem_vu_cu"}, "table",
     "names 'nhiem_vu_cu', which 127.0.0.1:"),
    ({**TABLE, "table": "nhiem_vu_cu"}, "table", "its tables and views: nhiem_vu"),
    ({**TABLE, "table": "Nhiem_Vu"}, "table", "did you mean 'nhiem_vu'?"),
    ({**TABLE, "id_column": "ma"}, "id_column",
     "names 'ma', which is not a column of the table; it has: ma_so, ten_nhiem_vu, "
     "ngay_cap_nhat"),
    ({**TABLE, "deleted_column": "da_xoa"}, "deleted_column", "it has: ma_so,"),
    ({"query": "SELECT ma_so AS id FROM nhiem_vu WHERE ngay_cap_nhat >= :since",
      "id_column": "ma_so"}, "id_column", "not a column of the query's result; it has: id"),
    ({"query": "SELECT a.ma_so, b.ma_so FROM nhiem_vu a JOIN nhiem_vu b ON a.ma_so = b.ma_so "
               "WHERE a.ngay_cap_nhat >= :since", "id_column": "ma_so"}, "query",
     "returns column 'ma_so' twice"),
    ({"query": "SELECT * FROM nhiem_vu_cu WHERE ngay_cap_nhat >= :since",
      "id_column": "ma_so"}, "query", "cannot be read from 127.0.0.1:"),
], ids=["unknown-table", "unknown-table-lists-tables", "table-in-the-wrong-case",
        "unknown-id-column", "unknown-deleted-column", "query-without-the-id-column",
        "query-with-a-column-twice", "query-on-an-unknown-table"])
def test_wrong_names_are_configuration_errors_listing_what_exists(
        seeded_url: str, options: dict[str, Any], key: str, text: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        read(seeded_url, **options)

    assert caught.value.key == key
    assert text in str(caught.value)


def test_a_statement_past_the_timeout_is_cancelled(seeded_url: str) -> None:
    sleep = "pg_sleep(5)" if seeded_url.startswith("postgresql") else "SLEEP(5)"
    query = f"SELECT 'NV-001' AS ma_so, {sleep} AS ngu WHERE CAST(:since AS DATE) IS NOT NULL"

    with pytest.raises(SourceUnavailable) as caught:
        read(seeded_url, query=query, id_column="ma_so", timeout=0.5)

    assert "the read ran past the 0.5 s timeout and was cancelled" in str(caught.value)
    assert caught.value.retriable


@pytest.fixture
def mysql_user(mysql_url: str) -> Iterator[tuple[str, str]]:
    """A MariaDB login that may read the test database: (user, password)."""
    user, password = f"dongbo_{uuid.uuid4().hex[:8]}", "mat-khau-dung"
    database = make_url(mysql_url).database
    run(mysql_url, f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'",
        f"GRANT SELECT ON `{database}`.* TO '{user}'@'127.0.0.1'")
    try:
        yield user, password
    finally:
        run(mysql_url, f"DROP USER '{user}'@'127.0.0.1'")


def test_mariadb_reads_with_a_login_from_the_environment(
        mysql_url: str, mysql_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    seed(mysql_url)
    user, password = mysql_user
    url = make_url(mysql_url).set(username=user, password=password)
    monkeypatch.setenv("QLKH_DB_URL", url.render_as_string(hide_password=False))

    got = SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", **TABLE}).records()

    assert [r.record_id for r in got] == ["NV-001", "NV-002"]


def test_mariadb_wrong_password_is_an_auth_error(
        mysql_url: str, mysql_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    user, _ = mysql_user
    url = make_url(mysql_url).set(username=user, password="mat-khau-sai")
    monkeypatch.setenv("QLKH_DB_URL", url.render_as_string(hide_password=False))

    with pytest.raises(SourceAuthError) as caught:
        list(SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", **TABLE}).records())

    message = str(caught.value)
    assert f"127.0.0.1:3306/{url.database} refused the login of '{user}'" in message
    assert "Access denied" in message
    assert "mat-khau-sai" not in message
    assert not caught.value.retriable


def test_postgresql_unknown_role_is_an_auth_error(pg_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_url(pg_url).set(username="khong_co_ai", password="bi-mat")
    monkeypatch.setenv("QLKH_DB_URL", url.render_as_string(hide_password=False))

    with pytest.raises(SourceAuthError) as caught:
        list(SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", **TABLE}).records())

    assert f"/{url.database} refused the login of 'khong_co_ai'" in str(caught.value)
    assert 'role "khong_co_ai" does not exist' in str(caught.value)
    assert "bi-mat" not in str(caught.value)


def test_an_unknown_database_is_a_configuration_error(seeded_url: str) -> None:
    url = make_url(seeded_url).set(database="khong_co_csdl").render_as_string(hide_password=False)

    with pytest.raises(SourceConfigError) as caught:
        read(url, **TABLE)

    assert caught.value.key == "url"
    assert "names database 'khong_co_csdl', which 127.0.0.1 does not have" in str(caught.value)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"],
                         ids=["postgresql", "mariadb"])
def test_a_closed_port_is_unavailable(scheme: str) -> None:
    port = closed_port()

    with pytest.raises(SourceUnavailable) as caught:
        read(f"{scheme}://dongbo@127.0.0.1:{port}/qlkh", **TABLE)

    assert f"cannot read from 127.0.0.1:{port}/qlkh" in str(caught.value)
    assert "Connection refused" in str(caught.value)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"],
                         ids=["postgresql", "mariadb"])
def test_a_server_that_never_answers_does_not_hold_the_run(scheme: str, silent_port: int
                                                           ) -> None:
    url = f"{scheme}://dongbo@127.0.0.1:{silent_port}/qlkh"

    with pytest.raises(SourceUnavailable) as caught:
        read(url, **TABLE, connect_timeout=1, timeout=1)

    assert f"127.0.0.1:{silent_port}/qlkh did not answer in time" in str(caught.value)
    assert "(connect_timeout 1 s, timeout 1 s)" in str(caught.value)


def test_mariadb_a_password_the_driver_cannot_send_is_a_configuration_error(
        mysql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_url(mysql_url).set(username="dongbo", password="mật-khẩu")
    monkeypatch.setenv("QLKH_DB_URL", url.render_as_string(hide_password=False))

    with pytest.raises(SourceConfigError) as caught:
        list(SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", **TABLE}).records())

    assert caught.value.key == "url_env"
    assert "cannot send the user name or password" in str(caught.value)
    assert "mật-khẩu" not in str(caught.value)
