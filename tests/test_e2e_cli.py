"""The `stisync` command as an admin runs it: exit codes, output, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync.state.db import StateDB
from sync.state.locks import SourceLease
from tests.e2e import e2e_env

pytestmark = pytest.mark.slow


def stisync(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stisync", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        encoding="utf-8",
        check=False,
    )


def test_sync_status_logs_and_quarantine_from_the_command_line(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        first = stisync(env.config, "sync")
        assert first.returncode == 1, first.stderr  # some rows were held back
        assert "tinh-csv: succeeded" in first.stdout and "created 20" in first.stdout
        assert "tinh-xlsx: partial" in first.stdout
        assert "Traceback" not in first.stderr

        assert stisync(env.config, "sync", "tinh-csv").returncode == 0

        runs = json.loads(stisync(env.config, "logs", "--format", "json").stdout)
        assert [r["source"] for r in runs][:2] == ["tinh-csv", "tinh-api"]
        assert {r["status"] for r in runs} == {"succeeded", "partial"}
        partial = next(r for r in runs if r["status"] == "partial")
        assert partial["counts"]["invalid"] == 2

        detail = stisync(env.config, "logs", str(partial["run"]))
        assert detail.returncode == 0
        assert "invalid" in detail.stdout and "tinh-xlsx:DM-2024-016" in detail.stdout
        assert "danh-muc.xlsx, sheet Danh mục, row 20" in detail.stdout
        assert "Cấp vùng" in detail.stdout

        csv_out = stisync(env.config, "logs", "--source", "tinh-xlsx", "--format", "csv").stdout
        assert csv_out.splitlines()[0].startswith("run,source,trigger,status")

        failed_only = json.loads(
            stisync(env.config, "logs", "--status", "failed", "--format", "json").stdout
        )
        assert failed_only == []

        status = stisync(env.config, "status").stdout
        xlsx_line = next(line for line in status.splitlines() if line.startswith("tinh-xlsx"))
        assert "partial" in xlsx_line and "cron 0 2 * * *" in xlsx_line

        held = stisync(env.config, "quarantine", "--source", "tinh-xlsx")
        assert "tinh-xlsx:DM-2024-017" in held.stdout and "title" in held.stdout
        as_json = json.loads(stisync(env.config, "quarantine", "--format", "json").stdout)
        assert {q["record_id"] for q in as_json} == {"DM-2024-016", "DM-2024-017"}


def test_dry_run_prints_the_plan_and_exits_by_what_it_found(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        out = stisync(env.config, "sync", "tinh-csv", "--dry-run")
        assert out.returncode == 0
        assert "dry run, nothing sent" in out.stdout
        assert out.stdout.count("create ") == 20 and "new record" in out.stdout
        assert env.national() == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (("sync", "nope"), "no such source; configured sources: tinh-csv, tinh-xlsx, tinh-api"),
        (("logs", "999"), "no run 999"),
    ],
    ids=["unknown-source", "unknown-run"],
)
def test_mistakes_end_with_code_2_and_a_message(
    tmp_path: Path, state_url: str, args: tuple[str, ...], message: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        out = stisync(env.config, *args)
        assert out.returncode == 2
        assert message in out.stderr and "Traceback" not in out.stderr


def test_a_broken_config_names_file_and_key_and_nothing_runs(tmp_path: Path) -> None:
    config = tmp_path / "stisync.toml"
    config.write_text(
        'province = "52"\n[national]\nurl = "http://127.0.0.1:9/api"\nauth = "magic"\n',
        encoding="utf-8",
    )
    out = stisync(config, "sync")
    assert out.returncode == 2
    assert f"{config}: national.auth: must be" in out.stderr and "Traceback" not in out.stderr
    missing = stisync(tmp_path / "none.toml", "status")
    assert missing.returncode == 2 and "configuration file not found" in missing.stderr


def test_the_national_side_down_exits_2(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url, max_attempts=1, max_retry_seconds=1) as env:
        env.sim.set_faults(down=True)
        out = stisync(env.config, "sync", "tinh-csv")
        assert out.returncode == 2
        assert "tinh-csv: failed" in out.stdout and "national API" in out.stdout


def test_a_manual_sync_of_a_busy_source_refuses_or_waits(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        db = StateDB(state_url)
        lease = SourceLease(db, "tinh-csv")
        lease.acquire()
        refused = stisync(env.config, "sync", "tinh-csv", "--no-wait")
        assert refused.returncode == 2
        assert "being synced by another run" in refused.stdout
        assert env.national() == {}
        threading.Timer(2.0, lease.release).start()
        waited = stisync(env.config, "sync", "tinh-csv", "--wait", "60")
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert "created 20" in waited.stdout
        db.dispose()
