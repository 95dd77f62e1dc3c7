"""Database errors told apart: which are the login, the config, a timeout or an outage."""

from __future__ import annotations

import enum
import re

from sqlalchemy.exc import DataError, DBAPIError, ProgrammingError

from connectors.errors import (
    ConnectorError,
    SourceAuthError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
)
from connectors.sql.options import SqlSettings


class Cause(enum.Enum):
    LOGIN = "login"
    NO_DATABASE = "no database"
    TIMEOUT = "statement timeout"
    LOCKED = "locked by another program"
    NO_ANSWER = "no answer"
    WRITE_REFUSED = "write refused"
    BAD_QUERY = "bad query"
    OUTAGE = "outage"
    DATA = "data"


# SQLSTATE classes and codes (PostgreSQL), server error numbers (MariaDB/MySQL, SQL Server).
_PG = {
    "28000": Cause.LOGIN,
    "28P01": Cause.LOGIN,
    "3D000": Cause.NO_DATABASE,
    "57014": Cause.TIMEOUT,
    "25006": Cause.WRITE_REFUSED,
    "42501": Cause.BAD_QUERY,
}
_PG_CLASSES = {
    "08": Cause.OUTAGE,
    "53": Cause.OUTAGE,
    "57": Cause.OUTAGE,
    "40": Cause.OUTAGE,
    "42": Cause.BAD_QUERY,
    "22": Cause.DATA,
}
_MYSQL = {
    **dict.fromkeys((1044, 1045, 1130, 1251, 1698, 1862, 2059), Cause.LOGIN),
    1049: Cause.NO_DATABASE,
    **dict.fromkeys((1969, 3024), Cause.TIMEOUT),
    **dict.fromkeys((1290, 1792), Cause.WRITE_REFUSED),
    **dict.fromkeys((1052, 1054, 1064, 1142, 1143, 1146, 1305, 1370), Cause.BAD_QUERY),
    **dict.fromkeys((1040, 1053, 1205, 1213, 2002, 2003, 2005, 2006, 2013, 2055), Cause.OUTAGE),
}
_MSSQL = {
    **dict.fromkeys((18452, 18456, 18486, 18487, 18488), Cause.LOGIN),
    4060: Cause.NO_DATABASE,
    20003: Cause.TIMEOUT,
    3906: Cause.WRITE_REFUSED,
    **dict.fromkeys((102, 156, 207, 208, 229, 2812, 4104), Cause.BAD_QUERY),
    **dict.fromkeys((1205, 20002, 20006, 20009, 20047, 40613), Cause.OUTAGE),
}
# SQLite's primary result codes (the low byte of sqlite3's `sqlite_errorcode`): its generic
# SQLITE_ERROR is a statement it cannot run (no such table or column).
_SQLITE = {
    1: Cause.BAD_QUERY,
    5: Cause.LOCKED,
    6: Cause.LOCKED,
    8: Cause.WRITE_REFUSED,
    11: Cause.DATA,
    14: Cause.OUTAGE,
    26: Cause.DATA,
}
# psycopg reports a failed connection without a SQLSTATE: only its text tells why.
_PG_CONNECT = (
    (
        re.compile(
            r"password authentication failed|role \".*\" does not exist|no pg_hba\.conf|"
            r"authentication",
            re.I,
        ),
        Cause.LOGIN,
    ),
    (re.compile(r"database \".*\" does not exist", re.I), Cause.NO_DATABASE),
    (re.compile(r"timeout expired|timed out", re.I), Cause.NO_ANSWER),
)


def cause_of(backend: str, exc: DBAPIError) -> Cause:
    """What went wrong, from the driver's code where it gives one, else from the error class."""
    orig = exc.orig
    message = message_of(orig)
    if backend == "postgresql":
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if state:
            return _PG.get(state) or _PG_CLASSES.get(state[:2]) or _by_class(exc)
        for pattern, cause in _PG_CONNECT:
            if pattern.search(message):
                return cause
        return _by_class(exc)
    if backend == "sqlite":
        code = getattr(orig, "sqlite_errorcode", None)
        found = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
        return found or _by_class(exc)
    code = error_number(orig)
    table = _MYSQL if backend in ("mysql", "mariadb") else _MSSQL if backend == "mssql" else {}
    found = table.get(code) if code is not None else None
    if found is Cause.OUTAGE and "timed out" in message.lower():
        return Cause.NO_ANSWER
    return found or _by_class(exc)


