"""The daemon: sources on their schedules, catch-up after downtime, a clean stop on SIGTERM,
and no overlap with a manual sync."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update

import scheduler
from sync import runner
from sync.config import load_config
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus, Trigger
from tests.e2e import Env, e2e_env

pytestmark = pytest.mark.slow
UTC = timezone.utc


def wait_for(check: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def runs(env: Env, source: str | None = None) -> list[Run]:
    db = StateDB(env.state_url)
    try:
        with db.session() as s:
            q = select(Run).order_by(Run.id)
            if source:
                q = q.where(Run.source == source)
            return list(s.scalars(q))
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "trigger, last, now, expected",
    [
        (
            CronTrigger.from_crontab("0 2 * * *", timezone="UTC"),
            None,
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
        ),
        (
            CronTrigger.from_crontab("0 2 * * *", timezone="UTC"),
            datetime(2026, 2, 27, 2, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
        ),
        (
            CronTrigger.from_crontab("0 2 * * *", timezone="UTC"),
            datetime(2026, 3, 1, 2, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            datetime(2026, 3, 2, 2, tzinfo=UTC),
        ),
        (
            IntervalTrigger(hours=1, timezone="UTC"),
            datetime(2026, 3, 1, 11, 30, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            None,
        ),
    ],
    ids=["never-run", "missed-while-down", "ran-today", "interval-not-due"],
)
def test_next_run_after_catches_up_only_what_was_missed(
    trigger: Any, last: Any, now: Any, expected: Any
) -> None:
    got = scheduler.next_run_after(trigger, last, now)
    if expected is None:
        assert got is not None and got > now
    else:
        assert got == expected


def test_each_source_runs_on_its_schedule_and_the_daemon_stops_when_asked(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, csv_schedule="every 2s") as env:
        stop = threading.Event()
        daemon = threading.Thread(
            target=scheduler.run_daemon, args=(load_config(env.config),), kwargs={"stop": stop}
        )
        daemon.start()
        try:
            wait_for(
                lambda: (
                    len([r for r in runs(env, "tinh-csv") if r.status is not RunStatus.RUNNING])
                    >= 3
                ),
                what="three scheduled runs of tinh-csv",
            )
        finally:
            stop.set()
            daemon.join(timeout=30)
        assert not daemon.is_alive()
        csv_runs = runs(env, "tinh-csv")
        assert all(r.trigger is Trigger.SCHEDULE for r in csv_runs)
        assert csv_runs[0].counts["created"] == 20 and csv_runs[1].counts["unchanged"] == 20
        # sources never run before ran once at start; their cron times are hours away
        assert len(runs(env, "tinh-xlsx")) == 1 and len(runs(env, "tinh-api")) == 1
        assert all(r.status is not RunStatus.RUNNING for r in runs(env))
        assert set(env.creates().values()) == {1}


def test_a_run_missed_while_the_daemon_was_down_runs_at_start(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync(trigger="schedule")
        db = StateDB(state_url)
        with db.session() as s:
            s.execute(
                update(Run)
                .where(Run.source == "tinh-xlsx")
                .values(started_at=datetime.now(UTC) - timedelta(days=2))
            )
        db.dispose()
        stop = threading.Event()
        daemon = threading.Thread(
            target=scheduler.run_daemon, args=(load_config(env.config),), kwargs={"stop": stop}
        )
        daemon.start()
        try:
            wait_for(
                lambda: (
                    len(runs(env, "tinh-xlsx")) == 2
                    and runs(env, "tinh-xlsx")[-1].finished_at is not None
                ),
                what="the missed tinh-xlsx run",
            )
            time.sleep(1)
        finally:
            stop.set()
            daemon.join(timeout=30)
        assert len(runs(env, "tinh-api")) == 1 and len(runs(env, "tinh-csv")) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX; Windows uses Ctrl+Break")
def test_sigterm_finishes_the_batch_in_flight_and_a_manual_sync_never_overlaps(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, batch_size=1) as env:
        # Slow enough that tinh-csv (20 batches) is still running after the second command
        # starts, even on a loaded machine.
        env.sim.set_faults(latency=0.5)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "stisync", "--config", str(env.config), "daemon"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(lambda: len(env.national()) >= 3, what="the daemon's first deliveries")
            busy = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "stisync",
                    "--config",
                    str(env.config),
                    "sync",
                    "tinh-csv",
                    "--no-wait",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert busy.returncode == 2
            assert "đang được một lượt khác đồng bộ" in busy.stdout, busy.stdout
            assert "(lượt chạy None)" not in busy.stdout
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=20) == 0
        finally:
            daemon.kill()
            output = daemon.stdout.read() if daemon.stdout else ""
        assert "Traceback" not in output
        # Told at the terminal in the admin's language; the log lines stay English.
        assert "Tiến trình nền đang chạy (4 việc theo lịch); dừng bằng Ctrl+C" in output, output
        assert "Tiến trình nền đã dừng." in output, output
        csv_run = runs(env, "tinh-csv")[0]
        assert csv_run.status is RunStatus.INTERRUPTED, output
        assert 0 < len(env.national()) < 50
        env.sim.set_faults(latency=0.0)
        env.sync()
        assert len(env.national()) == 50
        assert set(env.creates().values()) == {1}


def test_a_scheduled_run_killed_halfway_is_run_again_when_the_daemon_starts(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync(trigger="schedule")
        db = StateDB(state_url)
        try:
            # The last scheduled tinh-xlsx run is left "running" by a process that died.
            with db.session() as s:
                s.execute(
                    update(Run).where(Run.source == "tinh-xlsx").values(
                        status=RunStatus.RUNNING, finished_at=None
                    )
                )
            config = load_config(env.config)
            runner.mark_crashed(db)
            due = scheduler.next_runs(config, db)
        finally:
            db.dispose()
        now = datetime.now(UTC)
        assert due["tinh-xlsx"] is not None and due["tinh-xlsx"] <= now
        # The others ran to the end an instant ago; their cron times are hours away.
        later = due["tinh-api"]
        assert later is not None and later > now
        assert [r.status for r in runs(env, "tinh-xlsx")] == [RunStatus.CRASHED]
