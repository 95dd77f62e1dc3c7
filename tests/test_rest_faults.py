"""The rest connector when the source misbehaves: retries, Retry-After, timeouts, bad bodies."""

from __future__ import annotations

import gc
import re
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests
import responses

from connectors.errors import (
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
)
from connectors.rest import RestConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import start_background

RECORDS = [{"id": i, "ten_nhiem_vu": f"Nhiệm vụ {i}"} for i in range(1, 6)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ProvincialApi, str]]:
    app = create_app([])
    with start_background(app) as running:
        yield app, running.url + "/api/nhiem-vu"
        gc.collect()  # failed responses kept by tracebacks hold sockets the server waits for


@pytest.fixture
def api(server: tuple[ProvincialApi, str]) -> tuple[ProvincialApi, str]:
    app, url = server
    app.reset(RECORDS, page_size=2)
    return app, url


def rest(url: str, sleeps: list[float] | None = None, **options: Any) -> RestConnector:
    """A connector whose retries record their waits in `sleeps` instead of sleeping."""
    waits = sleeps if sleeps is not None else []
    return RestConnector("qlkh", {"url": url, "pagination": "page", "page_size": 2,
                                  "records_path": "data.items", **options}, sleep=waits.append)


def test_a_500_then_success_is_retried(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.fail_next(1, 500)
    sleeps: list[float] = []
    got = [r.record_id for r in rest(url, sleeps).records()]
    assert got == ["1", "2", "3", "4", "5"]
    assert len(sleeps) == 1
    assert [s["args"]["page"] for s in app.requests_seen()][:2] == ["1", "1"]


@pytest.mark.parametrize("status", [429, 503], ids=["too-many-requests", "unavailable"])
def test_retry_after_seconds_is_honoured(api: tuple[ProvincialApi, str], status: int) -> None:
    app, url = api
    app.fail_next(1, status, retry_after="7")
    sleeps: list[float] = []
    assert len(list(rest(url, sleeps).records())) == 5
    assert len(sleeps) == 1
    assert sleeps[0] >= 7


def test_retry_after_http_date_is_honoured(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    when = datetime.now(timezone.utc) + timedelta(seconds=40)
    app.fail_next(1, 429, retry_after=format_datetime(when, usegmt=True))
    sleeps: list[float] = []
    assert len(list(rest(url, sleeps).records())) == 5
    assert 30 <= sleeps[0] <= 41


def test_a_retry_after_beyond_reason_ends_the_run(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.fail_next(1, 503, retry_after="86400", message="Bảo trì hệ thống")
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable) as caught:
        list(rest(url, sleeps).records())
    assert str(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 answered HTTP 503 SERVICE UNAVAILABLE: "
        "Bảo trì hệ thống (Retry-After 86400 s) (1 attempt)"
    )
    assert sleeps == []


def test_a_permanent_5xx_gives_up_after_the_configured_attempts(
        api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.fail_next(100, 502)
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable, match=r"page_size=2 answered HTTP 502 .*\(3 attempts\)"):
        list(rest(url, sleeps, retries=3).records())
    assert len(app.requests_seen()) == 3
    assert len(sleeps) == 2
    assert sleeps[1] >= sleeps[0] >= 1  # exponential backoff, with jitter


def test_error_envelope_under_200_quotes_the_message(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.fail_next(1, 200, message="Phiên đăng nhập hết hạn")
    with pytest.raises(SourceDataError) as caught:
        list(rest(url).records())
    assert str(caught.value) == (
        f"qlkh: {url}?page=1&page_size=2 (page 1): the server reports a failure "
        "(success = false): Phiên đăng nhập hết hạn"
    )
    assert len(app.requests_seen()) == 1


def test_a_bad_query_parameter_is_a_config_error(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    with pytest.raises(SourceConfigError, match=r"HTTP 400 .*: Tham số page không hợp lệ: 'tư'"):
        list(rest(url, pagination="none", params={"page": "tư"}).records())


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/nhiem-vu"


def test_a_server_that_hangs_is_unavailable_naming_the_url(silent_server: str) -> None:
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable) as caught:
        list(rest(silent_server, sleeps, timeout=0.5, retries=2).records())
    assert str(caught.value) == (
        f"qlkh: {silent_server}?page=1&page_size=2 did not answer within 0.5 s (2 attempts)"
    )
    assert len(sleeps) == 1


def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    with pytest.raises(SourceUnavailable, match=r"cannot reach http://127\.0\.0\.1:\d+/api\?page=1"):
        list(rest(url, retries=2).records())


URL = "https://qlkh.example.gov.vn/api/nhiem-vu"
PAGE_1 = f"{URL}?page=1&page_size=2"
RESET = requests.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'reset'))")
GOOD = {"json": {"success": True, "data": {"items": [{"id": 1}]}}}

# name: (answers to the first request, in order, the last repeating; what the run raises)
BODY_FAULTS = {
    "html-instead-of-json": (
        [{"body": "<html><title>Cổng đăng nhập</title></html>", "content_type": "text/html"}],
        pytest.raises(SourceDataError, match=rf"^qlkh: {re.escape(PAGE_1)} \(page 1\): the "
                      r"answer is not JSON \(text/html\): <html><title>Cổng đăng nhập"),
    ),
    "truncated-json": (
        [{"body": '{"success": true, "data": {"items": [{"id": 1}, {"id"',
          "content_type": "application/json"}],
        pytest.raises(SourceDataError, match=r"\(page 1\): the answer is not JSON"),
    ),
    "empty-body": (
        [{"body": "", "content_type": "application/json"}],
        pytest.raises(SourceDataError, match=r"not JSON .*an empty body"),
    ),
    "reset-every-time": (
        [{"body": RESET}],
        pytest.raises(SourceUnavailable,
                      match=rf"cannot reach {re.escape(PAGE_1)} \(4 attempts\): .*reset"),
    ),
    "timeout-every-time": (
        [{"body": requests.ReadTimeout("read timed out")}],
        pytest.raises(SourceUnavailable, match=r"did not answer within 30 s \(4 attempts\)"),
    ),
    "tls-failure": (
        [{"body": requests.exceptions.SSLError("certificate verify failed")}],
        pytest.raises(SourceConfigError, match="'ca_bundle' is needed: TLS verification of"),
    ),
}


@pytest.mark.parametrize("answers,expected", BODY_FAULTS.values(), ids=BODY_FAULTS.keys())
@responses.activate
def test_faults_on_the_wire(answers: list[dict[str, Any]], expected: Any) -> None:
    for answer in answers:
        responses.get(URL, **answer)
    with expected:
        list(rest(URL).records())


@responses.activate
def test_a_reset_then_success_is_retried() -> None:
    responses.get(URL, body=RESET)
    responses.get(URL, **GOOD)
    responses.get(URL, json={"success": True, "data": {"items": []}})
    sleeps: list[float] = []
    assert [r.record_id for r in rest(URL, sleeps).records()] == ["1"]
    assert len(sleeps) == 1


@responses.activate
def test_404_after_the_first_page_is_a_data_error_with_a_hint() -> None:
    responses.get(URL, **GOOD)
    responses.get(URL, status=404, json={"message": "Trang không tồn tại"})
    got: list[str] = []
    with pytest.raises(SourceDataError, match=r"page=2&page_size=2 \(page 2\): HTTP 404 Not Found:"
                       r" Trang không tồn tại \(.*needs total_path or next_link"):
        got.extend(r.record_id for r in rest(URL).records())
    assert got == ["1"]
