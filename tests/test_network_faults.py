"""Network faults a loopback server can produce, on writes the national side has stored: the
connection closed without an answer, a body cut short of its Content-Length, an answer slower
than the client's read timeout, and a 500 after the commit. For each, the sync ends with every
record delivered exactly once — created once; the write sent again comes back `unchanged` —
within two runs.

How many writes in a row suffer the fault is drawn from the session's seed (tests/fault_env):
fewer than the client's 2 attempts (one, that is) and the first run retries through it; 2, and
its first batch gives up, the run fails, and the next run (probing with one record) delivers."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from national_sim.faults import FaultConfigError, Faults
from sync.breaker import UNAVAILABLE
from sync.state.models import RunStatus
from tests.fault_env import announce, province, rng
from tests.records import valid_record

pytestmark = pytest.mark.slow

ATTEMPTS = 2
# The client's read timeout is 1 s; a slow answer comes 1.5 s after the write was stored.
NATIONAL = f"max_attempts = {ATTEMPTS}\ntimeout = 1"
FAULTS = ("reset", "partial_body", "slow_answers", "store_then_drop")


def _counted(stats: dict[str, object], fault: str) -> int:
    if fault == "store_then_drop":
        return int(stats["dropped_after_store"])  # type: ignore[call-overload]
    return int(stats["network_faults"].get(fault, 0))  # type: ignore[attr-defined]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_stored_write_whose_answer_is_lost_is_sent_again_and_stored_once(
    tmp_path: Path, state_url: str, fault: str
) -> None:
    hits = rng("network", fault).randint(1, ATTEMPTS)
    announce(f"{fault} on the first {hits} write(s)")
    with province(tmp_path, state_url, national=NATIONAL) as p:
        p.sim.set_faults(**{fault: hits, "slow_seconds": 1.5})
        first = p.sync()
        if hits < ATTEMPTS:
            assert first.status is RunStatus.SUCCEEDED, first.error
            assert first.counts["unchanged"] >= 1  # the lost batch, sent again
        else:
            assert first.status is RunStatus.FAILED
            assert (first.error or "").startswith(f"{UNAVAILABLE}: ")
            again = p.sync()
            assert again.status is RunStatus.SUCCEEDED, again.error
        assert _counted(p.sim.stats(), fault) == hits  # the faults really happened
        p.assert_delivered_once()
        assert p.unchanged_writes() >= 1


def test_each_network_fault_happens_to_a_stored_write_only(tmp_path: Path) -> None:
    """What the client meets: a write stored, then no answer, half an answer, or a late one;
    nothing else is touched (reads, tokens, and writes that were refused)."""
    with province(tmp_path, f"sqlite:///{tmp_path / 'state.sqlite'}") as p:
        url = f"{p.sim.url}/v1/provinces/{p.sim.province}/tasks/tinh-csv%3AX"
        headers = p.sim.headers()
        record = valid_record(local_id="tinh-csv:X")
        p.sim.set_faults(reset=1, partial_body=1, slow_answers=1, slow_seconds=1.5)
        refused = requests.put(url, json={"local_id": "tinh-csv:X"}, headers=headers, timeout=5)
        assert refused.status_code == 422  # not stored: answered as it is, no fault used
        assert requests.get(url, headers=headers, timeout=5).status_code == 404
        with pytest.raises(requests.ConnectionError, match="without response"):
            requests.put(url, json=record, headers=headers, timeout=5)
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            requests.put(url, json=record, headers=headers, timeout=5)
        with pytest.raises(requests.ReadTimeout):
            requests.put(url, json=record, headers=headers, timeout=(5, 0.5))
        after = requests.put(url, json=record, headers=headers, timeout=5)
        assert after.status_code == 200 and after.json()["status"] == "unchanged"
        stats = p.sim.stats()
        assert stats["network_faults"] == {"partial_body": 1, "reset": 1, "slow_answers": 1}
        assert stats["writes"][p.sim.province]["tinh-csv:X"] == {
            "created": 1, "updated": 0, "unchanged": 3}


@pytest.mark.parametrize(
    ("changes", "words"),
    [({"reset": -1}, "must be >= 0"), ({"slow_answers": True}, "whole number"),
     ({"partial_body": 1.5}, "whole number"), ({"slow_seconds": -2}, "must be >= 0")],
)
def test_a_bad_network_fault_setting_is_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(FaultConfigError, match=words):
        Faults().replace(changes)
