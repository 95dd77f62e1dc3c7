"""Batches and reads of the national client: batch results, delete, get, paging, reports, health."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
import responses

from sync.national import (
    MAX_BATCH_RECORDS,
    AuthFailed,
    BatchRefused,
    NationalError,
    PermanentError,
    TransientError,
    WriteStatus,
)
from tests import national_fixtures
from tests.national_fixtures import (
    BASE,
    BATCH_URL,
    FIELD_ERRORS,
    PROVINCE,
    TASK_URL,
    FakeClock,
    make_client,
    result,
)

RECORD = {"local_id": "qlkh:1", "title": "Nghiên cứu giống lúa chịu mặn"}

# The shared fixtures, requested by name below.
api = national_fixtures.api
clock = national_fixtures.clock
no_real_sleep = national_fixtures.no_real_sleep


def sent_body(api: responses.RequestsMock, index: int = 0) -> bytes:
    body = api.calls[index].request.body
    assert isinstance(body, bytes)
    return body


# put_batch -----------------------------------------------------------------------------------


def batch(n: int) -> list[dict[str, Any]]:
    return [{"local_id": f"qlkh:{i}", "title": f"Đề tài {i}"} for i in range(1, n + 1)]


def test_batch_results_come_back_in_sent_order_with_rejections(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(
        BATCH_URL,
        json={
            "results": [
                result(
                    "qlkh:3",
                    "rejected",
                    national_id=None,
                    revision=None,
                    content_hash=None,
                    errors=FIELD_ERRORS,
                ),
                result("qlkh:1", "created", revision=1),
                result("qlkh:2", "unchanged"),
            ]
        },
    )
    results = make_client(clock).put_batch(batch(3))
    assert [(r.local_id, r.status) for r in results] == [
        ("qlkh:1", WriteStatus.CREATED),
        ("qlkh:2", WriteStatus.UNCHANGED),
        ("qlkh:3", WriteStatus.REJECTED),
    ]
    assert results[2].errors == tuple(FIELD_ERRORS) and results[2].national_id is None
    sent = json.loads(sent_body(api))
    assert sent == {"records": batch(3)}


def test_batch_with_a_missing_result_is_an_error(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(BATCH_URL, json={"results": [result("qlkh:1")]})
    with pytest.raises(NationalError, match=r"no result for 1 sent record\(s\): qlkh:2") as raised:
        make_client(clock).put_batch(batch(2))
    assert not isinstance(raised.value, (TransientError, PermanentError))
    assert len(api.calls) == 1


def test_batch_result_for_an_unsent_record_is_ignored(
    api: responses.RequestsMock, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    api.post(BATCH_URL, json={"results": [result("qlkh:1"), result("qlkh:99")]})
    assert [r.local_id for r in make_client(clock).put_batch(batch(1))] == ["qlkh:1"]
    assert "qlkh:99" in caplog.text


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(413, {"error": "too_large", "message": "over 10 MB"}, id="413"),
        pytest.param(400, {"error": "bad_request", "message": "records missing"}, id="400"),
        pytest.param(422, {"errors": FIELD_ERRORS}, id="422-on-the-batch"),
    ],
)
def test_batch_refused_whole(
    api: responses.RequestsMock, clock: FakeClock, status: int, body: dict[str, Any]
) -> None:
    api.post(BATCH_URL, status=status, json=body)
    with pytest.raises(BatchRefused, match="batch of 2 records refused whole") as raised:
        make_client(clock).put_batch(batch(2))
    assert raised.value.status == status and len(api.calls) == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(403, PermanentError, id="403-stays-permanent"),
        pytest.param(401, AuthFailed, id="401-stays-auth-failed"),
    ],
)
def test_batch_errors_that_are_not_about_the_batch(
    api: responses.RequestsMock, clock: FakeClock, status: int, expected: type[Exception]
) -> None:
    api.post(BATCH_URL, status=status, json={"error": "no"})
    with pytest.raises(expected) as raised:
        make_client(clock).put_batch(batch(2))
    assert not isinstance(raised.value, BatchRefused)


def test_batch_is_retried_on_a_cut_connection(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.post(BATCH_URL, body=requests.ConnectionError("connection aborted"))
    api.post(BATCH_URL, json={"results": [result("qlkh:1", "unchanged")]})
    assert make_client(clock).put_batch(batch(1))[0].status is WriteStatus.UNCHANGED
    assert len(api.calls) == 2


@pytest.mark.parametrize(
    ("records", "message"),
    [
        pytest.param(
            batch(MAX_BATCH_RECORDS + 1), "at most 200 records, not 201", id="201-records"
        ),
        pytest.param(
            [{"local_id": "big", "summary": "x" * 10_000_001}],
            "over the API's 10000000",
            id="over-10-MB",
        ),
        pytest.param(
            [*batch(2), {"local_id": "qlkh:1"}],
            "batch items 0 and 2: both are record",
            id="duplicate-local-id",
        ),
        pytest.param([{"title": "no id"}], "batch item 0: local_id must be", id="missing-local-id"),
        pytest.param(
            [{"local_id": "qlkh:1", "start_date": datetime.now(timezone.utc)}],
            "record 'qlkh:1': field start_date",
            id="datetime-value",
        ),
    ],
)
def test_batch_refuses_bad_input_before_sending(
    api: responses.RequestsMock, clock: FakeClock, records: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_client(clock).put_batch(records)
    assert len(api.calls) == 0


def test_empty_batch_sends_nothing(api: responses.RequestsMock, clock: FakeClock) -> None:
    assert make_client(clock).put_batch([]) == []
    assert len(api.calls) == 0


# delete, get, list, report, health -----------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param([{"status": 204}], True, id="204-deleted"),
        pytest.param([{"status": 404, "json": {"error": "not_found"}}], False, id="404-absent"),
        pytest.param([{"status": 503}, {"status": 204}], True, id="503-then-204"),
        pytest.param(
            [{"status": 404, "json": {"error": "unknown_province"}}],
            pytest.raises(PermanentError, match="unknown_province"),
            id="404-province",
        ),
    ],
)
def test_delete_task(
    api: responses.RequestsMock, clock: FakeClock, answers: list[dict[str, Any]], expected: Any
) -> None:
    for answer in answers:
        api.delete(TASK_URL, **answer)
    if isinstance(expected, bool):
        assert make_client(clock).delete_task("qlkh:1") is expected
    else:
        with expected:
            make_client(clock).delete_task("qlkh:1")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param({"json": RECORD}, RECORD, id="200-record"),
        pytest.param({"status": 404, "json": {"error": "not_found"}}, None, id="404-none"),
        pytest.param(
            {"json": ["x"]},
            pytest.raises(NationalError, match="expected a JSON object"),
            id="200-not-an-object",
        ),
    ],
)
def test_get_task(
    api: responses.RequestsMock, clock: FakeClock, answer: dict[str, Any], expected: Any
) -> None:
    api.get(TASK_URL, **answer)
    if expected is None or isinstance(expected, dict):
        assert make_client(clock).get_task("qlkh:1") == expected
    else:
        with expected:
            make_client(clock).get_task("qlkh:1")


def listing(items: list[str], token: str | None) -> dict[str, Any]:
    return {
        "items": [
            {
                "local_id": i,
                "revision": 1,
                "content_hash": "h",
                "updated_at": "2025-03-01T08:00:00Z",
            }
            for i in items
        ],
        "next_page_token": token,
    }


def test_list_tasks_follows_pages_lazily(api: responses.RequestsMock, clock: FakeClock) -> None:
    url = f"{PROVINCE}/tasks"
    api.get(
        url,
        json=listing(["a", "b"], "p2"),
        match=[responses.matchers.query_param_matcher({"page_size": "2"})],
    )
    api.get(
        url,
        json=listing(["c"], None),
        match=[responses.matchers.query_param_matcher({"page_size": "2", "page_token": "p2"})],
    )
    items = make_client(clock).list_tasks(page_size=2)
    assert len(api.calls) == 0
    assert [i["local_id"] for i in items] == ["a", "b", "c"]
    assert len(api.calls) == 2


def test_list_tasks_retries_a_page(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.get(f"{PROVINCE}/tasks", status=504)
    api.get(f"{PROVINCE}/tasks", json=listing(["a"], ""))
    assert [i["local_id"] for i in make_client(clock).list_tasks()] == ["a"]


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        pytest.param([listing(["a"], "p2"), listing(["b"], "p2")], "repeats", id="token-loop"),
        pytest.param([{"items": "nope"}], "items is not a list", id="items-not-a-list"),
    ],
)
def test_list_tasks_stops_on_a_broken_listing(
    api: responses.RequestsMock, clock: FakeClock, pages: list[dict[str, Any]], message: str
) -> None:
    for page in pages:
        api.get(f"{PROVINCE}/tasks", json=page)
    with pytest.raises(NationalError, match=message):
        list(make_client(clock).list_tasks())


@pytest.mark.parametrize("page_size", [0, 1001, True])
def test_list_tasks_refuses_bad_page_size(clock: FakeClock, page_size: int) -> None:
    with pytest.raises(ValueError, match=r"page_size must be 1\.\.1000"):
        make_client(clock).list_tasks(page_size=page_size)


REPORT = {"run_id": "run-1", "source": "qlkh", "status": "succeeded", "counts": {"created": 1}}


def test_send_report(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.post(f"{PROVINCE}/sync-reports", status=201, json={"report_id": "R-1"})
    assert make_client(clock).send_report(REPORT) == "R-1"
    assert json.loads(sent_body(api)) == REPORT


@pytest.mark.parametrize(
    ("report", "answer", "expected"),
    [
        pytest.param(
            {"source": "qlkh"},
            None,
            pytest.raises(ValueError, match="run_id is required"),
            id="no-run-id",
        ),
        pytest.param(
            REPORT,
            {"status": 201, "json": {}},
            pytest.raises(NationalError, match=r"no report_id .* 'run-1'"),
            id="no-report-id",
        ),
        pytest.param(
            REPORT,
            {"status": 422, "json": {"errors": [{"field": "trigger"}]}},
            pytest.raises(PermanentError, match="field errors: trigger"),
            id="422",
        ),
    ],
)
def test_send_report_faults(
    api: responses.RequestsMock,
    clock: FakeClock,
    report: dict[str, Any],
    answer: dict[str, Any] | None,
    expected: Any,
) -> None:
    if answer is not None:
        api.post(f"{PROVINCE}/sync-reports", **answer)
    with expected:
        make_client(clock).send_report(report)


@pytest.mark.parametrize(
    ("answer", "healthy"),
    [
        pytest.param({"json": {"status": "ok"}}, True, id="ok"),
        pytest.param({"json": {"status": "degraded"}}, False, id="degraded"),
        pytest.param({"status": 503}, False, id="503"),
        pytest.param({"body": requests.ConnectionError("refused")}, False, id="unreachable"),
        pytest.param({"body": "<html>"}, False, id="not-json"),
    ],
)
def test_health(
    api: responses.RequestsMock, clock: FakeClock, answer: dict[str, Any], healthy: bool
) -> None:
    api.get(f"{BASE}/v1/health", **answer)
    assert make_client(clock).health() is healthy
    assert len(api.calls) == 1 and clock.sleeps == []
    assert "Authorization" not in api.calls[0].request.headers
