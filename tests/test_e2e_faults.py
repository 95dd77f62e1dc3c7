"""A national side that fails: flaky (503/429 with Retry-After), or down and then back."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.runner import ExitCode
from sync.state.models import RunStatus
from tests.e2e import e2e_env

pytestmark = pytest.mark.slow


def test_with_30_percent_failures_every_record_arrives_once_and_retry_after_is_honoured(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, batch_size=10, max_attempts=10) as env:
        env.sim.set_faults(failure_rate=0.3, retry_after=1, seed=7)
        results = env.sync("tinh-csv", "tinh-api")
        assert all(r.status is RunStatus.SUCCEEDED for r in results.values()), results
        national = env.national()
        assert len(national) == 35
        assert set(env.creates().values()) == {1}
        assert env.local_hashes() == {k: t.content_hash for k, t in national.items()}
        stats = env.sim.stats()
        refused = {k: v for k, v in stats["requests"]["by_status"].items() if k in ("429", "503")}
        assert sum(refused.values()) >= 3, stats["requests"]  # the faults really happened
        gaps = stats["retry_gaps"]
        assert gaps and all(g["honoured"] for g in gaps), gaps


def test_with_the_national_side_down_records_wait_in_the_outbox_for_the_next_run(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, max_attempts=2, max_retry_seconds=3) as env:
        env.sim.set_faults(down=True)
        down = env.sync("tinh-csv")["tinh-csv"]
        assert down.status is RunStatus.FAILED and down.exit_code is ExitCode.FAILED
        assert "national API" in (down.error or "")
        assert down.counts["failed"] == 20
        assert len(env.outbox()) == 20 and env.national() == {}

        env.sim.set_faults(down=False)
        back = env.sync("tinh-csv")["tinh-csv"]
        assert back.status is RunStatus.SUCCEEDED, back.error
        assert back.counts["created"] == 20
        assert env.outbox() == []
        assert set(env.creates().values()) == {1}
        # The failed run's report was kept and sent after the next run.
        reports = env.sim.app.extensions["national_sim"].store.reports(env.sim.province, None)
        assert {r["status"] for r in reports} >= {"failed", "succeeded"}


def test_refused_credentials_fail_the_run_with_a_clear_message(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        (env.folder / "national-secret").write_text("wrong", encoding="utf-8")
        result = env.sync("tinh-csv")["tinh-csv"]
        assert result.status is RunStatus.FAILED and result.exit_code is ExitCode.FAILED
        assert "credentials" in (result.error or "")
        assert len(env.outbox()) == 20


def test_an_unreachable_source_fails_the_run_and_keeps_what_was_delivered(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync("tinh-api")
        env.provincial.stop()
        result = env.sync("tinh-api")["tinh-api"]
        assert result.status is RunStatus.FAILED and result.exit_code is ExitCode.FAILED
        assert (result.error or "").startswith("source: tinh-api")
        assert len(env.national()) == 15
