"""Retention: old runs, their per-record events and old raw payloads are deleted in bounded
batches; what is still referenced, still running or still held back is kept."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

import scheduler
from sync.config import ConfigError, RetentionConfig, load_config
from sync.retention import prune, prune_job
from sync.state.db import StateDB
from sync.state.models import (
    OutboxItem,
    Outcome,
    PendingReport,
    QuarantineItem,
    QuarantineReason,
    RawRecord,
    RecordEvent,
    Run,
    RunStatus,
    Trigger,
)
from tests.cli_run import run_cli

NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=500)  # past runs_days = 400
RECENT = NOW - timedelta(days=30)  # within both
RETENTION = RetentionConfig(runs_days=400, raw_days=90)


def add_run(s: Any, name: str, started: datetime, *, events: int = 0,
            status: RunStatus = RunStatus.SUCCEEDED) -> int:
    run = Run(run_uid=name, source="src", trigger=Trigger.SCHEDULE, status=status,
              started_at=started, counts={})
    s.add(run)
    s.flush()
    for i in range(events):
        s.add(RecordEvent(run_id=run.id, source="src", local_id=f"src:{name}-{i}",
                          record_id=f"{name}-{i}", outcome=Outcome.CREATED, at=started))
    return int(run.id)


def add_raw(s: Any, key: str, fetched: datetime, run_id: int) -> None:
    s.add(RawRecord(source="src", record_key=key, local_id=key, record_id=key,
                    payload={"Mã số": key}, origin={"row": 2}, fetched_at=fetched, run_id=run_id,
                    digest="0" * 64))


def add_held(s: Any, key: str, run_id: int) -> None:
    s.add(QuarantineItem(source="src", record_key=key, local_id=key, record_id=key,
                         reason=QuarantineReason.INVALID, problems=[], first_at=OLD, last_at=OLD,
                         run_id=run_id))


def fill(db: StateDB) -> dict[str, int]:
    """Runs of every kind that retention meets; returns their ids by name."""
    with db.session() as s:
        ids = {
            "old": add_run(s, "old", OLD, events=12),
            "old2": add_run(s, "old2", OLD + timedelta(days=1), events=3),
            "recent": add_run(s, "recent", RECENT, events=4),
            "running": add_run(s, "running", OLD, events=2, status=RunStatus.RUNNING),
            "outbox": add_run(s, "outbox", OLD, events=1),
            "held": add_run(s, "held", OLD, events=1),
            "raw": add_run(s, "raw", OLD, events=1),
            "report": add_run(s, "report", OLD, events=1),
        }
        s.add(OutboxItem(source="src", local_id="src:pending", record_id="pending",
                         content_hash="h", record={}, run_id=ids["outbox"], created_at=OLD))
        add_held(s, "src:held", ids["held"])
        s.add(PendingReport(run_id=ids["report"], report={}))
        add_raw(s, "src:stale-1", OLD, ids["raw"])  # not read for 500 days: goes
        add_raw(s, "src:stale-2", NOW - timedelta(days=91), ids["recent"])  # goes
        add_raw(s, "src:held", OLD, ids["recent"])  # old, but still in quarantine: kept
        add_raw(s, "src:fresh", RECENT, ids["recent"])  # kept
    return ids


def counts(db: StateDB) -> tuple[set[str], int, set[str]]:
    with db.session() as s:
        runs = set(s.scalars(select(Run.run_uid)))
        events = s.scalar(select(func.count()).select_from(RecordEvent)) or 0
        raw = set(s.scalars(select(RawRecord.record_key)))
    return runs, events, raw


def test_old_runs_events_and_raw_records_go_in_batches_and_what_is_referenced_stays(
    state_url: str,
) -> None:
    db = StateDB(state_url)
    fill(db)
    before = counts(db)
    plan = prune(db, RETENTION, now=NOW, dry_run=True)
    # "raw" is referenced only by a raw payload that goes: it goes in the same prune.
    assert (plan.runs, plan.events, plan.raw) == (3, 16, 2)
    assert counts(db) == before  # a dry run deletes nothing

    deletes: list[tuple[str, int]] = []

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append((statement.split()[2], cursor.rowcount))

    event.listen(db.engine, "after_cursor_execute", watch)
    done = prune(db, RETENTION, now=NOW, batch=5)
    event.remove(db.engine, "after_cursor_execute", watch)
    assert (done.runs, done.events, done.raw) == (3, 16, 2)
    # At most 5 rows per statement (and per transaction: each runs in its own).
    event_deletes = [n for table, n in deletes if table == "record_events"]
    assert event_deletes == [5, 5, 5, 1] and all(n <= 5 for _, n in deletes)

    runs, events, raw = counts(db)
    assert runs == {"recent", "running", "outbox", "held", "report"}
    assert events == 4 + 2 + 1 + 1 + 1  # the kept runs keep their events
    assert raw == {"src:held", "src:fresh"}
    again = prune(db, RETENTION, now=NOW, batch=5)
    assert (again.runs, again.events, again.raw) == (0, 0, 0)
    db.dispose()


CONFIG = """
province = "52"
state_url = "sqlite:///state.sqlite"
{retention}
[national]
url = "http://127.0.0.1:9/api"
auth = "token"
token_env = "NATIONAL_TOKEN"