def explain(source: str, exc: DBAPIError, settings: SqlSettings) -> ConnectorError:
    """The connector error to raise for a database error: names host and database, never the
    password, and not the SQL or its parameters that SQLAlchemy puts in its own message. The
    driver's message is quoted as it is, in Vietnamese too."""
    backend = settings.url.get_backend_name()
    where, where_vi = settings.where, settings.where_vi
    said = scrub(message_of(exc.orig), settings.url.password)
    key = "query" if settings.query else "table"
    timeout = f"{settings.timeout:g} s"
    cause = cause_of(backend, exc)
    if cause is Cause.LOGIN:
        user = settings.url.username
        return SourceAuthError(
            source, f"{where} refused the login of {user or '(no user)'!r}: {said}",
            f"{where_vi} từ chối đăng nhập của {user or '(không có tên người dùng)'!r}: {said}",
        )
    if cause is Cause.NO_DATABASE:
        database, host = settings.url.database, settings.url.host
        return SourceConfigError(
            source,
            settings.url_key,
            f"names database "
            f"{database!r}, which "
            f"{host or 'the server'} does not have: {said}",
            f"ghi cơ sở dữ liệu {database!r}, nhưng {host or 'máy chủ'} không có cơ sở dữ liệu "
            f"này: {said}",
        )
    if cause is Cause.TIMEOUT:
        return SourceUnavailable(
            source,
            f"{where}: the read ran past the {timeout} "
            f"timeout and was cancelled; raise `timeout` if the source is "
            f"just slow ({said})",
            f"{where_vi}: việc đọc kéo dài quá thời gian chờ {timeout} nên đã bị huỷ; hãy tăng "
            f"`timeout` nếu nguồn chỉ chậm ({said})",
        )
    if cause is Cause.LOCKED:
        return SourceUnavailable(
            source,
            f"{where} stayed locked by another program past the "
            f"{timeout} timeout ({said}); the next run tries "
            f"again",
            f"{where_vi} bị một chương trình khác khoá quá thời gian chờ {timeout} ({said}); "
            "lần chạy sau sẽ thử lại",
        )
    if cause is Cause.NO_ANSWER:
        waits = f"connect_timeout {settings.connect_timeout:g} s, timeout {timeout}"
        return SourceUnavailable(
            source,
            f"{where} did not answer in time ({waits}): {said}",
            f"hết thời gian chờ mà {where_vi} vẫn không trả lời ({waits}): {said}",
        )
    if cause is Cause.WRITE_REFUSED:
        return SourceConfigError(
            source,
            key,
            f"tried to write, which {where} refused in the read-only transaction: {said}",
            f"đã tìm cách ghi dữ liệu, và {where_vi} đã từ chối việc ghi trong giao dịch chỉ "
            f"đọc: {said}",
        )
    if cause is Cause.BAD_QUERY:
        return SourceConfigError(source, key, f"cannot be read from {where}: {said}",
                                 f"không đọc được từ {where_vi}: {said}")
    if cause is Cause.DATA:
        return SourceDataError(source, said, where=where,
                               message_vi=f"không đọc được dữ liệu: {said}", where_vi=where_vi)
    return SourceUnavailable(source, f"cannot read from {where}: {said}",
                             f"không đọc được từ {where_vi}: {said}")


def error_number(orig: BaseException | None) -> int | None:
    """The server's error number: pytds sets `.number`, PyMySQL and pymssql put it first."""
    number = getattr(orig, "number", None)
    if isinstance(number, int):
        return number
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def message_of(orig: BaseException | None) -> str:
    """The driver's own message, first line, without the number drivers put in front."""
    if orig is None:
        return ""
    args = orig.args
    if len(args) >= 2 and isinstance(args[0], int):
        raw = args[1]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    else:
        text = str(orig)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(orig).__name__
    return first if len(first) <= 300 else first[:297] + "..."


def scrub(text: str, password: str | None) -> str:
    # A driver may echo its connection string; the password never reaches a log or a screen.
    return text.replace(password, "***") if password else text


def _by_class(exc: DBAPIError) -> Cause:
    if isinstance(exc, ProgrammingError):
        return Cause.BAD_QUERY
    if isinstance(exc, DataError):
        return Cause.DATA
    return Cause.OUTAGE
