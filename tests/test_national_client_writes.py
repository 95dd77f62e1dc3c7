"""Single-record writes of the national client: every answer, retries, request shape, sockets."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses

from sync.national import (
    AuthFailed,
    NationalClient,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryBudgetExceeded,
    StaticToken,
    WriteResult,
    WriteStatus,
)
from tests import national_fixtures
from tests.national_fixtures import (
    BASE,
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


# put_task: every status class ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "tries"),
    [
        pytest.param(
            {"status": 201, "json": result(status="created", revision=1)},
            WriteResult("qlkh:1", WriteStatus.CREATED, "VN-48-7", 1, "c0ffee"),
            1,
            id="201-created",
        ),
        pytest.param(
            {"status": 200, "json": result()},
            WriteResult("qlkh:1", WriteStatus.UPDATED, "VN-48-7", 2, "c0ffee"),
            1,
            id="200-updated",
        ),
        pytest.param(
            {"status": 200, "json": result(status="unchanged")},
            WriteResult("qlkh:1", WriteStatus.UNCHANGED, "VN-48-7", 2, "c0ffee"),
            1,
            id="200-unchanged",
        ),
        pytest.param(
            {"status": 422, "json": {"errors": FIELD_ERRORS}},
            WriteResult.rejected("qlkh:1", tuple(FIELD_ERRORS)),
            1,
            id="422-rejected",
        ),
        pytest.param(
            {"status": 422, "json": {"error": "invalid", "message": "bad record"}},
            WriteResult.rejected(
                "qlkh:1", ({"field": "", "code": "invalid", "message": "bad record"},)
            ),
            1,
            id="422-without-field-errors",
        ),
        pytest.param(
            {"status": 400, "json": {"error": "bad_request", "message": "not JSON"}},
            pytest.raises(PermanentError, match="400 bad_request: not JSON"),
            1,
            id="400",
        ),
        pytest.param(
            {"status": 401, "json": {"error": "invalid_token"}},
            pytest.raises(AuthFailed, match="401 invalid_token"),
            1,
            id="401",
        ),
        pytest.param(
            {"status": 403, "json": {"error": "forbidden"}},
            pytest.raises(PermanentError, match="province 48 not allowed for this client"),
            1,
            id="403",
        ),
        pytest.param(
            {"status": 404, "json": {"error": "unknown_province"}},
            pytest.raises(PermanentError, match="404 unknown_province"),
            1,
            id="404",
        ),
        pytest.param(
            {"status": 413, "json": {"error": "too_large"}},
            pytest.raises(PermanentError, match="413 too_large"),
            1,
            id="413",
        ),
        pytest.param(
            {"status": 429, "json": {"error": "slow_down"}},
            pytest.raises(RetryBudgetExceeded, match="429 slow_down"),
            3,
            id="429",
        ),
        pytest.param(
            {"status": 500, "body": "boom"},
            pytest.raises(RetryBudgetExceeded, match="500 boom"),
            3,
            id="500",
        ),
        pytest.param(
            {"status": 502, "body": ""},
            pytest.raises(RetryBudgetExceeded, match="502 Bad Gateway"),
            3,
            id="502",
        ),
        pytest.param(
            {"status": 503, "json": {"error": "unavailable", "message": "maintenance"}},
            pytest.raises(RetryBudgetExceeded, match="503 unavailable: maintenance"),
            3,
            id="503",
        ),
        pytest.param(
            {"status": 504, "body": ""},
            pytest.raises(RetryBudgetExceeded, match="504"),
            3,
            id="504",
        ),
        pytest.param(
            {"body": requests.ConnectionError("connection reset by peer")},
            pytest.raises(RetryBudgetExceeded, match="connection failed"),
            3,
            id="connection-error",
        ),
        pytest.param(
            {"body": requests.ReadTimeout("read timed out")},
            pytest.raises(RetryBudgetExceeded, match="timed out"),
            3,
            id="read-timeout",
        ),
        pytest.param(
            {"status": 200, "body": '{"local_id": "qlkh:1", "sta'},
            pytest.raises(RetryBudgetExceeded, match="body is cut or not JSON"),
            3,
            id="200-cut-json-body",
        ),
        pytest.param(
            {"status": 200, "body": "<html>gateway login</html>"},
            pytest.raises(RetryBudgetExceeded, match="body is cut or not JSON"),
            3,
            id="200-html-body",
        ),
        pytest.param(
            {"status": 200, "json": result(status="stored")},
            pytest.raises(NationalError, match="unknown status 'stored'"),
            1,
            id="200-unknown-write-status",
        ),
        pytest.param(
            {"status": 200, "json": result(local_id="qlkh:2")},
            pytest.raises(NationalError, match="answered for 'qlkh:2'"),
            1,
            id="200-result-for-another-record",
        ),
        pytest.param(
            {"status": 202, "json": result()},
            pytest.raises(NationalError, match="unexpected status 202"),
            1,
            id="202-not-in-contract",
        ),
    ],
)
def test_put_task_answers(
    api: responses.RequestsMock, clock: FakeClock, answer: dict[str, Any], expected: Any, tries: int
) -> None:
    api.put(TASK_URL, **answer)
    if isinstance(expected, WriteResult):
        assert make_client(clock).put_task("qlkh:1", RECORD) == expected
    else:
        with expected:
            make_client(clock).put_task("qlkh:1", RECORD)
    assert len(api.calls) == tries
    assert len(clock.sleeps) == tries - 1


def test_transient_faults_then_success(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.put(TASK_URL, body=requests.ConnectionError("reset"))
    api.put(TASK_URL, status=502)
    api.put(TASK_URL, json=result(status="unchanged"))
    written = make_client(clock).put_task("qlkh:1", RECORD)
    assert written.status is WriteStatus.UNCHANGED
    assert len(api.calls) == 3 and clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("header", "at_least"),
    [
        pytest.param("30", 30.0, id="delta-seconds"),
        # An HTTP-date has whole seconds, and a little real time passes before it is read.
        pytest.param("http-date-in-31-s", 29.0, id="http-date"),
    ],
)
def test_retry_after_is_honoured(
    api: responses.RequestsMock, clock: FakeClock, header: str, at_least: float
) -> None:
    if header == "http-date-in-31-s":
        when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=31)
        header = format_datetime(when, usegmt=True)
    api.put(TASK_URL, status=503, headers={"Retry-After": header})
    api.put(TASK_URL, status=429, headers={"Retry-After": "0"})
    api.put(TASK_URL, json=result())
    make_client(clock).put_task("qlkh:1", RECORD)
    assert clock.sleeps[0] >= at_least
    assert clock.sleeps[1] == 2.0  # Retry-After: 0 never shortens our own backoff


def test_retry_after_too_long_ends_the_call_without_waiting(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.put(TASK_URL, status=503, headers={"Retry-After": "7200"})
    with pytest.raises(RetryAfterTooLong) as raised:
        make_client(clock, max_retry_after=600).put_task("qlkh:1", RECORD)
    assert raised.value.retry_after == 7200 and len(api.calls) == 1 and clock.sleeps == []


def test_total_retry_time_is_bounded(api: responses.RequestsMock, clock: FakeClock) -> None:
    api.put(TASK_URL, status=503, headers={"Retry-After": "40"})
    with pytest.raises(RetryBudgetExceeded):
        make_client(clock, max_attempts=50, max_total_seconds=100).put_task("qlkh:1", RECORD)
    assert clock.sleeps == [40.0, 40.0] and len(api.calls) == 3


# request shape -------------------------------------------------------------------------------


def test_local_id_with_colon_and_slash_is_percent_encoded(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.put(
        re.compile(rf"{re.escape(PROVINCE)}/tasks/.*"),
        json=result(local_id="binhdinh-qlkh:12/2024"),
    )
    make_client(clock).put_task("binhdinh-qlkh:12/2024", {"local_id": "binhdinh-qlkh:12/2024"})
    assert api.calls[0].request.path_url == "/api/v1/provinces/48/tasks/binhdinh-qlkh%3A12%2F2024"


def test_body_is_utf8_json_with_the_bearer_token(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    api.put(TASK_URL, json=result())
    make_client(clock).put_task("qlkh:1", RECORD)
    request = api.calls[0].request
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Authorization"] == "Bearer key"
    assert isinstance(request.body, bytes)
    assert "Nghiên cứu giống lúa chịu mặn".encode() in request.body
    assert json.loads(request.body) == RECORD


@pytest.mark.parametrize(
    ("local_id", "record", "message"),
    [
        pytest.param(
            "qlkh:1",
            {"local_id": "qlkh:2"},
            "record's local_id is 'qlkh:2'",
            id="local-id-mismatch",
        ),
        pytest.param("", {}, "local_id must be a non-empty string", id="empty-local-id"),
        pytest.param(
            "qlkh:1",
            {"approval": {"decision_date": datetime.now(timezone.utc)}},
            "record 'qlkh:1': field approval.decision_date cannot be sent as JSON",
            id="datetime-value",
        ),
        pytest.param(
            "qlkh:1",
            {"budget": {"total_vnd": float("nan")}},
            "field budget.total_vnd cannot be sent as JSON",
            id="nan-value",
        ),
        pytest.param(
            "qlkh:1", ["not", "a", "record"], "expected a JSON object", id="not-an-object"
        ),
    ],
)
def test_put_task_refuses_bad_input_before_sending(
    api: responses.RequestsMock, clock: FakeClock, local_id: str, record: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_client(clock).put_task(local_id, record)
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"base_url": "national.invalid"}, "http(s) URL", id="base-url-without-scheme"),
        pytest.param({"province": "Bình Định"}, "2-digit province code", id="province-name"),
    ],
)
def test_client_refuses_bad_settings(kwargs: dict[str, str], message: str) -> None:
    args = {"base_url": BASE, "province": "48", **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        NationalClient(args["base_url"], args["province"], StaticToken("k"))


# against a real loopback server: faults that only a socket produces --------------------------


class FlakyStore(BaseHTTPRequestHandler):
    """Stores each PUT; the first PUT of each record gets its connection cut after storing,
    and the first GET answers a body shorter than its Content-Length."""

    stored: dict[str, bytes]
    puts: list[str]
    gets: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.stored[self.path] = body
        self.puts.append(self.path)
        if self.puts.count(self.path) == 1:
            self.close_connection = True
            return
        self.answer(200, json.dumps(result(status="unchanged")).encode())

    def do_GET(self) -> None:
        self.gets.append(self.path)
        if len(self.gets) == 1:
            self.send_response(200)
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b'{"local_id": "qlkh:1", ')
            self.close_connection = True
            return
        self.answer(200, json.dumps(RECORD).encode())

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def loopback() -> Iterator[tuple[str, type[FlakyStore]]]:
    handler = type("Handler", (FlakyStore,), {"stored": {}, "puts": [], "gets": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_connection_cut_after_the_server_stored_the_write(
    loopback: tuple[str, type[FlakyStore]], clock: FakeClock
) -> None:
    base, handler = loopback
    with make_client(clock, base=base) as client:
        written = client.put_task("qlkh:1", RECORD)
    assert written.status is WriteStatus.UNCHANGED
    assert handler.puts == ["/api/v1/provinces/48/tasks/qlkh%3A1"] * 2
    assert list(handler.stored) == ["/api/v1/provinces/48/tasks/qlkh%3A1"]
    assert json.loads(handler.stored["/api/v1/provinces/48/tasks/qlkh%3A1"]) == RECORD
    assert len(clock.sleeps) == 1


def test_body_cut_short_by_the_server_is_retried(
    loopback: tuple[str, type[FlakyStore]], clock: FakeClock
) -> None:
    base, handler = loopback
    with make_client(clock, base=base) as client:
        assert client.get_task("qlkh:1") == RECORD
    assert len(handler.gets) == 2 and len(clock.sleeps) == 1
