"""The simulator's sync reports: stored once per run_id, listed for national staff only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from national_sim.reports import check_report
from tests import sim_fixtures
from tests.sim_fixtures import FakeClock, RunningSim, running_sim

national_sim = sim_fixtures.national_sim  # the shared fixture, requested by name below

T = 10


def report(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_id": "so-khcn-csv-2026-01-01T02:00:00Z", "source": "so-khcn-csv",
        "trigger": "schedule", "started_at": "2026-01-01T09:00:00+07:00",
        "finished_at": "2026-01-01T09:01:30+07:00", "status": "partial",
        "counts": {"fetched": 12, "created": 9, "updated": 1, "unchanged": 0, "deleted": 0,
                   "rejected": 2, "failed": 0},
        "errors": [{"local_id": "so-khcn:7", "field": "end_date", "code": "date_order",
                    "message": "Ngày kết thúc trước ngày bắt đầu / end before start"}],
        "client": "stisync/0.1.0",
    }
    return base | changes


def _post(sim: RunningSim, body: Any, token: str | None = None,
          province: str | None = None) -> requests.Response:
    return requests.post(f"{sim.url}/v1/provinces/{province or sim.province}/sync-reports",
                         json=body, timeout=T,
                         headers={"Authorization": f"Bearer {token or sim.token()}"})


def _list(sim: RunningSim, token: str, **params: str) -> requests.Response:
    return requests.get(f"{sim.url}/v1/sync-reports", params=params, timeout=T,
                        headers={"Authorization": f"Bearer {token}"})


def test_report_is_stored_once_per_run_id(national_sim: RunningSim) -> None:
    first = _post(national_sim, report())
    assert first.status_code == 201
    report_id = first.json()["report_id"]
    assert set(first.json()) == {"report_id"}
    second = _post(national_sim, report())
    assert (second.status_code, second.json()["report_id"]) == (201, report_id)
    items = _list(national_sim, national_sim.staff_token).json()["items"]
    assert len(items) == 1
    assert items[0]["report_id"] == report_id
    assert items[0]["province"] == "52"
    assert items[0]["counts"] == report()["counts"]


def test_listing_reports_is_for_national_staff_only(national_sim: RunningSim) -> None:
    _post(national_sim, report())
    r = _list(national_sim, national_sim.token())
    assert r.status_code == 403
    assert "national staff" in r.json()["message"]
    assert _list(national_sim, "no-such-token").status_code == 401


def test_staff_list_filters_by_province_and_since(tmp_path: Path) -> None:
    clock = FakeClock()
    with running_sim(tmp_path, clock=clock) as sim:
        _post(sim, report(run_id="run-1"))
        clock.advance(3600)
        _post(sim, report(run_id="run-2"))
        staff = sim.staff_token
        assert [i["run_id"] for i in _list(sim, staff, province="52").json()["items"]] == [
            "run-1", "run-2"]
        assert _list(sim, staff, province="01").json()["items"] == []
        # the clock starts at 2026-01-01T00:00:00Z; run-2 came an hour later
        later = _list(sim, staff, since="2026-01-01T07:30:00+07:00").json()["items"]
        assert [i["run_id"] for i in later] == ["run-2"]


@pytest.mark.parametrize(("params", "status"), [
    ({"since": "yesterday"}, 400),
    ({"since": "2026-01-01T00:00:00"}, 400),
    ({"province": "99"}, 404),
], ids=["since-not-a-date", "since-without-offset", "unknown-province"])
def test_staff_list_refuses_bad_filters(national_sim: RunningSim, params: dict[str, str],
                                        status: int) -> None:
    assert _list(national_sim, national_sim.staff_token, **params).status_code == status


def test_staff_may_not_post_a_report_and_a_province_only_its_own(national_sim: RunningSim) -> None:
    assert _post(national_sim, report(), token=national_sim.staff_token).status_code == 403
    assert _post(national_sim, report(), province="01").status_code == 403
    assert _post(national_sim, report(), province="99").status_code == 404


def test_invalid_report_is_422_naming_each_field(national_sim: RunningSim) -> None:
    r = _post(national_sim, report(trigger="cron", counts={"fetched": 1}))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"trigger", "counts.created", "counts.failed"} <= fields
    assert _list(national_sim, national_sim.staff_token).json()["items"] == []


@pytest.mark.parametrize(("body", "expected"), [
    (report(), set()),
    (report(errors=[], errors_truncated=0), set()),
    ("a report", {("", "bad_type")}),
    ({k: v for k, v in report().items() if k != "run_id"}, {("run_id", "required")}),
    (report(run_id="r" * 201), {("run_id", "too_long")}),
    (report(status="done"), {("status", "unknown_code")}),
    (report(started_at="2026-01-01 09:00"), {("started_at", "bad_format")}),
    (report(finished_at="2026-01-01T09:00:00"), {("finished_at", "bad_format")}),
    (report(finished_at="2026-01-01T08:00:00+07:00"), {("finished_at", "date_order")}),
    (report(counts={**report()["counts"], "created": -1}), {("counts.created", "bad_type")}),
    (report(counts={**report()["counts"], "created": True}), {("counts.created", "bad_type")}),
    (report(counts={**report()["counts"], "skipped": 1}), {("counts.skipped", "unknown_field")}),
    (report(errors=[{"local_id": 7}]), {("errors[0].local_id", "bad_type")}),
    (report(errors=[{}] * 101), {("errors", "too_long")}),
    (report(errors_truncated=-3), {("errors_truncated", "bad_type")}),
    (report(province="52"), {("province", "unknown_field")}),
    (report(client=3), {("client", "bad_type")}),
], ids=["valid", "valid-empty-errors", "not-an-object", "no-run-id", "run-id-too-long",
        "unknown-status", "start-not-rfc3339", "finish-without-offset", "finish-before-start",
        "negative-count", "boolean-count", "unknown-count", "error-id-not-string",
        "too-many-errors", "negative-truncated", "unknown-field", "client-not-string"])
def test_check_report(body: Any, expected: set[tuple[str, str]]) -> None:
    assert {(e["field"], e["code"]) for e in check_report(body)} == expected
