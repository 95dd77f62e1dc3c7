"""The state database: migrations equal the models, SQLite settings, aware datetimes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from sync.state.db import StateDB, StateError
from sync.state.models import Base, Run, RunStatus, Trigger


def test_migrations_create_exactly_the_models(state_url: str) -> None:
    db = StateDB(state_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_opening_twice_keeps_the_data(state_url: str) -> None:
    db = StateDB(state_url)
    with db.session() as s:
        s.add(
            Run(
                run_uid="u1",
                source="a",
                trigger=Trigger.MANUAL,
                status=RunStatus.RUNNING,
                started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                counts={},
            )
        )
    db.dispose()
    again = StateDB(state_url)
    with again.session() as s:
        run = s.query(Run).one()
        assert run.started_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        assert run.started_at.tzinfo is not None
        assert run.trigger is Trigger.MANUAL
    again.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'sub' / 's.sqlite'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert (conn.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 5000
    db.dispose()


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(Exception, match="naive"), db.session() as s:
        s.add(
            Run(
                run_uid="u",
                source="a",
                trigger=Trigger.MANUAL,
                status=RunStatus.RUNNING,
                started_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
                counts={},
            )
        )
    db.dispose()


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot open the state database"),
    ],
    ids=["garbage", "unreachable"],
)
def test_bad_state_urls_give_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(StateError, match=message):
        StateDB(url)


def test_many_openers_of_a_new_database_migrate_it_once(state_url: str) -> None:
    import threading

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            StateDB(state_url).dispose()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = StateDB(state_url)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    db.dispose()


def test_upgrading_an_older_state_keeps_its_rows(state_url: str) -> None:
    from alembic import command

    from sync.state.db import _alembic_config, make_engine

    engine = make_engine(state_url)
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO runs (id, run_uid, source, trigger, status, "full", started_at,'
                " counts) VALUES (1, 'u', 's', 'manual', 'running', false,"
                " '2026-01-01 00:00:00', '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO outbox (source, local_id, record_id, content_hash, record, run_id,"
                " created_at, attempts) VALUES ('s', 's:1', '1', 'h', '{}', 1,"
                " '2026-01-01 00:00:00', 0)"
            )
        )
    engine.dispose()
    db = StateDB(state_url)  # upgrades to the newest version
    with db.session() as s:
        from sync.state.models import Operation, OutboxItem

        (item,) = s.query(OutboxItem).all()
        assert item.op is Operation.UPSERT and item.local_id == "s:1"
    db.dispose()
