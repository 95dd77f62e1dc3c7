"""Changing the simulator's national database behind the service's back, as a national
operator, another system or a restore from an old backup would: straight into its store,
not through the API the service uses."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from national_sim import sim_state
from schemas.canonical import content_hash
from tests.sim_fixtures import RunningSim


def _now() -> datetime:
    return datetime.now(timezone.utc)


def change_national(sim: RunningSim, local_id: str, **fields: Any) -> None:
    """Overwrite fields of a stored record (its content hash follows, as the API would)."""
    store = sim_state(sim.app).store
    stored = store.get(sim.province, local_id)
    assert stored is not None, local_id
    record = stored.record | fields
    store.write(sim.province, local_id, record, content_hash(record), _now())


def add_national(sim: RunningSim, local_id: str, record: dict[str, Any]) -> None:
    """Store a record the service never sent."""
    record = record | {"local_id": local_id}
    sim_state(sim.app).store.write(sim.province, local_id, record, content_hash(record), _now())


def withdraw_national(sim: RunningSim, *local_ids: str) -> None:
    store = sim_state(sim.app).store
    for local_id in local_ids:
        assert store.delete(sim.province, local_id, _now()), local_id


def empty_national(sim: RunningSim) -> None:
    """Withdraw every record of the province, as a national restore that lost them would."""
    withdraw_national(sim, *sim.tasks())
