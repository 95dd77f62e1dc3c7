"""`stisync reconcile`: a national copy changed, emptied or given records behind the service's
back is found record by record, nothing is written without `--repair`, and `--repair` puts it
right through the normal delivery, logged as a run, so that a second reconcile agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from national_sim import sim_state
from sync.config import load_config
from sync.logbook import run_detail
from sync.reconcile import reconcile
from sync.state.models import PendingReport, Run
from tests.cli_run import Done, run_cli
from tests.e2e import Env, e2e_env, national_hashes_match
from tests.sim_tamper import add_national, change_national, empty_national, withdraw_national

pytestmark = pytest.mark.slow
PROPAGATE = 'deletions = "propagate"'


def _runs(env: Env) -> int:
    db = env.db()
    try:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(Run)) or 0
    finally:
        db.dispose()


def _agree(env: Env, namespace: str) -> bool:
    """The national records of `namespace` are exactly those the state delivered, same hashes."""
    national = {k: t.content_hash for k, t in env.national().items() if k.startswith(namespace)}
    local = {k: h for k, h in env.local_hashes().items() if k.startswith(namespace)}
    return national == local


def test_a_changed_a_withdrawn_and_an_extra_record_are_found_then_repaired(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE) as env:
        env.sync("tinh-csv")
        config = load_config(env.config)
        first = reconcile(config, "tinh-csv")
        assert (first.exit_code, first.national, first.expected) == (0, 20, 20)
        assert first.differences == []

        original = env.national()["tinh-csv:NV-2023-003"].record
        change_national(env.sim, "tinh-csv:NV-2023-003", title="Sửa thẳng trên CSDL quốc gia")
        withdraw_national(env.sim, "tinh-csv:NV-2023-004")
        other = env.national()["tinh-csv:NV-2023-005"].record
        add_national(env.sim, "tinh-csv:NV-2023-999", other)
        add_national(env.sim, "he-thong-khac:NV-1", other)  # not this source's namespace
        before, runs = env.national(), _runs(env)

        found = reconcile(config, "tinh-csv")
        assert [(d.local_id, d.kind, d.reason) for d in found.differences] == [
            ("tinh-csv:NV-2023-004", "missing", "absent nationally"),
            ("tinh-csv:NV-2023-999", "extra", "unknown locally"),
            ("tinh-csv:NV-2023-003", "stale", "changed nationally"),
        ]
        assert (found.exit_code, found.national, found.expected) == (1, 20, 20)
        stale = found.differences[2]
        assert stale.local_hash == env.local_hashes()["tinh-csv:NV-2023-003"]
        assert stale.national_hash == before["tinh-csv:NV-2023-003"].content_hash
        # Without --repair: nothing written here or there.
        assert env.national() == before and _runs(env) == runs and env.outbox() == []

        repaired = reconcile(config, "tinh-csv", repair=True)
        assert repaired.exit_code == 1 and len(repaired.differences) == 3
        assert repaired.run_status == "succeeded", repaired.error
        assert (repaired.counts["created"], repaired.counts["updated"]) == (1, 1)
        assert repaired.counts["deleted"] == 1
        national = env.national()
        assert national["tinh-csv:NV-2023-003"].record == original
        assert "tinh-csv:NV-2023-004" in national and "tinh-csv:NV-2023-999" not in national
        assert "he-thong-khac:NV-1" in national
        assert _agree(env, "tinh-csv:") and national_hashes_match(env)
        assert env.outbox() == []

        # Logged as a run of its own, one event per record, and reported: as "manual", the
        # national contract's word for a run a person started.
        db = env.db()
        try:
            assert repaired.run_id is not None
            detail = run_detail(db, repaired.run_id)
            with db.session() as s:
                assert s.scalars(select(PendingReport)).all() == []
        finally:
            db.dispose()
        assert detail is not None and detail["trigger"] == "reconcile"
        assert sorted((r["local_id"], r["outcome"]) for r in detail["records"]) == [
            ("tinh-csv:NV-2023-003", "updated"),
            ("tinh-csv:NV-2023-004", "created"),
            ("tinh-csv:NV-2023-999", "deleted"),
        ]
        sent = sim_state(env.sim.app).store.reports(env.sim.province, None)
        assert [r["trigger"] for r in sent if r["run_id"] == detail["run_uid"]] == ["manual"]

        again = reconcile(config, "tinh-csv")
        assert (again.exit_code, again.differences) == (0, [])
        after = env.sync("tinh-csv")["tinh-csv"]  # and the next sync has nothing to send
        assert (after.counts["created"], after.counts["updated"], after.counts["deleted"]) == (
            0,
            0,
            0,
        )


def test_an_emptied_province_and_a_version_not_yet_delivered(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with e2e_env(tmp_path, state_url, max_attempts=1) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sync("tinh-csv")
        env.edit_csv("NV-2023-002", "Tên nhiệm vụ", "Tên mới, chưa gửi được")
        env.sim.set_faults(down=True)
        assert env.sync("tinh-csv")["tinh-csv"].counts["failed"] == 1
        env.sim.set_faults(down=False)
        config = load_config(env.config)

        waiting = reconcile(config, "tinh-csv")
        assert [(d.local_id, d.kind, d.reason) for d in waiting.differences] == [
            ("tinh-csv:NV-2023-002", "stale", "newer version waiting")
        ]

        empty_national(env.sim)
        out = cli("reconcile", "tinh-csv")
        assert out.returncode == 1, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == (
            "tinh-csv: CSDL quốc gia có 0 bản ghi, theo trạng thái cục bộ phải có 20; "
            "có 20 khác biệt (thiếu 20)"
        )
        assert lines[1].split() == ["khác", "biệt", "bản", "ghi", "lý", "do"]
        row = next(line for line in lines if "tinh-csv:NV-2023-001" in line)
        assert row.startswith("thiếu") and "đã gửi nhưng CSDL quốc gia không còn" in row
        assert lines[-2:] == [
            "Chạy stisync reconcile tinh-csv --repair để sửa.",
            "Chưa sửa gì (không có --repair): không ghi gì, không gửi gì.",
        ]
        assert env.national() == {}

        fixed = cli("reconcile", "tinh-csv", "--repair", "--format", "json")
        assert fixed.returncode == 1, fixed.stderr
        result = json.loads(fixed.stdout)
        assert result["by_kind"] == {"missing": 20, "extra": 0, "stale": 0}
        assert result["run_status"] == "succeeded" and result["counts"]["created"] == 20
        national = env.national()
        assert len(national) == 20 and _agree(env, "tinh-csv:")
        assert national["tinh-csv:NV-2023-002"].record["title"] == "Tên mới, chưa gửi được"

        again = cli("--lang", "en", "reconcile", "tinh-csv")
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[0] == (
            "tinh-csv: 20 national record(s), 20 expected from the local state; in agreement"
        )
        logs = cli("logs", "--source", "tinh-csv").stdout
        assert "đối soát" in logs  # the repair's run, by its trigger

        unknown = cli("reconcile", "khong-co")
        assert unknown.returncode == 2 and "Lỗi cấu hình" in unknown.stderr


def test_extra_records_are_withdrawn_only_as_far_as_the_source_allows(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra=PROPAGATE, max_attempts=1) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sync("tinh-csv", "tinh-xlsx")
        config = load_config(env.config)
        record = env.national()["tinh-csv:NV-2023-001"].record

        # tinh-xlsx keeps the default deletions = "report": told, and left alone.
        add_national(env.sim, "tinh-xlsx:DM-LA", record)
        kept = reconcile(config, "tinh-xlsx", repair=True)
        assert kept.exit_code == 1 and kept.kept == ["tinh-xlsx:DM-LA"]
        assert kept.run_id is None and "tinh-xlsx:DM-LA" in env.national()
        said = cli("reconcile", "tinh-xlsx", "--repair")
        assert said.returncode == 1
        assert 'đặt deletions = "propagate" trong [sources.tinh-xlsx]' in said.stdout

        # tinh-csv propagates, within the mass-delete guard: 3 of its 20 is over 10%.
        extras = [f"tinh-csv:NV-LA-{i}" for i in range(3)]
        for lid in extras:
            add_national(env.sim, lid, record)
        blocked = reconcile(config, "tinh-csv", repair=True)
        assert blocked.exit_code == 2 and blocked.blocked == 3
        assert "--allow-mass-delete" in (blocked.error or "")
        assert set(extras) <= set(env.national()) and env.outbox() == []
        allowed = reconcile(config, "tinh-csv", repair=True, allow_mass_delete=True)
        assert allowed.exit_code == 1 and allowed.counts["deleted"] == 3
        assert not set(extras) & set(env.national())
        assert reconcile(config, "tinh-csv").exit_code == 0

        # The national side down: a failure, not an agreement.
        env.sim.set_faults(down=True)
        down = reconcile(config, "tinh-csv")
        assert down.exit_code == 2 and not down.compared
        assert (down.error or "").startswith("national API")
