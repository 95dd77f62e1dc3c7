"""The national API faked for client tests: a clock that moves only when told or slept on, no
real sleeping, `responses` in place of the network, and a client that waits on the fake clock.

Use it as `tests.sim_fixtures` is used: `from tests import national_fixtures` and, at module
level, `api = national_fixtures.api` (likewise `clock` and the autouse `no_real_sleep`; this form
keeps ruff's F811 quiet), then request them by name.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from sync.national import NationalClient, RetryPolicy, StaticToken

BASE = "https://national.invalid/api"
PROVINCE = f"{BASE}/v1/provinces/48"
TASK_URL = f"{PROVINCE}/tasks/qlkh%3A1"
BATCH_URL = f"{PROVINCE}/tasks:batch"
FIELD_ERRORS = [{"field": "budget.total_vnd", "code": "required", "message": "thiếu kinh phí"}]


class FakeClock:
    """A monotonic clock that only moves when told to, or when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that waits on the wall clock: retries must wait on `FakeClock.sleep`."""

    def forbidden(seconds: float) -> None:
        raise AssertionError(f"a test slept for real ({seconds} s)")

    monkeypatch.setattr(time, "sleep", forbidden)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    """The national API as `responses` answers; requests that were not asked for are fine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(clock: FakeClock, base: str = BASE, **policy: Any) -> NationalClient:
    """A client for province 48 with a static token, three attempts, no jitter, on `clock`."""
    return NationalClient(
        base,
        "48",
        StaticToken("key"),
        policy=RetryPolicy(**{"max_attempts": 3, "jitter": 0, **policy}),
        sleep=clock.sleep,
        clock=clock,
    )


def result(local_id: str = "qlkh:1", status: str = "updated", **extra: Any) -> dict[str, Any]:
    """One write result as the national API answers it."""
    return {
        "local_id": local_id,
        "status": status,
        "national_id": "VN-48-7",
        "revision": 2,
        "content_hash": "c0ffee",
        "errors": [],
        **extra,
    }
