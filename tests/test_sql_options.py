"""The sql connector's settings: checked up front, credentials never from the config text."""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceConfigError, SourceUnavailable
from connectors.sql import SqlConnector

URL = "postgresql+psycopg://dongbo@127.0.0.1:5432/qlkh"
GOOD = {"url": URL, "table": "nhiem_vu", "id_column": "ma_so"}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(("options", "key", "text"), [
    ({"table": "nhiem_vu", "id_column": "ma_so"}, "url_env", "is required (or url_file)"),
    ({**GOOD, "url": "postgresql+psycopg://dongbo:bi-mat@db/qlkh"}, "url",
     "has a password in it; put the whole URL in an environment variable"),
    ({**GOOD, "url_env": "QLKH_DB_URL"}, "url", "is set together with url_env or url_file"),
    ({**GOOD, "url": "khong phai url"}, "url", "is no SQLAlchemy URL"),
    ({**GOOD, "url": "postgresql+psycopg://dongbo@db"}, "url", "is a URL that names no "
                                                               "database"),
    ({**GOOD, "url": "oracle+khongco://dongbo@db/qlkh"}, "url",
     "names database kind 'oracle+khongco', which SQLAlchemy does not know"),
    ({**GOOD, "url": "postgresql+pg8000://dongbo@db/qlkh"}, "url",
     "needs the pg8000 driver, which is not installed (pip install 'stisync[postgres]')"),
    ({"url": URL, "id_column": "ma_so"}, "table", "or 'query' must be set, not both "
                                                  "(neither is set)"),
    ({**GOOD, "query": "SELECT * FROM nv WHERE m >= :since"}, "table", "(both are set)"),
    ({**GOOD, "table": "qlkh.dbo.nhiem_vu"}, "table", "must be a table or view name"),
    ({**GOOD, "table": ""}, "table", "must be a non-empty text"),
    ({"url": URL, "table": "nhiem_vu"}, "id_column", "is required"),
    ({**GOOD, "id_column": 5}, "id_column", "must be a non-empty text, not 5"),
    ({**GOOD, "batch_size": 0}, "batch_size", "must be a whole number >= 1, not 0"),
    ({**GOOD, "batch_size": True}, "batch_size", "must be a whole number >= 1"),
    ({**GOOD, "timeout": -1}, "timeout", "must be a number of seconds > 0, not -1"),
    ({**GOOD, "timeout": float("inf")}, "timeout", "must be a number of seconds > 0"),
    ({**GOOD, "connect_timeout": "10"}, "connect_timeout", "must be a number of seconds > 0"),
    ({**GOOD, "id_col": "ma_so"}, "id_col", "is not an option of the sql connector; did you "
                                           "mean 'id_column'?"),
    ({**GOOD, "password": "bi-mat"}, "password", "is not an option of the sql connector"),
], ids=["no-url", "password-in-url", "url-and-url-env", "not-a-url", "no-database",
        "unknown-dialect", "driver-not-installed", "neither-table-nor-query",
        "table-and-query", "three-part-name", "empty-table", "no-id-column", "id-not-text",
        "batch-zero", "batch-bool", "negative-timeout", "infinite-timeout",
        "timeout-as-text", "misspelt-option", "password-option"])
def test_bad_options_are_refused_naming_the_key(options: dict[str, Any], key: str,
                                                text: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        SqlConnector("qlkh", options)

    assert caught.value.key == key
    assert text in str(caught.value)
    assert "bi-mat" not in str(caught.value)


def test_the_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLKH_DB_URL", "postgresql+psycopg://dongbo:bi-mat@db.qlkh:5433/qlkh")

    c = SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", "table": "nhiem_vu",
                              "id_column": "ma_so"})

    assert c.settings.url.password == "bi-mat"
    assert c.settings.where == "db.qlkh:5433/qlkh"


@pytest.mark.parametrize(("value", "text"), [
    ("postgresql+psycopg://dongbo:bi-mat@", "holds a URL that names no database"),
    ("dongbo:bi-mat@db.qlkh/qlkh", "holds no SQLAlchemy URL"),
], ids=["no-database", "not-a-url"])
def test_a_bad_url_in_the_environment_is_named_without_its_password(
        monkeypatch: pytest.MonkeyPatch, value: str, text: str) -> None:
    monkeypatch.setenv("QLKH_DB_URL", value)

    with pytest.raises(SourceConfigError) as caught:
        SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", "table": "nv", "id_column": "ma_so"})

    assert caught.value.key == "url_env"
    assert text in str(caught.value)
    assert "bi-mat" not in str(caught.value)


def test_a_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QLKH_DB_URL", raising=False)

    with pytest.raises(SourceConfigError, match="environment variable QLKH_DB_URL is not set"):
        SqlConnector("qlkh", {"url_env": "QLKH_DB_URL", "table": "nv", "id_column": "ma_so"})


def test_the_url_file_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "qlkh-db").write_text(
        "mysql+pymysql://dongbo:bi-mat@db.qlkh/qlkh?charset=utf8mb4\n", encoding="utf-8")

    c = SqlConnector("qlkh", {"url_file": "secrets/qlkh-db", "table": "nv", "id_column": "ma_so"},
                     base_dir=tmp_path)

    assert c.settings.url.get_backend_name() == "mysql"
    assert c.settings.url.password == "bi-mat"


def test_a_query_is_checked_when_the_source_is_configured() -> None:
    with pytest.raises(SourceConfigError, match="it is a DELETE statement"):
        SqlConnector("qlkh", {"url": URL, "query": "DELETE FROM nhiem_vu", "id_column": "ma_so"})


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"],
                         ids=["postgresql", "mariadb"])
def test_nothing_touches_the_database_before_the_first_next(scheme: str) -> None:
    port = closed_port()
    c = SqlConnector("qlkh", {"url": f"{scheme}://dongbo@127.0.0.1:{port}/qlkh",
                              "table": "nhiem_vu", "id_column": "ma_so"})
    records = c.records()  # nothing listens there, and nobody has noticed yet

    with pytest.raises(SourceUnavailable) as caught:
        next(records)

    assert f"127.0.0.1:{port}/qlkh" in str(caught.value)
    assert caught.value.retriable


def test_since_must_be_timezone_aware() -> None:
    c = SqlConnector("qlkh", GOOD)
    with pytest.raises(ValueError, match="since must be timezone-aware"):
        c.records(datetime(2024, 5, 1))  # noqa: DTZ001 - the mistake under test
