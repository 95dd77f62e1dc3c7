"""Records that leave their source: reported by default, withdrawn nationally when the source
says so, and never a mass deletion without the admin's word."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sync.runner
from connectors import SourceRecord, make_connector
from sync.runner import ExitCode
from sync.state.models import Operation, RunStatus
from tests.e2e import e2e_env

pytestmark = pytest.mark.slow
PROPAGATE = 'deletions = "propagate"'


def test_by_default_a_removed_row_is_reported_once_and_nothing_is_sent(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync("tinh-csv")
        env.remove_csv_rows("NV-2023-003", "NV-2023-004")
        writes = env.writes()
        gone = env.sync("tinh-csv")["tinh-csv"]
        assert gone.status is RunStatus.SUCCEEDED
        assert (gone.counts["gone"], gone.counts["deleted"]) == (2, 0)
        assert len(env.national()) == 20 and env.writes() == writes
        assert env.sync("tinh-csv")["tinh-csv"].counts["gone"] == 0  # reported once
        assert env.sync("tinh-csv", dry_run=True)["tinh-csv"].planned == []


def test_with_propagate_a_removed_row_is_withdrawn_and_a_returning_row_comes_back(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE) as env:
        env.sync("tinh-csv")
        national_id = env.national()["tinh-csv:NV-2023-006"].national_id
        csv_before = env.csv_path.read_bytes()
        env.remove_csv_rows("NV-2023-006")
        plan = env.sync("tinh-csv", dry_run=True)["tinh-csv"]
        assert [(p.local_id, p.action) for p in plan.planned] == [
            ("tinh-csv:NV-2023-006", "delete")
        ]
        run = env.sync("tinh-csv")["tinh-csv"]
        assert (run.status, run.counts["deleted"]) == (RunStatus.SUCCEEDED, 1)
        assert "tinh-csv:NV-2023-006" not in env.national() and len(env.national()) == 19
        assert env.sync("tinh-csv")["tinh-csv"].counts["deleted"] == 0
        env.csv_path.write_bytes(csv_before)
        back = env.sync("tinh-csv")["tinh-csv"]
        assert back.counts["created"] == 1
        assert env.national()["tinh-csv:NV-2023-006"].national_id == national_id


def test_a_run_that_would_delete_too_much_stops_and_asks(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE) as env:
        env.sync("tinh-csv")
        env.remove_csv_rows(*(f"NV-2023-{i:03d}" for i in range(1, 6)))  # 5 of 20: 25%
        env.edit_csv("NV-2023-010", "Tên nhiệm vụ", "Tên mới")
        blocked = env.sync("tinh-csv")["tinh-csv"]
        assert blocked.status is RunStatus.FAILED and blocked.exit_code is ExitCode.FAILED
        assert "would delete 5 of the 20 records" in (blocked.error or "")
        assert "--allow-mass-delete" in (blocked.error or "")
        assert len(env.national()) == 20  # nothing withdrawn
        assert env.national()["tinh-csv:NV-2023-010"].record["title"] == "Tên mới"  # the rest went
        assert [o.op for o in env.outbox()] == [Operation.DELETE] * 5
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "stisync",
                "--config",
                str(env.config),
                "sync",
                "tinh-csv",
                "--allow-mass-delete",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "tinh-csv: thành công" in out.stdout and "đã xoá 5" in out.stdout
        assert len(env.national()) == 15 and env.outbox() == []


def test_a_deletion_reported_by_the_source_is_withdrawn(
    tmp_path: Path, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE) as env:
        env.sync("tinh-api")
        api = env.folder / "stisync.toml"
        api.write_text(
            api.read_text(encoding="utf-8").replace(
                'mapping = "api.toml"', 'mapping = "api.toml"\ndeletions = "propagate"'
            ),
            encoding="utf-8",
        )

        def with_a_deletion(
            kind: Any, name: Any, options: Any, *, base_dir: Any = None
        ) -> Any:
            real = make_connector(kind, name, options, base_dir=base_dir)

            class Flagged:
                def records(self, since: Any) -> Any:
                    yield from real.records(since)
                    yield SourceRecord(name, "QL-2022-004", None, {}, deleted=True)

                def close(self) -> None:
                    real.close()

            return Flagged()

        monkeypatch.setattr(sync.runner, "make_connector", with_a_deletion)
        run = env.sync("tinh-api")["tinh-api"]
        assert run.counts["deleted"] == 1, run.error
        assert "tinh-api:QL-2022-004" not in env.national()
