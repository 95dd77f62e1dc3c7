"""Backing off a failing national side: the run's retry budget, the circuit breaker, the probe
of one record after a run that backed off, a Retry-After longer than allowed; and the national
side down for several scheduled runs of the daemon, then back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import select

from sync.breaker import FAILING, UNAVAILABLE, CircuitBreaker, backed_off
from sync.config import ConfigError, load_config
from sync.national import (
    CircuitOpen,
    NationalClient,
    RetryBudgetExceeded,
    RetryPolicy,
    RunBudget,
    RunBudgetSpent,
    StaticToken,
    TransientError,
)
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus, Trigger
from tests import national_fixtures
from tests.cli_run import run_cli
from tests.fault_env import Province, daemon_here, province, wait_for
from tests.national_fixtures import TASK_URL, FakeClock

clock = national_fixtures.clock
api = national_fixtures.api

BATCH_ROUTE = "POST /v1/provinces/<province>/tasks:batch"


def _client(
    clock: FakeClock, *, budget: RunBudget | None = None, watch: Any = None, attempts: int = 6
) -> NationalClient:
    return NationalClient(
        national_fixtures.BASE,
        "48",
        StaticToken("key"),
        policy=RetryPolicy(max_attempts=attempts, jitter=0),
        sleep=clock.sleep,
        clock=clock,
        budget=budget,
        watch=watch,
    )


def _answers(api: responses.RequestsMock, *statuses: int, slow: float = 0.0,
             clock: FakeClock | None = None) -> list[int]:
    """Answer TASK_URL's PUTs with `statuses` in turn (the last one from then on); each
    failing answer takes `slow` seconds on `clock`. Returns the list of statuses served."""
    served: list[int] = []

    def answer(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        status = statuses[min(len(served), len(statuses) - 1)]
        served.append(status)
        if status >= 500 and clock is not None:
            clock.now += slow
        if status == 200:
            return 200, {}, json.dumps(national_fixtures.result(status="unchanged"))
        if status == 422:
            return 422, {}, '{"error": "invalid", "errors": []}'
        return status, {}, '{"error": "unavailable", "message": "down"}'

    api.add_callback(responses.PUT, TASK_URL, callback=answer)
    return served


def _put(client: NationalClient) -> Any:
    return client.put_task("qlkh:1", {"local_id": "qlkh:1"})


# The run's retry budget ------------------------------------------------------------------


def test_the_run_budget_bounds_retries_across_calls(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    budget = RunBudget(max_retries=3, max_seconds=1000)
    client = _client(clock, budget=budget)
    served = _answers(api, 503, 503, 200, 503)
    _put(client)  # two retries, then through
    assert served == [503, 503, 200] and budget.retries == 2
    with pytest.raises(RunBudgetSpent, match=r"retry budget is used up \(3 of 3 retries"):
        _put(client)  # one retry left: two requests
    assert len(served) == 5
    with pytest.raises(RunBudgetSpent):
        _put(client)  # nothing left: one request, no retry, no wait
    assert len(served) == 6 and clock.sleeps == [1.0, 2.0, 1.0]


def test_the_run_budget_counts_the_waits_and_the_retries_that_failed_again(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    budget = RunBudget(max_retries=100, max_seconds=6)
    client = _client(clock, budget=budget)
    served = _answers(api, 503, slow=2.0, clock=clock)  # each failure takes 2 s
    with pytest.raises(RunBudgetSpent) as caught:
        _put(client)
    # waits 1 and 2 s, the two retries that failed took 2 s each: 7 s; the third wait (4 s)
    # cannot fit in what is left
    assert len(served) == 3 and clock.sleeps == [1.0, 2.0]
    assert budget.seconds == pytest.approx(7.0)
    assert isinstance(caught.value, RetryBudgetExceeded) and isinstance(caught.value.last,
                                                                          TransientError)


def test_a_run_budget_refuses_negative_bounds() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        RunBudget(max_retries=-1)


_CONFIG = """
province = "52"
[national]
url = "http://127.0.0.1:9/api"
auth = "token"
token_env = "TEST_TOKEN"
{extra}
"""


def test_the_backing_off_settings_have_defaults_and_refuse_nonsense(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TOKEN", "t")
    path = tmp_path / "stisync.toml"
    path.write_text(_CONFIG.format(extra=""), encoding="utf-8")
    national = load_config(path).national
    assert (national.run_max_retries, national.run_max_retry_seconds) == (100, 900.0)
    assert national.circuit_failures == 5
    path.write_text(_CONFIG.format(extra="run_max_retries = 0\ncircuit_failures = 1"),
                    encoding="utf-8")
    national = load_config(path).national
    assert (national.run_max_retries, national.circuit_failures) == (0, 1)
    for extra, words in (
        ("run_max_retries = -1", "national.run_max_retries: must not be negative"),
        ("run_max_retry_seconds = -0.5", "national.run_max_retry_seconds: must not be negative"),
        ("run_max_retries = 2.5", "national.run_max_retries: must be int"),
        ("circuit_failures = 0", "national.circuit_failures: must be a whole number of at least 1"),
        ("circuit_failure = 3", "circuit_failure"),
    ):
        path.write_text(_CONFIG.format(extra=extra), encoding="utf-8")
        with pytest.raises(ConfigError, match=words):
            load_config(path)


# The circuit breaker ----------------------------------------------------------------------


def _failure(n: int = 0) -> TransientError:
    return TransientError(f"national API PUT /x: 503 unavailable ({n})", status=503)


def test_the_circuit_opens_after_failures_in_a_row_and_an_answer_resets_the_count() -> None:
    b = CircuitBreaker(failures=3)
    for outcome in (_failure(), _failure(), None, _failure(), _failure()):
        b.answered(outcome)
    assert b.refusal() is None
    b.answered(_failure(7))
    refusal = b.refusal()
    assert isinstance(refusal, CircuitOpen)
    assert str(refusal).startswith("circuit open after 3 failed requests in a row")
    assert refusal.text("vi").startswith("tạm ngừng gửi vì 3 yêu cầu liên tiếp thất bại")
    assert "(7)" in refusal.text("vi")
    assert "(7)" in str(refusal) and refusal.status == 503


def test_the_circuit_opens_when_more_than_half_of_the_recent_requests_failed() -> None:
    half = CircuitBreaker(failures=100, window=10)
    for i in range(10):  # exactly half: stays closed
        half.answered(_failure() if i % 2 else None)
    assert half.refusal() is None
    half.answered(_failure())  # the window's first (an answer) drops out: 6 of 10
    assert half.refusal() is not None
    assert "6 of the last 10 requests failed" in str(half.refusal())


def test_an_open_circuit_stops_the_call_in_flight_and_the_next_ones(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    client = _client(clock, watch=CircuitBreaker(failures=3), attempts=6)
    served = _answers(api, 503)
    with pytest.raises(CircuitOpen, match="3 failed requests in a row"):
        _put(client)
    assert len(served) == 3  # not the 6 the policy allows
    with pytest.raises(CircuitOpen):
        _put(client)
    assert len(served) == 3  # nothing sent once open


def test_a_put_without_retry_is_one_attempt_and_the_breaker_sees_it(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(failures=3)
    client = _client(clock, watch=breaker, attempts=6)
    served = _answers(api, 503)
    with pytest.raises(TransientError) as caught:
        client.put_task("qlkh:1", {"local_id": "qlkh:1"}, retry=False)
    assert not isinstance(caught.value, RetryBudgetExceeded)  # not retried, so not "gave up"
    assert served == [503]
    assert breaker.consecutive == 1 and not breaker.last_answered


def test_a_refused_record_is_an_answer_not_a_failure(
    api: responses.RequestsMock, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(failures=2)
    client = _client(clock, watch=breaker)
    _answers(api, 503, 422, 503, 422)
    _put(client)  # 503, then a refusal of the record
    _put(client)
    assert breaker.refusal() is None and breaker.consecutive == 0


# With the simulator -----------------------------------------------------------------------


def _batch_calls(p: Province) -> int:
    return sum(p.sim.stats()["requests"]["by_route"].get(BATCH_ROUTE, {}).values())


def _single_puts(p: Province) -> int:
    routes = p.sim.stats()["requests"]["by_route"]
    return sum(sum(v.values()) for k, v in routes.items() if k.startswith("PUT "))


def _api_requests(p: Province) -> int:
    return int(p.sim.stats()["requests"]["total"])


@pytest.fixture
def failing(tmp_path: Path, state_url: str) -> Iterator[Province]:
    """12 records, batches of 5; the circuit opens after 2 failures in a row (the policy
    allows 6 attempts)."""
    with province(tmp_path, state_url, national="circuit_failures = 2\nmax_retry_after = 5") as p:
        yield p


@pytest.mark.slow
def test_a_national_side_down_opens_the_circuit_and_the_next_run_probes_one_record(
    failing: Province,
) -> None:
    p = failing
    p.sim.set_faults(down=True)
    down = p.sync()
    assert down.status is RunStatus.FAILED
    assert (down.error or "").startswith(f"{FAILING}: circuit open after 2 failed requests")
    assert _api_requests(p) == 2  # the policy allows 6 attempts: the breaker stopped at 2
    assert len(p.outbox()) == 12 and p.sim.tasks() == {}

    p.sim.set_faults(down=False)
    back = p.sync()
    assert back.status is RunStatus.SUCCEEDED, back.error
    # One record first, then the other 11 in batches of 5: the outage refused even the
    # token, so no record is suspected of failing the batch it never travelled in.
    assert _batch_calls(p) == 1 + 3
    assert _single_puts(p) == 0
    p.assert_delivered_once()

    p.edit(p.record_ids()[0], "Đề tài sửa sau khi hệ thống quốc gia hoạt động lại")
    assert p.sync().status is RunStatus.SUCCEEDED
    assert _batch_calls(p) == 1 + 3 + 1  # after a good run, no probe: one full batch
    p.assert_delivered_once()


@pytest.mark.slow
def test_a_retry_after_longer_than_allowed_ends_the_run_at_the_first_answer(
    failing: Province,
) -> None:
    p = failing
    p.sim.set_faults(failure_rate=1.0, retry_after=30)
    polite = p.sync()
    assert polite.status is RunStatus.FAILED
    assert (polite.error or "").startswith(f"{UNAVAILABLE}: ")
    assert "asks to wait 30 s, longer than the 5 s allowed" in (polite.error or "")
    assert _api_requests(p) == 1 and len(p.outbox()) == 12

    p.sim.set_faults(failure_rate=0.0)
    assert p.sync().status is RunStatus.SUCCEEDED
    assert _batch_calls(p) == 1 + 3  # it backed off: the next run probed first
    p.assert_delivered_once()


@pytest.mark.slow
def test_a_run_stops_when_its_retry_budget_is_spent_and_the_next_run_carries_on(
    tmp_path: Path, state_url: str
) -> None:
    extra = "run_max_retries = 1\ncircuit_failures = 10"
    with province(tmp_path, state_url, national=extra) as p:
        p.sim.set_faults(failure_rate=1.0, retry_after=0)
        spent = p.sync()
        assert spent.status is RunStatus.FAILED
        assert "the run's retry budget is used up (1 of 1 retries" in (spent.error or "")
        assert _api_requests(p) == 2  # the first try and one retry, then nothing
        p.sim.set_faults(failure_rate=0.0)
        assert p.sync().status is RunStatus.SUCCEEDED
        p.assert_delivered_once()


@pytest.mark.slow
def test_the_national_side_down_for_three_scheduled_runs_then_back(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The daemon syncs every second; the national side is down for three of its runs, then
    back: everything ends delivered once, and `stisync logs` shows each failed run with its
    reason, in Vietnamese by default. (One failure opens the circuit here, so that a down run
    takes no time.)"""
    with province(tmp_path, state_url, schedule="every 1s",
                  national="circuit_failures = 1") as p:
        p.sim.set_faults(down=True)

        def failed() -> list[Run]:
            return [r for r in p.runs() if r.status is RunStatus.FAILED]

        with daemon_here(p):
            wait_for(lambda: len(failed()) >= 3, 60, "three failed scheduled runs")
            p.sim.set_faults(down=False)
            wait_for(lambda: any(r.status is RunStatus.SUCCEEDED for r in p.runs()), 60,
                     "a scheduled run after the national side came back")
        p.assert_delivered_once()
        runs = p.runs()
        first_ok = next(i for i, r in enumerate(runs) if r.status is RunStatus.SUCCEEDED)
        down_runs = runs[:first_ok]
        assert len(down_runs) >= 3
        assert all(r.status is RunStatus.FAILED for r in down_runs)
        assert all((r.error or "").startswith(f"{FAILING}: circuit open") for r in down_runs)
        assert all("tạm ngừng gửi vì 1 yêu cầu liên tiếp thất bại" in (r.error_vi or "")
                   for r in down_runs)

        shown = run_cli(monkeypatch, capsys, p.config, "logs")
        assert shown.returncode == 0
        lines = shown.stdout.splitlines()
        reason = "Hệ thống quốc gia liên tục gặp lỗi, đã tạm ngừng gửi"
        for r in down_runs:
            line = next(x for x in lines if x.lstrip().startswith(f"{r.id} "))
            assert "thất bại" in line and reason in line, line
        english = run_cli(monkeypatch, capsys, p.config, "--lang", "en", "logs")
        assert "National API failing, sending paused" in english.stdout


