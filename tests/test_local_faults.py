"""Faults of the machine the service runs on: a locked SQLite file, a full disk, a read-only
state folder, a PostgreSQL connection killed mid-run. Each gives a run that fails with a
reason an admin can act on (never a traceback), leaves the state database intact, and the
next run carries on: every record delivered, each created once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.runner import run_source
from sync.state import db as state_db
from sync.state.models import RunStatus
from tests.e2e import Env, e2e_env

ROWS = 20


def _change_every_row(env: Env, tag: str) -> None:
    for i in range(1, ROWS + 1):
        env.edit_csv(f"NV-2023-{i:03d}", "Tên nhiệm vụ", f"Tên nhiệm vụ {tag} số {i} " * 8)


def _sync_with(env: Env, on_first_tick: Callable[[], None]) -> Any:
    """A manual sync of the CSV source that calls `on_first_tick` once its first chunk is
    stored, before anything is delivered."""
    fired: list[bool] = []

    def progress(_stage: str, _counts: Any) -> None:
        if not fired:
            fired.append(True)
            on_first_tick()

    return run_source(str(env.config), "tinh-csv", "manual", progress=progress)


def _assert_carries_on(env: Env, tag: str) -> None:
    after = env.sync("tinh-csv")["tinh-csv"]
    assert after.status is RunStatus.SUCCEEDED, after
    national = env.national()
    assert len(national) == ROWS
    assert all(tag in t.record["title"] for t in national.values())
    assert set(env.creates().values()) == {1}
    assert env.outbox() == []


def _integrity(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def test_a_sqlite_file_locked_mid_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_db, "SQLITE_BUSY_TIMEOUT_MS", 500)
    path = tmp_path / "state.sqlite"
    with e2e_env(tmp_path, f"sqlite:///{path}") as env:
        env.sync("tinh-csv")
        _change_every_row(env, "khoá")
        holder: list[sqlite3.Connection] = []

        def lock() -> None:  # a backup tool or a database browser takes a write lock
            con = sqlite3.connect(path, timeout=1, isolation_level=None)
            con.execute("BEGIN EXCLUSIVE")
            holder.append(con)

        result = _sync_with(env, lock)
        holder[0].execute("ROLLBACK")
        holder[0].close()
        assert result.status is RunStatus.FAILED
        assert "locked by another program" in (result.error or "")
        assert _integrity(path) == "ok"
        _assert_carries_on(env, "khoá")


@contextmanager
def _small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB file system of its own (tmpfs), or a skip where this user may not mount."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root on Linux to mount a small tmpfs (CI runs so)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    pad = disk / "pad"
    stat = os.statvfs(disk)
    with pad.open("wb") as f, suppress(OSError):
        f.write(b"\0" * (stat.f_bavail * stat.f_frsize))
    return pad


def test_a_disk_that_fills_up_mid_run(tmp_path: Path) -> None:
    with _small_disk(tmp_path) as disk, e2e_env(tmp_path, f"sqlite:///{disk}/s.sqlite") as env:
        env.sync("tinh-csv")
        _change_every_row(env, "đầy")
        pads: list[Path] = []
        result = _sync_with(env, lambda: pads.append(_fill(disk)))
        assert result.status is RunStatus.FAILED
        assert "disk of the state database is full" in (result.error or "")
        pads[0].unlink()
        assert _integrity(disk / "s.sqlite") == "ok"
        _assert_carries_on(env, "đầy")


def test_a_state_folder_that_turns_read_only(tmp_path: Path) -> None:
    with _small_disk(tmp_path) as disk, e2e_env(tmp_path, f"sqlite:///{disk}/s.sqlite") as env:
        env.sync("tinh-csv")
        _change_every_row(env, "chỉ đọc")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            result = env.sync("tinh-csv")["tinh-csv"]
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        assert result.status is RunStatus.FAILED
        assert "can this user write to it?" in (result.error or "")
        assert _integrity(disk / "s.sqlite") == "ok"
        _assert_carries_on(env, "chỉ đọc")


def test_a_postgresql_connection_killed_mid_run(tmp_path: Path, pg_url: str) -> None:
    name = make_url(pg_url).database
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def kill() -> None:  # the server restarts, or an admin ends the service's sessions
        with admin.connect() as c:
            c.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})

    try:
        with e2e_env(tmp_path, pg_url) as env:
            env.sync("tinh-csv")
            _change_every_row(env, "mất kết nối")
            result = _sync_with(env, kill)
            # Killed between transactions: the pool's pre-ping replaces the dead connections
            # and the run carries on by itself; nothing is lost or doubled.
            assert result.status is RunStatus.SUCCEEDED, result
            assert result.counts["updated"] == ROWS
            _assert_carries_on(env, "mất kết nối")
    finally:
        admin.dispose()
