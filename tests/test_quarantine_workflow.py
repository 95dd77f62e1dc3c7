"""The quarantine workflow an admin follows when records are held back: raw records kept at
each read, `sync --remap` after a mapping fix (without reading the source), `quarantine show`
and `retry`, dead letters, and the migration that brings the raw records table."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from sync import quarantine
from sync.config import load_config
from sync.logbook import source_status
from sync.raw_records import decode, encode
from sync.state.db import StateDB
from sync.state.models import (
    Outcome,
    QuarantineItem,
    QuarantineReason,
    RawRecord,
    RecordEvent,
    Run,
    RunStatus,
    SourceCursor,
    Trigger,
)
from tests.cli_run import Done, run_cli
from tests.e2e import Env, e2e_env

pytestmark = pytest.mark.slow


class Cli:
    """`stisync --config CONFIG ...` in this process, as run_cli runs it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.monkeypatch, self.capsys = monkeypatch, capsys

    def __call__(self, config: Path, *argv: str) -> Done:
        return run_cli(self.monkeypatch, self.capsys, config, *argv)


@pytest.fixture
def stisync(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)

LEVEL = "tinh-xlsx:DM-2024-016"  # management level "Cấp vùng": not in the mapping's labels
NO_TITLE = "tinh-xlsx:DM-2024-017"
REFUSED = "tinh-csv:NV-2023-007"


def fix_level_mapping(env: Env) -> None:
    """The admin's fix: the workbook's "Cấp vùng" is read as a provincial task."""
    path = env.folder / "xlsx.toml"
    old = 'labels = { "Tỉnh/Thành phố" = "provincial" }'
    mapping = path.read_text(encoding="utf-8")
    assert old in mapping
    fixed = 'labels = { "Tỉnh/Thành phố" = "provincial", "Cấp vùng" = "provincial" }'
    path.write_text(mapping.replace(old, fixed), encoding="utf-8")


def events_of(env: Env, local_id: str) -> list[tuple[int, Outcome]]:
    db = env.db()
    try:
        with db.session() as s:
            return [
                (e.run_id, e.outcome)
                for e in s.scalars(
                    select(RecordEvent).where(RecordEvent.local_id == local_id)
                    .order_by(RecordEvent.id)
                )
            ]
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 3, 1, 8, 30),  # noqa: DTZ001 - a spreadsheet's naive date-time stays so
        datetime(2024, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=7))),
        date(2023, 12, 31),
        time(7, 45),
        timedelta(hours=2, minutes=5),
        Decimal("1250000000.50"),
        float("nan"),
        1.25,
        {"$ref": "#/x", "nested": [date(2024, 1, 2), None, True, "01/02/2024"]},
        {"$datetime": "not a tag, a payload key"},
    ],
    ids=lambda v: type(v).__name__,
)
def test_a_kept_payload_gives_back_the_values_the_connector_read(value: Any) -> None:
    back = decode(json.loads(json.dumps(encode({"cell": value}))))["cell"]
    if isinstance(value, float) and math.isnan(value):
        assert isinstance(back, float) and math.isnan(back)
    else:
        assert back == value and type(back) is type(value)
    if isinstance(value, datetime):
        assert back.tzinfo == value.tzinfo


