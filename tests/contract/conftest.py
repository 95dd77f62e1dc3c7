"""The `harness` fixture: every test of the contract suite runs once per connector kind (and per
file format and database). Servers and databases are started once and shared; each harness
resets what it uses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MYSQL_ENV, PG_ENV, _drop_pg_database, _fresh_pg_database
from tests.contract.databases import SqlHarness, SqliteHarness
from tests.contract.files import SpreadsheetHarness, XmlFileHarness
from tests.contract.harness import Harness
from tests.contract.servers import (
    OaiPmhHarness,
    RestHarness,
    XmlUrlHarness,
    oai_repository,
    provincial_api,
    xml_publisher,
)


@pytest.fixture(scope="session")
def _provincial_api() -> Iterator[Any]:
    running, board, app = provincial_api()
    with running:
        yield running, board, app


@pytest.fixture(scope="session")
def _oai_repository() -> Iterator[Any]:
    running, board, repo = oai_repository()
    with running:
        yield running, board, repo


@pytest.fixture(scope="session")
def _xml_publisher() -> Iterator[Any]:
    running, board, published = xml_publisher()
    with running:
        yield running, board, published


def _database(
    env: str, fresh: Callable[[str], tuple[str, str]], drop: Callable[[str, str], None]
) -> Iterator[str]:
    admin = os.environ.get(env)
    if not admin:
        pytest.skip(f"{env} is not set (CI sets it; on a laptop, point it at a server)")
    url, name = fresh(admin)
    try:
        yield url
    finally:
        drop(admin, name)


@pytest.fixture(scope="session")
def _postgresql() -> Iterator[str]:
    """One database for the suite: each harness makes a table of its own in it."""
    yield from _database(PG_ENV, _fresh_pg_database, _drop_pg_database)


@pytest.fixture(scope="session")
def _mariadb() -> Iterator[str]:
    # Imported here: test modules load tests.db_fixtures as a plugin, which pytest refuses to
    # do (to rewrite its asserts) once it has been imported.
    from tests.db_fixtures import _drop_mysql_database, _fresh_mysql_database

    yield from _database(MYSQL_ENV, _fresh_mysql_database, _drop_mysql_database)


Factory = Callable[[pytest.FixtureRequest, Path], Harness]

HARNESSES: dict[str, Factory] = {
    "csv": lambda _, folder: SpreadsheetHarness(folder, "csv"),
    "xlsx": lambda _, folder: SpreadsheetHarness(folder, "xlsx"),
    "csv-without-modified-column": lambda _, folder: SpreadsheetHarness(
        folder, "csv", modified=False
    ),
    "xml-file": lambda _, folder: XmlFileHarness(folder),
    "xml-url": lambda request, _: XmlUrlHarness(*request.getfixturevalue("_xml_publisher")),
    "rest-server-filter": lambda request, _: RestHarness(
        *request.getfixturevalue("_provincial_api"), server_filter=True
    ),
    "rest-client-filter": lambda request, _: RestHarness(
        *request.getfixturevalue("_provincial_api"), server_filter=False
    ),
    "oaipmh": lambda request, _: OaiPmhHarness(*request.getfixturevalue("_oai_repository")),
    "sql-sqlite": lambda _, folder: SqliteHarness(folder),
    "sql-postgresql": lambda request, _: SqlHarness(request.getfixturevalue("_postgresql")),
    "sql-mariadb": lambda request, _: SqlHarness(request.getfixturevalue("_mariadb")),
}


@pytest.fixture(params=list(HARNESSES))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    made = HARNESSES[request.param](request, tmp_path)
    try:
        yield made
    finally:
        made.close()
