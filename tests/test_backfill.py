"""`sync --since DATE` and `sync --record ID`: reading a source other than from its cursor.
Only what changed is sent, the saved cursor never moves back, and records the read did not
meet are never taken for deletions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from stisync.demo_data import make_tasks
from sync.runner import run_source
from sync.state.models import RunStatus, SourceCursor
from tests.cli_run import Done, run_cli
from tests.e2e import Env, e2e_env

pytestmark = pytest.mark.slow
PROPAGATE = 'deletions = "propagate"'


def _cursor(env: Env, source: str) -> datetime | None:
    db = env.db()
    try:
        with db.session() as s:
            row = s.get(SourceCursor, source)
            return row.cursor if row else None
    finally:
        db.dispose()


def test_since_picks_up_a_missed_change_and_resends_nothing_unchanged(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with e2e_env(tmp_path, state_url) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        # --record first, on a fresh source: one record, read from the first page only.
        one = run_source(str(env.config), "tinh-api", "manual", records=["QL-2022-002"])
        assert one.status is RunStatus.SUCCEEDED and one.counts["created"] == 1
        pages = [r for r in env.api_app.requests_seen() if r["path"] == "/api/nhiem-vu"]
        assert len(pages) == 1  # 15 records in pages of 6: it stopped once QL-2022-002 came
        assert list(env.national()) == ["tinh-api:QL-2022-002"]
        assert _cursor(env, "tinh-api") is None  # untouched: the next run reads everything

        rest = env.sync("tinh-api")["tinh-api"]
        assert (rest.counts["created"], rest.counts["unchanged"]) == (14, 1)
        cursor = _cursor(env, "tinh-api")
        assert cursor is not None

        # A change the provincial system stamped with an old time (a restore, a clock set
        # wrong): the regular read, from the cursor, cannot see it.
        task = make_tasks("QL", 15, seed=13, year=2022)[2]
        env.api_app.put_record(
            task.api()
            | {"ten_nhiem_vu": "Tên sửa mà giữ ngày cũ", "updated_at": "2023-01-01T00:30:00+07:00"}
        )
        missed = env.sync("tinh-api")["tinh-api"]
        assert missed.counts["updated"] == 0
        assert env.national()["tinh-api:QL-2022-003"].record["title"] == task.title
        writes = env.writes()

        # 01/01/2023 is a day in the config's time zone (Asia/Ho_Chi_Minh): it starts at
        # 17:00 UTC the day before, so the change at 00:30 (+07:00) is read; taken as UTC it
        # would not be.
        out = cli("sync", "tinh-api", "--since", "01/01/2023")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "đọc 15, cập nhật 1, không đổi 14" in out.stdout
        assert env.national()["tinh-api:QL-2022-003"].record["title"] == "Tên sửa mà giữ ngày cũ"
        lid = "tinh-api:QL-2022-003"
        assert env.writes() == writes | {lid: writes[lid] + 1}  # nothing unchanged re-sent
        assert _cursor(env, "tinh-api") == cursor  # not moved back to 01/01/2023


def test_record_syncs_exactly_the_named_records(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE, max_attempts=1) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sync("tinh-csv")
        titles = {lid: t.record["title"] for lid, t in env.national().items()}
        for rid in ("NV-2023-003", "NV-2023-007", "NV-2023-010"):
            env.edit_csv(rid, "Tên nhiệm vụ", f"Tên mới của {rid}")
        env.remove_csv_rows("NV-2023-015")
        # A run the national side refused leaves the three changes and the withdrawal queued.
        env.sim.set_faults(down=True)
        assert env.sync("tinh-csv")["tinh-csv"].counts["failed"] == 4
        env.sim.set_faults(down=False)

        asked = ["NV-2023-003", "tinh-csv:NV-2023-007", "NV-2023-999"]
        plan = run_source(str(env.config), "tinh-csv", dry_run=True, records=asked)
        assert [(p.local_id, p.action) for p in plan.planned] == [
            ("tinh-csv:NV-2023-003", "update"),
            ("tinh-csv:NV-2023-007", "update"),
        ]
        assert plan.not_found == ["NV-2023-999"] and plan.status is RunStatus.PARTIAL

        result = run_source(str(env.config), "tinh-csv", "manual", records=asked)
        assert result.not_found == ["NV-2023-999"]
        assert result.status is RunStatus.PARTIAL and result.error == "not found: NV-2023-999"
        assert (result.counts["fetched"], result.counts["updated"]) == (2, 2)
        assert (result.counts["deleted"], result.counts["failed"]) == (0, 0)
        national = env.national()
        assert national["tinh-csv:NV-2023-003"].record["title"] == "Tên mới của NV-2023-003"
        assert national["tinh-csv:NV-2023-007"].record["title"] == "Tên mới của NV-2023-007"
        # Not asked for: the changed one waits, the removed one is still there.
        assert national["tinh-csv:NV-2023-010"].record["title"] == titles["tinh-csv:NV-2023-010"]
        assert "tinh-csv:NV-2023-015" in national
        assert sorted(o.local_id for o in env.outbox()) == [
            "tinh-csv:NV-2023-010",
            "tinh-csv:NV-2023-015",
        ]

        out = cli("sync", "tinh-csv", "--record", "NV-2023-404")
        assert out.returncode == 1
        assert "  Không tìm thấy trong nguồn: NV-2023-404" in out.stdout.splitlines()
        english = cli("--lang", "en", "sync", "tinh-csv", "--record", "X-1")
        assert "  Not found in the source: X-1" in english.stdout.splitlines()
        no_source = cli("sync", "--record", "NV-2023-003")
        assert no_source.returncode == 2 and "--record cần đúng một NGUỒN" in no_source.stderr
        both = cli("sync", "tinh-csv", "--full", "--record", "NV-2023-003")
        assert both.returncode == 2

        rest = env.sync("tinh-csv")["tinh-csv"]  # the regular run delivers what waited
        assert (rest.counts["updated"], rest.counts["deleted"]) == (1, 1)
        assert "tinh-csv:NV-2023-015" not in env.national() and env.outbox() == []
