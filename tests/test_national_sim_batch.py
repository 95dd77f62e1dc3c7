"""The simulator's batch writes: one batch answers and stores exactly what the same writes sent
one PUT at a time would, though it is written with a few statements for the whole batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from national_sim import SimConfig, create_app, sim_state
from schemas.canonical import content_hash
from tests.records import valid_record
from tests.sim_fixtures import FakeClock

TOKEN = "batch-test-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/v1/provinces/52"
INVALID = {"start_date": "2024-06-01", "end_date": "2023-12-31"}  # ends before it starts


def _rec(n: int, **changes: Any) -> dict[str, Any]:
    return valid_record(local_id=f"so-khcn:{n}", **changes)


class Sim:
    """One simulator in-process, on its own fake clock, called through Flask's test client."""

    def __init__(self, data_dir: Path):
        self.app = create_app(SimConfig(data_dir=data_dir, static_tokens={TOKEN: "52"},
                                        clock=FakeClock()))
        self.client: FlaskClient = self.app.test_client()

    def put(self, record: dict[str, Any]) -> dict[str, Any]:
        url = f"{BASE}/tasks/{quote(record['local_id'], safe='')}"
        r = self.client.put(url, json=record, headers=HEADERS)
        assert r.status_code in (200, 201, 422), r.get_json()
        body: dict[str, Any] = r.get_json()
        return body

    def batch(self, records: list[Any]) -> list[dict[str, Any]]:
        r = self.client.post(f"{BASE}/tasks:batch", json=records, headers=HEADERS)
        assert r.status_code == 200, r.get_json()
        results: list[dict[str, Any]] = r.get_json()["results"]
        return results

    def delete(self, local_id: str) -> None:
        r = self.client.delete(f"{BASE}/tasks/{quote(local_id, safe='')}", headers=HEADERS)
        assert r.status_code == 204

    def stored(self) -> dict[str, tuple[str, int, str, dict[str, Any]]]:
        """local_id -> (national_id, revision, content_hash, record) of every live record."""
        return {t.local_id: (t.national_id, t.revision, t.content_hash, t.record)
                for t in sim_state(self.app).store.tasks("52")}

    def writes(self) -> dict[str, dict[str, int]]:
        return sim_state(self.app).store.write_counts().get("52", {})

    def close(self) -> None:
        sim_state(self.app).store.close()


@pytest.fixture
def two_sims(tmp_path: Path) -> Iterator[tuple[Sim, Sim]]:
    """Two simulators holding the same records: so-khcn:1..3 created, then so-khcn:2 withdrawn."""
    sims = (Sim(tmp_path / "one-by-one"), Sim(tmp_path / "batch"))
    for sim in sims:
        for n in (1, 2, 3):
            sim.put(_rec(n))
        sim.delete("so-khcn:2")
    yield sims
    for sim in sims:
        sim.close()


def test_a_batch_answers_and_stores_as_the_same_writes_one_by_one(
    two_sims: tuple[Sim, Sim],
) -> None:
    one_by_one, batched = two_sims
    writes = [
        _rec(4),                                 # new
        _rec(1),                                 # unchanged
        _rec(3, title="Tên đã sửa"),             # changed
        _rec(2),                                 # withdrawn, sent again
        _rec(5),                                 # new
        _rec(4, title="Sửa ngay trong lô"),      # created above, changed in the same batch
        _rec(4, title="Sửa ngay trong lô"),      # and sent a third time, unchanged
        _rec(6, **INVALID),                      # rejected, never stored
        _rec(1, title="Sửa lần một"),            # unchanged above, changed now
        _rec(7),                                 # new, after a rejected one
    ]
    singles = [one_by_one.put(record) for record in writes]
    results = batched.batch(writes)

    assert results == singles
    assert [(r["local_id"], r["status"], r["national_id"], r["revision"]) for r in results] == [
        ("so-khcn:4", "created", "VN-52-4", 1),
        ("so-khcn:1", "unchanged", "VN-52-1", 1),
        ("so-khcn:3", "updated", "VN-52-3", 2),
        ("so-khcn:2", "created", "VN-52-2", 2),
        ("so-khcn:5", "created", "VN-52-5", 1),
        ("so-khcn:4", "updated", "VN-52-4", 2),
        ("so-khcn:4", "unchanged", "VN-52-4", 2),
        ("so-khcn:6", "rejected", None, None),
        ("so-khcn:1", "updated", "VN-52-1", 2),
        ("so-khcn:7", "created", "VN-52-6", 1),
    ]
    assert results[5]["content_hash"] == content_hash(writes[5])
    assert batched.stored() == one_by_one.stored()
    assert batched.stored()["so-khcn:4"][3]["title"] == "Sửa ngay trong lô"
    assert batched.writes() == one_by_one.writes()
    assert batched.writes()["so-khcn:4"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert batched.writes()["so-khcn:2"] == {"created": 2, "updated": 0, "unchanged": 0}
    # the numbers taken by the batch are never handed out again
    after = [sim.put(_rec(8))["national_id"] for sim in two_sims]
    assert after == ["VN-52-7", "VN-52-7"]


def test_rejected_records_of_a_batch_carry_the_identity_stored_before_it(
    two_sims: tuple[Sim, Sim],
) -> None:
    _, sim = two_sims
    sim.put(_rec(3, title="Tên đã sửa"))  # so-khcn:3 is at revision 2
    results = sim.batch([
        _rec(3, **INVALID),      # stored and live: its identity
        _rec(2, **INVALID),      # withdrawn: none
        _rec(9, **INVALID),      # never stored: none
        {"title": "no local_id"},
        "not a record",
        _rec(1),
    ])
    assert [(r["local_id"], r["status"], r["national_id"], r["revision"]) for r in results] == [
        ("so-khcn:3", "rejected", "VN-52-3", 2),
        ("so-khcn:2", "rejected", None, None),
        ("so-khcn:9", "rejected", None, None),
        (None, "rejected", None, None),
        (None, "rejected", None, None),
        ("so-khcn:1", "unchanged", "VN-52-1", 1),
    ]
    assert all(r["errors"] and r["content_hash"] is None for r in results[:5])
    assert sim.stored()["so-khcn:3"][3]["title"] == "Tên đã sửa"
    assert set(sim.stored()) == {"so-khcn:1", "so-khcn:3"}
    assert sim.put(_rec(9))["national_id"] == "VN-52-4"


def test_a_batch_of_only_rejected_records_stores_nothing(two_sims: tuple[Sim, Sim]) -> None:
    _, sim = two_sims
    before = (sim.stored(), sim.writes())
    assert [r["status"] for r in sim.batch([_rec(1, **INVALID), _rec(9, **INVALID)])] == [
        "rejected", "rejected"]
    assert sim.batch([]) == []
    assert (sim.stored(), sim.writes()) == before
