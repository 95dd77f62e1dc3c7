"""Database fixtures beyond conftest's PostgreSQL one: a fresh MariaDB database per test,
and one database of each kind shared by a module's tests that only read it.

Test modules load them with `pytest_plugins = ["tests.db_fixtures"]`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import PG_ENV, _drop_pg_database, _fresh_pg_database

MYSQL_ENV = "STISYNC_TEST_MYSQL_URL"


def _fresh_mysql_database(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"stisync_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        # utf8mb4: MariaDB's "utf8" holds three bytes per character and loses some Vietnamese.
        c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                       "COLLATE utf8mb4_unicode_ci"))
    admin.dispose()
    url = make_url(admin_url).set(database=name).update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False), name


def _drop_mysql_database(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A new, empty MariaDB (or MySQL) database for one test, utf8mb4 throughout (skipped when
    the service is not set)."""
    admin = os.environ.get(MYSQL_ENV)
    if not admin:
        pytest.skip(
            f"{MYSQL_ENV} is not set (CI sets it; on a laptop, point it at a MariaDB server)"
        )
    url, name = _fresh_mysql_database(admin)
    try:
        yield url
    finally:
        _drop_mysql_database(admin, name)


@pytest.fixture(params=["postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL, once on PostgreSQL and once on MariaDB."""
    fixture = "pg_url" if request.param == "postgresql" else "mysql_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def module_db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for a whole test module, once on PostgreSQL and once on MariaDB.
    Creating a database costs most of a second, so tests that only read share this one."""
    env = PG_ENV if request.param == "postgresql" else MYSQL_ENV
    admin = os.environ.get(env)
    if not admin:
        pytest.skip(f"{env} is not set (CI sets it; on a laptop, point it at a server)")
    fresh, drop = ((_fresh_pg_database, _drop_pg_database) if request.param == "postgresql"
                   else (_fresh_mysql_database, _drop_mysql_database))
    url, name = fresh(admin)
    try:
        yield url
    finally:
        drop(admin, name)
