"""Faults on demand: refusals with Retry-After, outages, latency, rejections, lost answers."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from national_sim import SimConfig, create_app, sim_state
from national_sim.control import is_loopback
from national_sim.faults import FaultConfigError, FaultController, Faults
from tests import sim_fixtures
from tests.records import valid_record
from tests.sim_fixtures import FakeClock, RunningSim, running_sim

national_sim = sim_fixtures.national_sim  # the shared fixture, requested by name below

T = 10


def _put(sim: RunningSim, local_id: str = "so-khcn:1", headers: dict[str, str] | None = None,
         **changes: Any) -> requests.Response:
    url = f"{sim.url}/v1/provinces/{sim.province}/tasks/{quote(local_id, safe='')}"
    return requests.put(url, json=valid_record(local_id=local_id, **changes), timeout=T,
                        headers=headers or sim.headers())


def test_failure_rate_one_refuses_everything_with_retry_after(national_sim: RunningSim) -> None:
    headers = national_sim.headers()
    national_sim.set_faults(failure_rate=1.0, retry_after=7)
    answers = [_put(national_sim, headers=headers) for _ in range(12)]
    assert {r.status_code for r in answers} == {429, 503}
    assert {r.headers["Retry-After"] for r in answers} == {"7"}
    assert {r.json()["error"] for r in answers} == {"rate_limited", "unavailable"}
    assert national_sim.tasks() == {}
    stats = national_sim.stats()
    assert sum(stats["refusals"].values()) == 12
    assert stats["retry_after_sent"] == [7] * 12
    assert national_sim.stats()["writes"] == {}


def test_retry_after_can_be_an_http_date(tmp_path: Path) -> None:
    clock = FakeClock()
    with running_sim(tmp_path, clock=clock) as sim:
        sim.set_faults(failure_rate=1.0, retry_after=30, retry_after_http_date=True)
        r = requests.get(f"{sim.url}/v1/health", timeout=T)
        when = parsedate_to_datetime(r.headers["Retry-After"])
        assert when.timestamp() - clock() >= 30


def test_failures_are_drawn_from_a_seeded_generator() -> None:
    def draws() -> list[int | None]:
        c = FaultController(Faults(failure_rate=0.5, seed=42))
        return [r.status if (r := c.refusal()) else None for _ in range(40)]
    first = draws()
    assert first == draws()
    assert None in first and (429 in first or 503 in first)


def test_retry_gap_shows_whether_retry_after_was_honoured(tmp_path: Path) -> None:
    clock = FakeClock()
    with running_sim(tmp_path, clock=clock) as sim:
        headers = sim.headers()
        sim.set_faults(failure_rate=1.0, retry_after=5)
        _put(sim, headers=headers)
        sim.set_faults(failure_rate=0.0)
        clock.advance(2)
        assert _put(sim, headers=headers).status_code == 201
        sim.set_faults(failure_rate=1.0)
        _put(sim, "so-khcn:2", headers=headers)
        clock.advance(5)
        sim.set_faults(failure_rate=0.0)
        _put(sim, "so-khcn:2", headers=headers)
        gaps = sim.stats()["retry_gaps"]
        assert [(g["path"].rsplit("/", 1)[-1], g["waited"], g["honoured"]) for g in gaps] == [
            ("so-khcn:1", 2.0, False), ("so-khcn:2", 5.0, True)]
        assert {g["client"] for g in gaps} == {sim.client_id}


def test_down_answers_503_without_retry_after_even_to_health(national_sim: RunningSim) -> None:
    headers = national_sim.headers()
    national_sim.set_faults(down=True)
    for r in (requests.get(f"{national_sim.url}/v1/health", timeout=T),
              _put(national_sim, headers=headers),
              requests.post(f"{national_sim.url}/oauth/token", timeout=T,
                            data={"grant_type": "client_credentials"})):
        assert r.status_code == 503
        assert "Retry-After" not in r.headers
        assert r.json()["error"] == "unavailable"
    national_sim.set_faults(down=False)
    assert _put(national_sim, headers=headers).status_code == 201


def test_latency_is_applied_to_each_api_request(tmp_path: Path) -> None:
    slept: list[float] = []
    with running_sim(tmp_path, sleep=slept.append, faults=Faults(latency=2.5)) as sim:
        requests.get(f"{sim.url}/v1/health", timeout=T)
        _put(sim)
        requests.get(f"{sim.url}/_sim/stats", timeout=T)
        # health, token, put; the control route is never slowed down
        assert slept == [2.5, 2.5, 2.5]
        assert sim.stats()["latency"] == {"delayed_requests": 3, "seconds": 7.5}


def test_reject_ids_are_refused_as_invalid(national_sim: RunningSim) -> None:
    national_sim.set_faults(reject_ids=["so-khcn:2"])
    headers = national_sim.headers()
    single = _put(national_sim, "so-khcn:2", headers=headers)
    assert single.status_code == 422
    assert single.json()["errors"][-1]["code"] == "rejected"
    batch = requests.post(f"{national_sim.url}/v1/provinces/52/tasks:batch", timeout=T,
                          headers=headers, json=[valid_record(local_id=f"so-khcn:{n}")
                                                 for n in (1, 2, 3)])
    assert [x["status"] for x in batch.json()["results"]] == ["created", "rejected", "created"]
    assert set(national_sim.tasks()) == {"so-khcn:1", "so-khcn:3"}


def test_store_then_drop_stores_the_write_but_answers_500(national_sim: RunningSim) -> None:
    headers = national_sim.headers()
    national_sim.set_faults(store_then_drop=1)
    lost = _put(national_sim, headers=headers)
    assert lost.status_code == 500
    assert lost.json()["error"] == "connection_lost"
    assert set(national_sim.tasks()) == {"so-khcn:1"}
    retried = _put(national_sim, headers=headers)
    assert (retried.status_code, retried.json()["status"]) == (200, "unchanged")
    stats = national_sim.stats()
    assert stats["writes"]["52"]["so-khcn:1"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert stats["dropped_after_store"] == 1


@pytest.mark.parametrize(("addr", "expected"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.5", False), ("192.168.1.20", False), ("::ffff:10.0.0.5", False),
    ("2001:db8::1", False), ("", False), (None, False), ("localhost", False),
], ids=["ipv4", "ipv4-net", "ipv6", "ipv4-mapped", "private", "lan", "mapped-private",
        "ipv6-global", "empty", "none", "hostname"])
def test_is_loopback(addr: str | None, expected: bool) -> None:
    assert is_loopback(addr) is expected


def test_controls_are_refused_to_other_machines_but_the_api_is_not(tmp_path: Path) -> None:
    app = create_app(SimConfig(data_dir=tmp_path))
    client = app.test_client()
    remote = {"REMOTE_ADDR": "192.0.2.10"}
    for method, path in (("GET", "/_sim/faults"), ("PUT", "/_sim/faults"),
                         ("GET", "/_sim/stats"), ("POST", "/_sim/reset"),
                         ("GET", "/api/_sim/stats")):
        r = client.open(path, method=method, json={"down": True}, environ_base=remote)
        assert r.status_code == 403, path
        assert "loopback" in r.get_json()["message"]
    assert client.get("/v1/health", environ_base=remote).status_code == 200
    assert client.get("/_sim/faults", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    sim_state(app).store.close()


def test_faults_are_set_and_read_over_http(national_sim: RunningSim) -> None:
    url = f"{national_sim.url}/_sim/faults"
    r = requests.put(url, json={"failure_rate": 0.25, "reject_ids": ["x"], "crash_ids": ["y"]},
                     timeout=T)
    assert r.status_code == 200
    assert requests.get(url, timeout=T).json() == {
        "failure_rate": 0.25, "retry_after": 1, "retry_after_http_date": False, "latency": 0.0,
        "reject_ids": ["x"], "crash_ids": ["y"], "down": False, "store_then_drop": 0, "seed": 0,
        "reset": 0, "partial_body": 0, "slow_answers": 0, "slow_seconds": 5.0}


@pytest.mark.parametrize(("body", "words"), [
    ({"failure_rat": 1}, "'failure_rat' is unknown"),
    ({"failure_rate": 2}, "between 0 and 1"),
    ({"down": "yes"}, "true or false"),
    ({"reject_ids": "so-khcn:1"}, "list of local_ids"),
    ({"retry_after": 1.5}, "whole number"),
    ({"latency": -1}, ">= 0"),
    ([1], "JSON object"),
], ids=["unknown-key", "rate-over-one", "down-not-bool", "ids-not-list", "retry-after-float",
        "negative-latency", "not-an-object"])
def test_bad_fault_settings_are_400_and_change_nothing(national_sim: RunningSim, body: Any,
                                                       words: str) -> None:
    url = f"{national_sim.url}/_sim/faults"
    r = requests.put(url, json=body, timeout=T)
    assert r.status_code == 400
    assert words in r.json()["message"]
    assert requests.get(url, timeout=T).json()["failure_rate"] == 0.0


def test_stats_over_http_count_answers_by_status_and_route(national_sim: RunningSim) -> None:
    headers = national_sim.headers()
    _put(national_sim, headers=headers)
    _put(national_sim, headers=headers)
    _put(national_sim, headers={"Authorization": "Bearer nope"})
    stats = requests.get(f"{national_sim.url}/_sim/stats", timeout=T).json()
    assert stats["requests"]["by_status"] == {"200": 2, "201": 1, "401": 1}
    route = "PUT /v1/provinces/<province>/tasks/<local_id:local_id>"
    assert stats["requests"]["by_route"][route] == {"200": 1, "201": 1, "401": 1}
    assert stats["writes"] == {"52": {"so-khcn:1": {"created": 1, "updated": 0, "unchanged": 1}}}


def test_reset_clears_data_stats_and_faults(national_sim: RunningSim) -> None:
    _put(national_sim)
    national_sim.set_faults(latency=0.5)
    assert requests.post(f"{national_sim.url}/_sim/reset", timeout=T).status_code == 204
    assert national_sim.tasks() == {}
    assert national_sim.stats()["requests"]["total"] == 0
    assert national_sim.stats()["writes"] == {}
    assert requests.get(f"{national_sim.url}/_sim/faults", timeout=T).json()["latency"] == 0.0


@pytest.mark.parametrize(("changes", "expected"), [
    ({"failure_rate": 1}, Faults(failure_rate=1.0)),
    ({"reject_ids": ["a", "b"]}, Faults(reject_ids=frozenset({"a", "b"}))),
    ({"store_then_drop": True}, Faults(store_then_drop=1)),
    ({"seed": True}, pytest.raises(FaultConfigError, match="whole number")),
    ({"reject_ids": [1]}, pytest.raises(FaultConfigError, match="only strings")),
    ({"store_then_drop": -1}, pytest.raises(FaultConfigError, match=">= 0")),
], ids=["int-rate", "ids", "drop-true-is-one", "seed-bool", "ids-not-strings", "negative-drops"])
def test_faults_replace(changes: dict[str, Any], expected: object) -> None:
    if isinstance(expected, Faults):
        assert Faults().replace(changes) == expected
    else:
        with expected:  # type: ignore[attr-defined]
            Faults().replace(changes)
