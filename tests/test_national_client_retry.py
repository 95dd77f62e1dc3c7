"""Retry policy of the national client: classification, Retry-After, backoff and budgets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import responses

from sync.national import (
    AuthFailed,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryBudgetExceeded,
    RetryPolicy,
    TransientError,
    classify,
    parse_retry_after,
    retrying,
)
from tests import national_fixtures
from tests.national_fixtures import FakeClock

URL = "https://national.invalid/api/v1/provinces/48/tasks/a%3A1"
NOW = datetime(2025, 3, 1, 8, 0, 0, tzinfo=timezone.utc)

no_real_sleep = national_fixtures.no_real_sleep  # the shared autouse fixture


def response(
    status: int, body: str = "", headers: dict[str, str] | None = None, method: str = "PUT"
) -> requests.Response:
    """A real `requests.Response`, as the adapter hands it back, served by `responses`."""
    with responses.RequestsMock() as rsps:
        rsps.add(
            method,
            URL,
            status=status,
            body=body,
            headers=headers or {},
            content_type="application/json",
        )
        return requests.request(method, URL, timeout=1)


# parse_retry_after ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("120", 120.0, id="delta-seconds"),
        pytest.param(" 0 ", 0.0, id="zero-with-spaces"),
        pytest.param(
            format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0, id="http-date"
        ),
        pytest.param("Sat, 01 Mar 2025 08:00:30 -0000", 30.0, id="http-date-minus-zero-zone"),
        pytest.param("Sunday, 02-Mar-25 08:00:00 GMT", 86400.0, id="obsolete-rfc850-date"),
        pytest.param("Sun Mar  2 08:00:00 2025", 86400.0, id="obsolete-asctime-date"),
        pytest.param(
            format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0, id="date-in-past"
        ),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("1.5", None, id="fraction-not-allowed"),
        pytest.param("-5", None, id="negative"),
        pytest.param("٣", None, id="non-ascii-digit"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_parse_retry_after_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_retry_after("Sat, 01 Mar 2025 08:00:30 GMT", now=datetime(2025, 3, 1))  # noqa: DTZ001


# classify ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(200, None, id="200"),
        pytest.param(201, None, id="201"),
        pytest.param(204, None, id="204"),
        pytest.param(400, PermanentError, id="400"),
        pytest.param(401, AuthFailed, id="401"),
        pytest.param(403, PermanentError, id="403"),
        pytest.param(404, PermanentError, id="404"),
        pytest.param(413, PermanentError, id="413"),
        pytest.param(422, PermanentError, id="422"),
        pytest.param(429, TransientError, id="429"),
        pytest.param(500, TransientError, id="500"),
        pytest.param(501, PermanentError, id="501-not-implemented-never-heals"),
        pytest.param(502, TransientError, id="502"),
        pytest.param(503, TransientError, id="503"),
        pytest.param(504, TransientError, id="504"),
    ],
)
def test_classify_status(status: int, expected: type[NationalError] | None) -> None:
    body = "" if status == 204 else '{"error": "some_code", "message": "why"}'
    error = classify(response(status, body), None, url=URL)
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected
        assert error is not None and error.status == status and error.code == "some_code"
        assert error.message == "why" and error.url == URL


def test_classify_message_names_method_path_status_and_server_error() -> None:
    error = classify(
        response(404, '{"error": "unknown_province", "message": "no such"}'), None, url=URL
    )
    assert str(error) == (
        "national API PUT /api/v1/provinces/48/tasks/a:1: 404 unknown_province: no such"
    )


def test_classify_403_names_the_province() -> None:
    error = classify(response(403, '{"error": "forbidden"}'), None, url=URL)
    assert isinstance(error, PermanentError)
    assert "province 48 not allowed for this client" in str(error)


def test_classify_validation_error_lists_field_errors() -> None:
    body = (
        '{"errors": [{"field": "budget.total_vnd", "code": "required", "message": "missing"},'
        ' {"field": "title", "code": "too_long", "message": "over 2000"}]}'
    )
    error = classify(response(422, body), None, url=URL)
    assert isinstance(error, PermanentError)
    assert "budget.total_vnd (required: missing)" in str(error)
    assert "title (too_long: over 2000)" in str(error)
    assert [e["field"] for e in error.errors] == ["budget.total_vnd", "title"]


def test_classify_reads_a_non_json_error_body() -> None:
    error = classify(response(502, "<html>Bad gateway</html>"), None, url=URL)
    assert isinstance(error, TransientError)
    assert "<html>Bad gateway</html>" in str(error) and error.code is None


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        pytest.param(429, {"Retry-After": "7"}, 7.0, id="429-seconds"),
        pytest.param(503, {"Retry-After": "120"}, 120.0, id="503-seconds"),
        pytest.param(503, {"Retry-After": "later"}, None, id="503-garbage-header"),
        pytest.param(503, {}, None, id="503-no-header"),
    ],
)
def test_classify_carries_retry_after(
    status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    error = classify(response(status, headers=headers), None, url=URL)
    assert isinstance(error, TransientError) and error.retry_after == retry_after


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(requests.ConnectionError("reset"), TransientError, id="connection-error"),
        pytest.param(requests.ConnectTimeout("timed out"), TransientError, id="connect-timeout"),
        pytest.param(requests.ReadTimeout("read timed out"), TransientError, id="read-timeout"),
        pytest.param(
            requests.exceptions.ChunkedEncodingError("cut"), TransientError, id="cut-body"
        ),
        pytest.param(requests.exceptions.InvalidURL("bad url"), PermanentError, id="invalid-url"),
    ],
)
def test_classify_exceptions(exc: Exception, expected: type[NationalError]) -> None:
    error = classify(None, exc, url=URL, method="PUT")
    assert type(error) is expected
    assert error is not None and error.status is None
    assert str(error).startswith("national API PUT /api/v1/provinces/48/tasks/a:1: ")


def test_classify_a_success_with_an_unreadable_body_is_transient() -> None:
    cut = response(200, '{"local_id": "a:1", "sta')
    with pytest.raises(ValueError) as decoding:
        cut.json()
    error = classify(cut, decoding.value, url=URL)
    assert isinstance(error, TransientError)
    assert "body is cut or not JSON" in str(error)


def test_classify_needs_something_to_classify() -> None:
    with pytest.raises(ValueError, match="needs a response or an exception"):
        classify(None, None, url=URL)


# retrying ------------------------------------------------------------------------------------


def failing(
    clock: FakeClock,
    errors: Sequence[Exception],
    *,
    takes: float = 0.0,
    starts: list[float] | None = None,
) -> tuple[list[int], Callable[[], str]]:
    """A call that raises `errors` in turn (then succeeds), taking `takes` seconds each time."""
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if starts is not None:
            starts.append(clock.now)
        clock.now += takes
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "done"

    return calls, call


def transient(retry_after: float | None = None, status: int = 503) -> TransientError:
    return TransientError(f"national API PUT /x: {status}", status=status, retry_after=retry_after)


def test_transient_errors_are_retried_until_success() -> None:
    clock = FakeClock()
    calls, call = failing(clock, [transient(), transient(status=502)])
    result = retrying(RetryPolicy(jitter=0), sleep=clock.sleep, clock=clock)(call)
    assert result == "done" and len(calls) == 3 and clock.sleeps == [1.0, 2.0]


def test_backoff_grows_and_is_bounded() -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=7, initial_backoff=1, max_backoff=5, jitter=0, max_total_seconds=10_000
    )
    calls, call = failing(clock, [transient()] * 10)
    with pytest.raises(RetryBudgetExceeded):
        retrying(policy, sleep=clock.sleep, clock=clock)(call)
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0] and len(calls) == 7


def test_jitter_stays_within_its_bounds() -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=6, initial_backoff=1, max_backoff=8, jitter=0.5, max_total_seconds=10_000
    )
    _, call = failing(clock, [transient()] * 10)
    with pytest.raises(RetryBudgetExceeded):
        retrying(policy, sleep=clock.sleep, clock=clock)(call)
    for base, slept in zip([1, 2, 4, 8, 8], clock.sleeps, strict=True):
        assert base <= slept <= min(base + 0.5, 8)


def test_attempts_are_bounded_and_the_last_error_is_kept() -> None:
    clock = FakeClock()
    last = transient(status=504)
    calls, call = failing(clock, [transient()] * 3 + [last] + [transient()] * 5)
    with pytest.raises(RetryBudgetExceeded) as raised:
        retrying(RetryPolicy(max_attempts=4, jitter=0), sleep=clock.sleep, clock=clock)(call)
    assert len(calls) == 4 and len(clock.sleeps) == 3
    assert raised.value.last is last and raised.value.status == 504
    assert raised.value.__cause__ is last
    assert "gave up after 4 attempt(s)" in str(raised.value)


def test_total_time_is_bounded_with_slow_answers() -> None:
    clock = FakeClock()
    starts: list[float] = []
    policy = RetryPolicy(max_attempts=100, max_total_seconds=100, jitter=0)
    calls, call = failing(clock, [transient()] * 100, takes=25, starts=starts)
    with pytest.raises(RetryBudgetExceeded):
        retrying(policy, sleep=clock.sleep, clock=clock)(call)
    assert len(calls) < 100
    assert starts[-1] - starts[0] <= 100
    # No sleep was begun that would end after the budget.
    assert sum(clock.sleeps) + 25 * (len(calls) - 1) <= 100


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    clock = FakeClock()
    _, call = failing(clock, [transient(retry_after=42), transient(retry_after=0.5)])
    retrying(RetryPolicy(jitter=0), sleep=clock.sleep, clock=clock)(call)
    assert clock.sleeps == [42.0, 2.0]


def test_retry_after_beyond_the_policy_ends_the_call_politely() -> None:
    clock = FakeClock()
    calls, call = failing(clock, [transient(retry_after=3600)])
    with pytest.raises(RetryAfterTooLong) as raised:
        retrying(RetryPolicy(max_retry_after=600), sleep=clock.sleep, clock=clock)(call)
    assert len(calls) == 1 and clock.sleeps == []
    assert raised.value.retry_after == 3600 and raised.value.status == 503
    assert "3600 s" in str(raised.value) and "600 s allowed" in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(PermanentError("national API PUT /x: 400", status=400), id="permanent"),
        pytest.param(AuthFailed("national API PUT /x: 401", status=401), id="auth-failed"),
        pytest.param(NationalError("national API PUT /x: no result"), id="contract-break"),
        pytest.param(
            RetryBudgetExceeded("nested call gave up", last=transient()), id="nested-budget"
        ),
        pytest.param(KeyError("bug"), id="programming-error"),
    ],
)
def test_other_errors_are_raised_after_exactly_one_try(error: Exception) -> None:
    clock = FakeClock()
    calls, call = failing(clock, [error])
    with pytest.raises(type(error)) as raised:
        retrying(RetryPolicy(), sleep=clock.sleep, clock=clock)(call)
    assert raised.value is error and len(calls) == 1 and clock.sleeps == []


def test_each_retry_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    _, call = failing(clock, [transient(retry_after=2.3)])
    with caplog.at_level("WARNING", logger="sync.national.retry"):
        retrying(RetryPolicy(jitter=0), sleep=clock.sleep, clock=clock)(call)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert (
        caplog.records[0]
        .getMessage()
        .startswith("national API 503, retrying in 2.3 s (attempt 2/6)")
    )


def test_one_retrying_object_keeps_a_budget_per_call() -> None:
    clock = FakeClock()
    retry = retrying(RetryPolicy(max_total_seconds=100, jitter=0), sleep=clock.sleep, clock=clock)
    clock.now += 500  # long after the first call started: a fresh budget for the second
    for _ in range(2):
        _, call = failing(clock, [transient()])
        assert retry(call) == "done"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"max_attempts": 0}, "max_attempts must be at least 1", id="no-attempts"),
        pytest.param(
            {"max_backoff": -1}, "max_backoff must not be negative", id="negative-backoff"
        ),
    ],
)
def test_retry_policy_refuses_nonsense(changes: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**changes)  # type: ignore[arg-type]