def test_a_mapping_fix_then_remap_delivers_what_it_fixed_without_reading_the_source(
    tmp_path: Path, state_url: str, stisync: Cli
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        first = env.sync("tinh-xlsx")["tinh-xlsx"]
        assert (first.counts["created"], first.counts["invalid"]) == (15, 2)
        db = env.db()
        with db.session() as s:
            kept = {r.record_key: r for r in s.scalars(select(RawRecord))}
            cursor = s.get(SourceCursor, "tinh-xlsx")
            cursor_before = (cursor.cursor, cursor.updated_at) if cursor else None
        db.dispose()
        assert len(kept) == 17 and kept[LEVEL].run_id == first.run_id
        assert kept[LEVEL].payload["Cấp quản lý"] == "Cấp vùng"
        assert (kept[LEVEL].origin or {}).get("row") == 20

        fix_level_mapping(env)
        # The workbook is gone: a read fails, and --remap still works from what was kept.
        (env.folder / "data" / "danh-muc.xlsx").unlink()
        assert env.sync("tinh-xlsx")["tinh-xlsx"].status is RunStatus.FAILED

        plan = env.sync("tinh-xlsx", remap=True, dry_run=True)["tinh-xlsx"]
        assert sorted((p.local_id, p.action) for p in plan.planned) == [
            (LEVEL, "create"), (NO_TITLE, "hold")
        ]
        assert LEVEL not in env.national()

        remapped = env.sync("tinh-xlsx", remap=True)["tinh-xlsx"]
        assert remapped.status is RunStatus.PARTIAL  # the row without a title is still held
        assert remapped.counts["remapped"] == 17 and remapped.counts["fetched"] == 0
        assert (remapped.counts["created"], remapped.counts["unchanged"]) == (1, 15)
        assert env.national()[LEVEL].record["management_level"] == "provincial"
        assert [q.record_key for q in env.quarantine()] == [NO_TITLE]
        assert set(env.creates().values()) == {1}  # nothing created twice
        db = env.db()
        with db.session() as s:
            cursor = s.get(SourceCursor, "tinh-xlsx")
            assert ((cursor.cursor, cursor.updated_at) if cursor else None) == cursor_before
            # Kept as read: a remap is not a read.
            again = s.get(RawRecord, ("tinh-xlsx", LEVEL))
            assert again is not None and again.fetched_at == kept[LEVEL].fetched_at
        db.dispose()
        # --remap is a way of reading, like --full: one of them at a time.
        both = stisync(env.config, "sync", "tinh-xlsx", "--remap", "--full")
        assert both.returncode == 2 and "--remap" in both.stderr


def test_a_remap_keeps_a_second_copy_of_a_record_id_held_back(tmp_path: Path) -> None:
    with e2e_env(tmp_path, f"sqlite:///{tmp_path / 'state.sqlite'}") as env:
        with env.csv_path.open("a", encoding="utf-8", newline="") as f:
            f.write("NV-2023-003,Bản sao khác của nhiệm vụ 3" + "," * 12 + "\n")
        first = env.sync("tinh-csv")["tinh-csv"]
        assert (first.counts["created"], first.counts["invalid"]) == (20, 1)
        title = env.national()["tinh-csv:NV-2023-003"].record["title"]
        again = env.sync("tinh-csv", remap=True)["tinh-csv"]
        assert (again.counts["remapped"], again.counts["unchanged"]) == (21, 20)
        assert again.counts["invalid"] == 1 and again.counts["updated"] == 0
        (copy,) = env.quarantine()
        assert copy.record_key.startswith("@") and copy.problems[0]["code"] == "duplicate_id"
        assert env.national()["tinh-csv:NV-2023-003"].record["title"] == title


def test_show_and_retry_an_invalid_record(tmp_path: Path, state_url: str, stisync: Cli) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync("tinh-xlsx")
        shown = stisync(env.config, "quarantine", "show", "DM-2024-016")
        assert shown.returncode == 0, shown.stderr
        out = shown.stdout
        assert out.startswith(f"Bản ghi {LEVEL} của nguồn tinh-xlsx: không hợp lệ\n")
        assert "Vị trí trong nguồn: tệp danh-muc.xlsx, trang tính Danh mục, dòng 20" in out
        level_line = next(line for line in out.splitlines() if "management_level" in line)
        assert "cột “Cấp quản lý” (cột D): “Cấp vùng”" in level_line
        assert '"Cấp quản lý": "Cấp vùng"' in out  # the raw payload as read
        assert "Các lượt chạy đã gặp bản ghi này" in out
        as_json = json.loads(
            stisync(env.config, "quarantine", "show", LEVEL, "--format", "json").stdout
        )
        assert as_json["reason"] == "invalid" and as_json["attempts"] == 1
        assert as_json["raw"]["payload"]["Mã số"] == "DM-2024-016"
        assert [r["outcome"] for r in as_json["runs"]] == ["invalid"]

        # Retried before the fix: checked again, still invalid, nothing queued.
        still = stisync(env.config, "quarantine", "retry", LEVEL)
        assert still.returncode == 1, still.stdout + still.stderr
        assert "tinh-xlsx: đã kiểm tra lại 1 bản ghi" in still.stdout
        assert env.outbox() == []
        fix_level_mapping(env)
        english = stisync(env.config, "--lang", "en", "quarantine", "retry", "DM-2024-016")
        assert english.returncode == 0, english.stdout + english.stderr
        assert "tinh-xlsx: 1 record(s) checked again" in english.stdout
        assert "queued 1" in english.stdout and "stisync sync tinh-xlsx" in english.stdout
        assert [o.local_id for o in env.outbox()] == [LEVEL]  # queued, not sent yet
        assert LEVEL not in env.national()
        runs = json.loads(stisync(env.config, "logs", "--format", "json").stdout)
        assert runs[0]["trigger"] == "retry" and runs[0]["counts"]["queued"] == 1

        env.sync("tinh-xlsx")
        assert env.national()[LEVEL].record["management_level"] == "provincial"
        assert [q.record_key for q in env.quarantine()] == [NO_TITLE]


def test_show_and_retry_a_record_the_national_side_rejected(
    tmp_path: Path, state_url: str, stisync: Cli
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sim.set_faults(reject_ids=frozenset({REFUSED}))
        env.sync("tinh-csv")
        held = json.loads(
            stisync(env.config, "quarantine", "show", "NV-2023-007", "--format", "json").stdout
        )
        assert held["reason"] == "rejected" and held["attempts"] == 1
        assert "national" in held["problems"][0]["message_en"]
        assert held["raw"]["payload"]["Mã số"] == "NV-2023-007"
        assert [r["outcome"] for r in held["runs"]] == ["rejected"]
        second = env.sync("tinh-csv")["tinh-csv"]
        assert second.counts["held"] == 1  # unchanged: not re-sent
        db = env.db()
        with db.session() as s:  # read again unchanged: kept as it was, seen by this run
            kept = s.get(RawRecord, ("tinh-csv", "tinh-csv:NV-2023-001"))
            assert kept is not None and kept.run_id == second.run_id
        db.dispose()

        # A retry sends it once more, unchanged; still refused, it counts a second rejection.
        assert stisync(env.config, "quarantine", "retry", REFUSED).returncode == 0
        again = env.sync("tinh-csv")["tinh-csv"]
        assert (again.counts["rejected"], again.counts["unchanged"]) == (1, 19)
        assert env.quarantine()[0].attempts == 2

        env.sim.set_faults(reject_ids=frozenset())
        retried = stisync(env.config, "quarantine", "retry", "--all", "--source", "tinh-csv")
        assert retried.returncode == 0 and "chờ gửi 1" in retried.stdout
        assert env.sync("tinh-csv")["tinh-csv"].counts["created"] == 1
        assert env.quarantine() == [] and REFUSED in env.national()
        assert [o for _, o in events_of(env, REFUSED)] == [
            Outcome.REJECTED, Outcome.REJECTED, Outcome.CREATED
        ]


def test_a_record_rejected_n_times_goes_dead_while_the_others_are_delivered(
    tmp_path: Path, state_url: str, stisync: Cli
) -> None:
    with e2e_env(tmp_path, state_url, csv_extra="dead_after = 3") as env:
        env.sim.set_faults(reject_ids=frozenset({REFUSED}))
        runs = []
        for n in range(4):
            # Each run the source changes the refused record and another one.
            env.edit_csv("NV-2023-007", "Tên nhiệm vụ", f"Đề tài sửa lần {n}")
            env.edit_csv("NV-2023-002", "Tên nhiệm vụ", f"Nhiệm vụ cập nhật lần {n}")
            runs.append(env.sync("tinh-csv")["tinh-csv"])
        assert [(r.counts["rejected"], r.counts["dead"], r.counts["held"]) for r in runs] == [
            (1, 0, 0), (1, 0, 0), (1, 1, 0), (0, 0, 1)  # the fourth: dead, not sent
        ]
        assert [r.counts["created"] + r.counts["updated"] for r in runs] == [19, 1, 1, 1]
        assert env.national()["tinh-csv:NV-2023-002"].record["title"] == "Nhiệm vụ cập nhật lần 3"
        (dead,) = env.quarantine()
        assert (dead.reason, dead.record_key) == (QuarantineReason.DEAD, REFUSED)
        assert "national" in dead.problems[0]["message_en"]  # the reason it failed is kept
        assert [o for _, o in events_of(env, REFUSED)][-1] is Outcome.DEAD

        listed = stisync(env.config, "quarantine").stdout
        assert "ngừng gửi sau nhiều lần thất bại" in listed
        status = stisync(env.config, "--lang", "en", "status").stdout
        assert " dead" in status.splitlines()[0]
        db = env.db()
        (csv_status,) = [r for r in source_status(db, ["tinh-csv"])]
        db.dispose()
        assert (csv_status["dead"], csv_status["quarantined"]) == (1, 0)

        env.sim.set_faults(reject_ids=frozenset())
        assert stisync(env.config, "quarantine", "retry", "NV-2023-007").returncode == 0
        assert env.quarantine() == []  # out of the dead letters, waiting in the outbox
        assert env.sync("tinh-csv")["tinh-csv"].counts["created"] == 1
        assert env.national()[REFUSED].record["title"] == "Đề tài sửa lần 3"


def test_asking_for_a_record_that_is_not_held_or_not_one(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'state.sqlite'}")
    now = datetime.now(timezone.utc)
    with db.session() as s:
        run = Run(run_uid="u", source="a", trigger=Trigger.MANUAL, status=RunStatus.PARTIAL,
                  started_at=now, counts={})
        s.add(run)
        s.flush()
        for source in ("a", "b"):
            s.add(QuarantineItem(source=source, record_key=f"{source}:X-1", local_id=None,
                                 record_id="X-1", reason=QuarantineReason.INVALID,
                                 problems=[], first_at=now, last_at=now, run_id=run.id))
    with pytest.raises(quarantine.Ambiguous) as many:
        quarantine.show(db, "X-1")
    assert many.value.candidates == [("a", "a:X-1"), ("b", "b:X-1")]
    assert quarantine.show(db, "X-1", "b")["key"] == "b:X-1"
    assert quarantine.show(db, "a:X-1")["raw"] is None  # held, but nothing kept to show
    with pytest.raises(quarantine.NotHeld):
        quarantine.show(db, "X-2")
    with pytest.raises(quarantine.NotHeld):
        quarantine.show(db, "a:X-1", "b")
    db.dispose()


def test_the_command_line_names_what_is_wrong(tmp_path: Path, stisync: Cli) -> None:
    with e2e_env(tmp_path, f"sqlite:///{tmp_path / 'state.sqlite'}") as env:
        missing = stisync(env.config, "quarantine", "show", "NV-9999")
        assert missing.returncode == 2
        assert "Lỗi: không có bản ghi NV-9999 trong danh sách cách ly" in missing.stderr
        neither = stisync(env.config, "quarantine", "retry")
        assert neither.returncode == 2 and "--all" in neither.stderr
        nothing = stisync(env.config, "quarantine", "retry", "--all")
        assert nothing.returncode == 0 and "Không có bản ghi nào đang bị cách ly" in nothing.stdout
        empty = stisync(env.config, "sync", "tinh-csv", "--remap")
        assert "chưa có dữ liệu gốc nào được lưu để ánh xạ lại" in empty.stdout
        assert env.national() == {}
        assert load_config(env.config).source("tinh-csv").dead_after == 5


def test_migration_0004_upgrades_a_state_with_data(state_url: str) -> None:
    from alembic import command

    from sync.state.db import _alembic_config, make_engine

    engine = make_engine(state_url)
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        conn.execute(text(
            'INSERT INTO runs (id, run_uid, source, trigger, status, "full", started_at,'
            " counts) VALUES (1, 'u', 's', 'manual', 'partial', false,"
            " '2026-01-01 00:00:00', '{}')"))
        conn.execute(text(
            "INSERT INTO quarantine (source, record_key, local_id, record_id, reason,"
            " problems, first_at, last_at, run_id, attempts) VALUES ('s', 's:1', 's:1', '1',"
            " 'rejected', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 2)"))
        conn.execute(text(
            "INSERT INTO record_events (run_id, source, local_id, record_id, outcome, at)"
            " VALUES (1, 's', 's:1', '1', 'rejected', '2026-01-01 00:00:00')"))
    engine.dispose()
    db = StateDB(state_url)  # upgrades to the newest version
    with db.session() as s:
        (held,) = s.scalars(select(QuarantineItem))
        assert (held.reason, held.attempts) == (QuarantineReason.REJECTED, 2)
        assert s.scalars(select(RawRecord)).all() == []
        held.reason = QuarantineReason.DEAD  # the new reason fits the old column
    detail = quarantine.show(db, "s:1")
    assert detail["reason"] == "dead" and [r["run"] for r in detail["runs"]] == [1]
    db.dispose()
