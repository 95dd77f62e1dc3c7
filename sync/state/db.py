"""The state database: engine set-up (SQLite WAL or PostgreSQL) and schema migrations."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (Session.execute types its result loosely)."""
    return int(cast(CursorResult[Any], result).rowcount)


class StateError(Exception):
    """The state database cannot be opened or migrated. `str()` is English; `text("vi")` the
    same in Vietnamese, for the admin."""

    def __init__(self, message: str, message_vi: str | None = None):
        super().__init__(message)
        self.message_vi = message_vi

    def text(self, lang: str = "vi") -> str:
        return self.message_vi if lang != "en" and self.message_vi else str(self)


# What the database drivers say, and what an admin should read instead (English, Vietnamese).
_FULL = ("the disk of the state database is full; free some space",
         "ổ đĩa chứa cơ sở dữ liệu trạng thái đã đầy; hãy giải phóng bớt dung lượng")
_READ_ONLY = ("the state database or its folder is read-only for this user",
              "cơ sở dữ liệu trạng thái hoặc thư mục của nó chỉ cho phép đọc với người dùng này")
_DB_FAULTS = (
    ("database is locked", ("the state database is locked by another program (a backup, a "
                            "database browser?) that holds a write lock",
                            "cơ sở dữ liệu trạng thái đang bị một chương trình khác khoá ghi "
                            "(chương trình sao lưu, trình duyệt cơ sở dữ liệu?)")),
    ("disk is full", _FULL),
    ("disk i/o error", ("the state database's disk could not be written (is it full?)",
                        "không ghi được vào ổ đĩa của cơ sở dữ liệu trạng thái (ổ đã đầy?)")),
    ("no space left", _FULL),
    ("readonly database", _READ_ONLY),
    ("read-only", _READ_ONLY),
    ("unable to open database file", ("the state database file cannot be opened (does its "
                                      "folder exist and can this user write to it?)",
                                      "không mở được tệp cơ sở dữ liệu trạng thái (thư mục "
                                      "của nó có tồn tại và người dùng này có quyền ghi "
                                      "không?)")),
    ("terminating connection", ("the connection to the state database was closed by its server",
                                "máy chủ cơ sở dữ liệu trạng thái đã đóng kết nối")),
    ("server closed the connection", ("the connection to the state database was lost",
                                      "mất kết nối tới cơ sở dữ liệu trạng thái")),
    ("connection", ("the connection to the state database failed",
                    "không kết nối được tới cơ sở dữ liệu trạng thái")),
)


def describe_db_error(exc: BaseException, lang: str = "en") -> str:
    """A state-database failure as an admin can act on it, in `lang`, with the driver's words
    after (as the driver said them)."""
    orig = getattr(exc, "orig", None) or exc
    detail = " ".join(str(orig).split())[:300]
    lowered = detail.lower()
    for needle, (meaning, meaning_vi) in _DB_FAULTS:
        if needle in lowered:
            return f"{meaning_vi if lang == 'vi' else meaning} ({detail})"
    return detail


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # The busy timeout makes a second writer wait instead of failing at once with "database
    # is locked". WAL lets the CLI read while the daemon writes; it stays set in the file, so
    # only a new file is switched, and the switch, which SQLite may refuse at once while
    # another connection opens the same new file, is tried again until the timeout.
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StateError(
            f"state database URL {url!r} is not a valid SQLAlchemy URL",
            f"địa chỉ cơ sở dữ liệu trạng thái {url!r} không phải một URL SQLAlchemy hợp lệ",
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            folder = Path(db).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = exc.strerror or str(exc)
                raise StateError(
                    f"cannot create the folder {folder} of the state database: {why}",
                    f"không tạo được thư mục {folder} của cơ sở dữ liệu trạng thái: {why}",
                ) from exc
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers locks; take the write lock at BEGIN so that two
        # writers queue on the busy timeout rather than deadlock on lock upgrade.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        return engine
    return create_engine(parsed, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    script_location = resources.files("sync.state") / "migrations"
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest version (a no-op when it is there already).

    The check and the migration run in one transaction that holds the database's write lock
    (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so that a daemon and a CLI
    command starting together on a new database never migrate it twice."""
    cfg = _alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8371652)")
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            logger.info(
                "migrating state database %s from %s to %s",
                engine.url.render_as_string(hide_password=True),
                current,
                head,
            )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise StateError(
            f"cannot open the state database {shown}: {describe_db_error(exc)}",
            f"không mở được cơ sở dữ liệu trạng thái {shown}: {describe_db_error(exc, 'vi')}",
        ) from exc


class StateDB:
    """One state database: an engine, a session factory, and the schema kept current."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on error."""
        with self._sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
