"""End to end against the national simulator: a CSV, a workbook and a REST source of ~50
Vietnamese task records, on SQLite and on PostgreSQL state."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.runner import ExitCode
from sync.state.models import QuarantineReason, RunStatus
from tests.e2e import e2e_env, national_hashes_match

pytestmark = pytest.mark.slow


def test_first_sync_creates_all_valid_records_and_holds_back_the_bad_rows(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        results = env.sync()
        csv_run, xlsx_run, api_run = results["tinh-csv"], results["tinh-xlsx"], results["tinh-api"]
        assert (csv_run.status, csv_run.counts["created"]) == (RunStatus.SUCCEEDED, 20)
        assert (api_run.status, api_run.counts["created"]) == (RunStatus.SUCCEEDED, 15)
        assert (xlsx_run.status, xlsx_run.counts["created"], xlsx_run.counts["invalid"]) == (
            RunStatus.PARTIAL,
            15,
            2,
        )
        assert [r.exit_code for r in results.values()] == [
            ExitCode.OK,
            ExitCode.PARTIAL,
            ExitCode.OK,
        ]

        national = env.national()
        assert len(national) == 50
        assert set(env.writes().values()) == {1}  # each record written exactly once
        assert set(env.creates().values()) == {1}
        assert env.local_hashes() == {k: t.content_hash for k, t in national.items()}
        assert national_hashes_match(env)
        people = {t.record["principal_investigator"]["full_name"] for t in national.values()}
        assert "Nguyễn Văn Hùng" in people  # "PGS.TS. Nguyễn Văn Hùng", titles split off
        assert all("." not in name for name in people)

        held = {q.record_key: q for q in env.quarantine()}
        assert set(held) == {"tinh-xlsx:DM-2024-016", "tinh-xlsx:DM-2024-017"}
        level = held["tinh-xlsx:DM-2024-016"]
        assert level.reason is QuarantineReason.INVALID
        assert level.where == "danh-muc.xlsx, sheet Danh mục, row 20"
        (p,) = [p for p in level.problems if p["path"] == "management_level"]
        assert (
            p["code"] == "unknown_label"
            and p["column"] == "D"
            and p["source_field"] == "Cấp quản lý"
        )
        assert "Cấp vùng" in p["message_vi"] and "Cấp vùng" in p["message_en"]
        no_title = held["tinh-xlsx:DM-2024-017"]
        assert no_title.where == "danh-muc.xlsx, sheet Danh mục, row 21"
        (p,) = [p for p in no_title.problems if p["path"] == "title"]
        assert (
            p["code"] == "required" and p["column"] == "B" and p["source_field"] == "Tên nhiệm vụ"
        )


def test_a_second_sync_sends_nothing_and_a_changed_row_sends_only_that_record(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync()
        requests_before = env.sim.stats()["requests"]["by_route"]
        again = env.sync()
        assert again["tinh-csv"].counts["unchanged"] == 20
        assert again["tinh-csv"].counts["created"] + again["tinh-csv"].counts["updated"] == 0
        routes = env.sim.stats()["requests"]["by_route"]
        write_routes = [
            r for r in routes if r.startswith(("PUT", "POST /v1/provinces/<province>/tasks"))
        ]
        assert write_routes and all(
            routes[r] == requests_before.get(r) for r in write_routes
        )  # no new write call
        assert set(env.writes().values()) == {1}

        env.edit_csv(
            "NV-2023-005", "Tên nhiệm vụ", "Nghiên cứu mới về giống lúa chịu hạn tại huyện Phù Mỹ"
        )
        env.api_app.touch(
            "QL-2022-003", {"ten_nhiem_vu": "Ứng dụng công nghệ số trong quản lý đê điều"}
        )
        third = env.sync("tinh-csv", "tinh-api")
        assert (third["tinh-csv"].counts["updated"], third["tinh-csv"].counts["unchanged"]) == (
            1,
            19,
        )
        assert third["tinh-api"].counts["updated"] == 1
        assert third["tinh-api"].counts["fetched"] < 15  # incremental: only what changed since
        writes = env.writes()
        changed = {"tinh-csv:NV-2023-005", "tinh-api:QL-2022-003"}
        assert {k for k, n in writes.items() if n == 2} == changed
        national = env.national()
        assert national["tinh-csv:NV-2023-005"].revision == 2
        assert national["tinh-csv:NV-2023-005"].record["title"].startswith("Nghiên cứu mới")
        assert national["tinh-csv:NV-2023-001"].revision == 1
        assert env.local_hashes() == {k: t.content_hash for k, t in national.items()}


def test_a_fixed_row_leaves_quarantine_and_is_delivered(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sync("tinh-xlsx")
        assert len(env.quarantine()) == 2
        from openpyxl import load_workbook

        path = env.folder / "data" / "danh-muc.xlsx"
        wb = load_workbook(path)
        ws = wb.active
        assert ws is not None
        ws["D20"] = "Cấp tỉnh"
        wb.save(path)
        result = env.sync("tinh-xlsx")["tinh-xlsx"]
        assert result.counts["created"] == 1 and result.counts["invalid"] == 1
        assert [q.record_key for q in env.quarantine()] == ["tinh-xlsx:DM-2024-017"]
        assert env.national()["tinh-xlsx:DM-2024-016"].record["management_level"] == "provincial"


def test_dry_run_shows_what_and_why_and_sends_nothing(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        plan = env.sync("tinh-csv", dry_run=True)["tinh-csv"]
        assert [p.action for p in plan.planned] == ["create"] * 20
        assert plan.planned[0].reason == "new record"
        assert env.national() == {} and env.outbox() == []
        env.sync("tinh-csv")
        env.edit_csv("NV-2023-002", "Tình trạng", "Đang thực hiện")
        env.edit_csv("NV-2023-002", "Ngày kết thúc", "31/12/2026")
        plan = env.sync("tinh-csv", dry_run=True)["tinh-csv"]
        (only,) = plan.planned
        assert (only.local_id, only.action) == ("tinh-csv:NV-2023-002", "update")
        assert "end_date" in only.reason
        assert "nhiem-vu.csv" in only.where and "row 3" in only.where
        assert env.national()["tinh-csv:NV-2023-002"].revision == 1
        assert env.outbox() == []


def test_a_record_the_national_side_rejects_is_quarantined_and_not_resent_unchanged(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.sim.set_faults(reject_ids=frozenset({"tinh-csv:NV-2023-007"}))
        first = env.sync("tinh-csv")["tinh-csv"]
        assert first.status is RunStatus.PARTIAL
        assert (first.counts["created"], first.counts["rejected"]) == (19, 1)
        (q,) = env.quarantine()
        assert q.reason is QuarantineReason.REJECTED and q.local_id == "tinh-csv:NV-2023-007"
        assert "national" in q.problems[0]["message_en"]
        before = env.sim.stats()["requests"]["total"]
        second = env.sync("tinh-csv")["tinh-csv"]
        assert second.counts["held"] == 1 and second.counts["rejected"] == 0
        env.sim.set_faults(reject_ids=frozenset())
        env.edit_csv("NV-2023-007", "Tên nhiệm vụ", "Tên đã sửa theo yêu cầu")
        third = env.sync("tinh-csv")["tinh-csv"]
        assert third.counts["created"] == 1 and env.quarantine() == []
        assert env.sim.stats()["requests"]["total"] > before