def test_the_next_run_probes_after_a_national_failure_whatever_came_in_between(
    tmp_path: Path,
) -> None:
    """`backed_off` reads the last runs' errors: a run that failed for its source, that
    crashed, or that had nothing to send says nothing of the national side; a run that
    delivered something closes the circuit."""
    db = StateDB(f"sqlite:///{tmp_path / 'state.sqlite'}")
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)

    def finished(status: RunStatus, error: str | None = None, **counts: int) -> bool:
        with db.session() as s:
            n = len(list(s.scalars(select(Run.id))))
            s.add(Run(run_uid=f"r{n}", source="a" if n % 2 else "b", trigger=Trigger.SCHEDULE,
                      status=status, started_at=start + timedelta(hours=n),
                      finished_at=start + timedelta(hours=n, minutes=5), counts=counts,
                      error=error))
        return backed_off(db)

    try:
        assert not backed_off(db)
        assert finished(RunStatus.FAILED, f"{FAILING}: circuit open after 5 failed requests")
        assert finished(RunStatus.FAILED, "source: tinh-csv: file not found")
        assert finished(RunStatus.CRASHED, "the process running this sync stopped")
        assert finished(RunStatus.SUCCEEDED, fetched=3, unchanged=3)  # nothing to send
        assert not finished(RunStatus.PARTIAL, "not found: NV-1", created=1)  # it delivered
        assert finished(RunStatus.FAILED, f"source: gone; {UNAVAILABLE}: 503 (gave up)")
        assert finished(RunStatus.SUCCEEDED)
        assert not finished(RunStatus.FAILED, "2 record(s) could not be delivered", updated=4)
        assert not finished(RunStatus.FAILED, "national API: 403 province 52 not allowed")
    finally:
        db.dispose()
