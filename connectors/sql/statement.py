"""The statement a read runs: a reflected table's SELECT, or the configured query's text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, column, inspect, or_, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.sql import Select, TextClause
from sqlalchemy.types import TypeEngine
from sqlglot import exp
from sqlglot.errors import ParseError

from connectors.errors import SourceConfigError
from connectors.sql import sqlite
from connectors.sql.backends import has_offset, is_date_only
from connectors.sql.options import SqlSettings
from connectors.sql.query import SINCE
from connectors.sql.values import VIETNAM, since_for_column

# A full read in query mode binds :since to this, so that `>= :since` matches every dated row;
# 1900 is inside every date type the supported databases have (SQL Server's smalldatetime).
FULL_READ_SINCE = datetime(1900, 1, 1, tzinfo=VIETNAM)

# What the columns of a read belong to, in English and in Vietnamese, for `pick_column`.
TABLE = ("table", "bảng")
QUERY_RESULT = ("query's result", "kết quả của câu truy vấn")


@dataclass(frozen=True)
class Plan:
    """What to execute and with which parameters."""

    statement: Select[Any] | TextClause
    params: dict[str, datetime | date | str]


@dataclass(frozen=True)
class TableName:
    name: str
    schema: str | None

    @property
    def text(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def parse_table_name(source: str, raw: str, dialect: str | None) -> TableName:
    """`nhiem_vu`, `qlkh.nhiem_vu` or a quoted `"Sở KH"."nhiệm vụ"`; no I/O."""
    try:
        table = exp.to_table(raw, dialect=dialect)
    except (ParseError, ValueError):
        table = None
    if table is None or not table.name or table.catalog:
        raise SourceConfigError(
            source,
            "table",
            f"must be a table or view name, optionally "
            f"schema-qualified (qlkh.nhiem_vu), not {raw!r}",
            f"phải là tên một bảng hoặc view, có thể kèm tên schema (qlkh.nhiem_vu), không "
            f"phải {raw!r}",
        )
    return TableName(table.name, table.db or None)


def table_plan(
    source: str, conn: Connection, settings: SqlSettings, name: TableName, since: datetime | None
) -> Plan:
    """The plan for a table or view, its columns reflected on `conn`."""
    # Only the columns are reflected: indexes and keys would cost a dozen catalogue queries.
    try:
        reflected = inspect(conn).get_columns(name.name, schema=name.schema)
    except NoSuchTableError:
        said, said_vi = _no_such_table(conn, name, settings)
        raise SourceConfigError(source, "table", said, said_vi) from None
    return rows_plan(
        source,
        name,
        [(c["name"], c["type"]) for c in reflected],
        settings,
        since,
        dialect=conn.dialect.name,
    )


def rows_plan(
    source: str,
    name: TableName,
    columns: Sequence[tuple[str, TypeEngine[Any]]],
    settings: SqlSettings,
    since: datetime | None,
    *,
    dialect: str = "",
) -> Plan:
    """SELECT every column, newest last; with `since`, only rows modified at or after it
    (and rows whose modification time is unknown, which may have changed). `dialect` is
    SQLAlchemy's name of the database."""
    on_sqlite = dialect == "sqlite"
    names = [n for n, _ in columns]
    types = dict(columns)
    source_table = table(
        name.name,
        *(column(n, sqlite.lenient(t) if on_sqlite else t) for n, t in columns),
        schema=name.schema,
    )
    id_col = source_table.c[pick_column(source, "id_column", settings.id_column, names, TABLE)]
    if settings.deleted_column:
        pick_column(source, "deleted_column", settings.deleted_column, names, TABLE)
    stmt = select(source_table)
    params: dict[str, datetime | date | str] = {}
    if not settings.modified_column:
        return Plan(stmt.order_by(id_col), params)
    modified_name = pick_column(source, "modified_column", settings.modified_column, names, TABLE)
    modified = source_table.c[modified_name]
    kind = types[modified_name]
    if since is not None:
        value = since_for_column(since, is_date_only(kind), has_offset(kind))
        if on_sqlite:
            params[SINCE] = sqlite.since_text(value)
            stmt = stmt.where(sqlite.at_or_after(modified, SINCE))
        else:
            params[SINCE] = value
            stmt = stmt.where(or_(modified >= bindparam(SINCE), modified.is_(None)))
    order = sqlite.moment_of(modified) if on_sqlite else modified
    return Plan(stmt.order_by(order, id_col), params)


def query_plan(settings: SqlSettings, since: datetime | None) -> Plan:
    """The query as written, with `since` (or FULL_READ_SINCE) bound to :since."""
    if settings.query is None:
        raise ValueError("query_plan needs a query")
    # Without column types, :since is Vietnamese wall-clock time without an offset.
    value = since_for_column(FULL_READ_SINCE if since is None else since, False, False)
    return Plan(text(settings.query), {SINCE: value})


def pick_column(source: str, key: str, wanted: str, columns: Sequence[str],
                what: tuple[str, str]) -> str:
    """The column named `wanted`, matched exactly, else without regard to case (PostgreSQL
    folds unquoted names to lower case, SQL Server tables are often in capitals). `what` the
    columns belong to is TABLE or QUERY_RESULT."""
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    listed = ", ".join(columns)
    raise SourceConfigError(
        source,
        key,
        f"names {wanted!r}, which is not a column of the "
        f"{what[0]}; it has: {listed or '(no columns)'}",
        f"ghi {wanted!r}, nhưng đó không phải là một cột của {what[1]}; các cột hiện có: "
        f"{listed or '(không có cột nào)'}",
    )


def _no_such_table(conn: Connection, name: TableName,
                   settings: SqlSettings) -> tuple[str, str]:
    """What to say of a table the database does not have, in English and in Vietnamese: the
    tables and views it has instead."""
    inspector = inspect(conn)
    try:
        known = sorted(
            inspector.get_table_names(schema=name.schema)
            + inspector.get_view_names(schema=name.schema)
        )
    except Exception:  # the list only helps the message, and the schema may not exist
        known = []
    where, where_vi = settings.where, settings.where_vi
    if name.schema:
        where = f"schema {name.schema!r} of {where}"
        where_vi = f"schema {name.schema!r} của {where_vi}"
    listed = ", ".join(known[:50]) + (", …" if len(known) > 50 else "") if known else ""
    # Table names are case-sensitive on MariaDB under Linux and when quoted in PostgreSQL.
    same = [k for k in known if k.casefold() == name.name.casefold()]
    hint, hint_vi = (
        (f" (did you mean {same[0]!r}? names are case-sensitive here)",
         f" (có phải ý bạn là {same[0]!r}? ở đây tên phân biệt chữ hoa, chữ thường)")
        if same else ("", "")
    )
    return (
        f"names {name.text!r}, which {where} does not have{hint}; its tables and views: "
        f"{listed or 'none'}",
        f"ghi {name.text!r}, nhưng {where_vi} không có bảng này{hint_vi}; các bảng và view "
        f"hiện có: {listed or 'không có'}",
    )