[sources.src]
kind = "spreadsheet"
schedule = "every 1h"
mapping = "m.toml"
connector = {{ path = "x.csv", id_column = "Mã số" }}
"""


def write_config(folder: Path, retention: str = "") -> Path:
    (folder / "m.toml").write_text('[mapping]\nnamespace = "src"\n[fields]\n', encoding="utf-8")
    path = folder / "stisync.toml"
    path.write_text(CONFIG.format(retention=retention), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "table, message",
    [
        ("[retention]\nruns_days = 0", "retention.runs_days: must be a whole number of at least 1"),
        ('[retention]\nraw_days = "90"', "retention.raw_days: must be int"),
        ("[retention]\nraw_day = 90", "retention.raw_day: unknown key"),
    ],
    ids=["zero", "text", "typo"],
)
def test_a_wrong_retention_table_is_named(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path, table))


def test_prune_by_hand_and_daily_in_the_daemon(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = write_config(tmp_path, "[retention]\nruns_days = 400\nraw_days = 90\n")
    loaded = load_config(config)
    assert loaded.retention == RETENTION
    (tmp_path / "defaults").mkdir()
    assert load_config(write_config(tmp_path / "defaults")).retention == RETENTION
    db = StateDB(loaded.state_url)
    ids = fill(db)
    with db.session() as s:  # the run fill() dated 500 days before NOW is that old today too
        for run in s.scalars(select(Run)):
            run.started_at = run.started_at - (NOW - datetime.now(timezone.utc))
        for raw in s.scalars(select(RawRecord)):
            raw.fetched_at = raw.fetched_at - (NOW - datetime.now(timezone.utc))

    plan = run_cli(monkeypatch, capsys, config, "prune", "--dry-run")
    assert plan.returncode == 0
    assert plan.stdout.startswith("Chạy thử, chưa xoá gì: sẽ xoá 3 lượt chạy cũ hơn 400 ngày")
    assert "16 sự kiện của bản ghi, và 2 dữ liệu gốc" in plan.stdout
    done = run_cli(monkeypatch, capsys, config, "--lang", "en", "prune", "--format", "json")
    assert json.loads(done.stdout) | {"runs_before": None, "raw_before": None} == {
        "runs": 3, "events": 16, "raw": 2, "dry_run": False, "runs_before": None,
        "raw_before": None,
    }
    with db.session() as s:
        assert s.get(Run, ids["old"]) is None and s.get(Run, ids["outbox"]) is not None

    # The daemon's job never raises: a prune that cannot run is logged and tried tomorrow.
    with caplog.at_level(logging.ERROR, logger="sync.retention"):
        prune_job(str(tmp_path / "gone.toml"))
    assert "pruning the state database failed" in caplog.text

    sched = scheduler.build_scheduler(loaded, db)
    job = sched.get_job(scheduler.PRUNE_JOB)
    assert job is not None and job.args == (str(loaded.path),)
    assert job.trigger.interval == timedelta(days=1)
    assert abs((job.next_run_time - datetime.now(timezone.utc)).total_seconds()) < 60
    db.dispose()
