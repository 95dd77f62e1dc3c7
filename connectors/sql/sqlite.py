"""SQLite files as sources: where the file is, opening it without ever creating it, and what
its errors mean.

A SQLite source is a file another program writes. What differs from a database server:
a relative path in the URL is relative to the config file's folder, as every path in the config
is; a missing file must not be created (sqlite3 would make an empty one, and the read would then
report a missing table instead of a missing file); a writer's lock is waited for up to the
statement `timeout`, since SQLite has no other statement timeout; and a date or time column
holds whatever text the program wrote, in any form or none, so it is neither compared as text
nor trusted to parse.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import String, bindparam, func, or_
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import Date, DateTime, Time, TypeDecorator, TypeEngine

from connectors.errors import SourceUnavailable

_MEMORY = ("", ":memory:")


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def database_file(url: URL) -> Path | None:
    """The database file a SQLite URL names; None for an in-memory database or a `file:` URI,
    which is passed on as written."""
    database = url.database or ""
    if not is_sqlite(url) or database in _MEMORY or database.startswith("file:"):
        return None
    return Path(database)


def resolve(url: URL, base_dir: Path) -> URL:
    """`url` with a relative SQLite file made absolute against `base_dir`; other URLs as they
    are."""
    path = database_file(url)
    if path is None:
        return url
    path = path.expanduser()
    return url.set(database=str(path if path.is_absolute() else base_dir / path))


def require_file(source: str, url: URL) -> None:
    """A missing file is a source that is not there yet (a share not mounted, a copy not made):
    the run can be tried again later."""
    path = database_file(url)
    if path is None:
        return
    if not path.exists():
        raise SourceUnavailable(source, f"file {path} does not exist",
                                f"tệp {path} không tồn tại")
    if not path.is_file():
        raise SourceUnavailable(source, f"{path} is not a file", f"{path} không phải là một tệp")


def open_existing(url: URL) -> URL:
    """The URL the engine opens: the same file as a `mode=rw` URI, which sqlite3 refuses to
    create when the file has gone between the check and the connection."""
    path = database_file(url)
    if path is None:
        return url
    # Percent-encoded, so that "?" or "#" in a folder name is not read as the URI's query.
    return url.set(
        database="file:" + quote(path.as_posix()), query={**url.query, "mode": "rw", "uri": "true"}
    )


# Times in SQL -----------------------------------------------------------------------------------


def since_text(value: datetime | date) -> str:
    """`since` as SQLite's date functions read it."""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


def moment_of(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column's time as a number that orders and compares as the moment it is: julianday()
    reads "2024-05-01 08:30:00", "2024-05-01T08:30", fractions of a second alike, where text
    comparison puts a row written at `since` without fractions before it. NULL for an empty or
    unreadable time."""
    return func.julianday(column)


def at_or_after(column: ColumnElement[Any], since: str) -> ColumnElement[bool]:
    """Rows modified at or after the `since` parameter, and rows whose time is unknown (empty
    or unreadable), which may have changed."""
    moment = moment_of(column)
    return or_(moment >= func.julianday(bindparam(since, type_=String())), moment.is_(None))


class _LenientMoment(TypeDecorator[Any]):
    """A date, time or datetime column read as its value when it parses, else as the text it
    holds: SQLAlchemy's own SQLite types raise on "" or "chưa cập nhật", which would end the
    read at that row instead of reporting its time as unreadable."""

    impl = String
    cache_ok = True

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            if self.kind == "time":
                return time.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            return value
        return moment.date() if self.kind == "date" else moment


def lenient(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type to read a reflected SQLite column with."""
    if isinstance(column_type, DateTime):
        return _LenientMoment("datetime")
    if isinstance(column_type, Date):
        return _LenientMoment("date")
    if isinstance(column_type, Time):
        return _LenientMoment("time")
    return column_type
