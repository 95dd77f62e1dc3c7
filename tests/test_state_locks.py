"""Per-source leases: one run at a time, across threads and processes; dead holders taken over."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from sync.state.db import StateDB
from sync.state.locks import SourceBusy, SourceLease
from sync.state.models import SourceLock, utcnow


def test_a_second_lease_on_the_same_source_is_refused_with_the_holder(state_url: str) -> None:
    db = StateDB(state_url)
    first = SourceLease(db, "tinh-csv")
    first.acquire()
    with pytest.raises(SourceBusy, match=r"tinh-csv.*being synced by another run") as info:
        SourceLease(db, "tinh-csv").acquire()
    assert info.value.owner == first.owner
    # another source is independent
    other = SourceLease(db, "tinh-api")
    other.acquire()
    other.release()
    first.release()
    again = SourceLease(db, "tinh-csv")
    again.acquire()
    again.release()
    db.dispose()


def test_a_waiting_lease_gets_the_source_when_the_holder_finishes(state_url: str) -> None:
    db = StateDB(state_url)
    holder = SourceLease(db, "s")
    holder.acquire()
    waited: list[str] = []
    threading.Timer(0.5, holder.release).start()
    second = SourceLease(db, "s")
    second.acquire(wait=20, poll=0.1, on_wait=lambda h: waited.append(h.owner))
    assert waited == [holder.owner]
    assert second.holder() is not None and second.holder().owner == second.owner  # type: ignore[union-attr]
    second.release()
    db.dispose()


def test_a_lease_left_by_a_dead_process_is_taken_over(state_url: str) -> None:
    db = StateDB(state_url)
    dead = SourceLease(db, "s", owner="host:999999:dead")
    assert dead.try_acquire()
    with db.session() as s:
        s.execute(update(SourceLock).values(expires_at=utcnow() - timedelta(seconds=1)))
    taker = SourceLease(db, "s")
    taker.acquire()
    assert taker.holder().owner == taker.owner  # type: ignore[union-attr]
    taker.release()
    db.dispose()


def test_the_heartbeat_keeps_the_lease_and_notices_losing_it(state_url: str) -> None:
    db = StateDB(state_url)
    lease = SourceLease(db, "s", ttl=60, heartbeat=0.1)
    lease.acquire()
    first_expiry = lease.holder().expires_at  # type: ignore[union-attr]
    time.sleep(0.5)
    assert lease.holder().expires_at > first_expiry  # type: ignore[union-attr]
    with db.session() as s:
        s.execute(update(SourceLock).values(owner="someone-else"))
    deadline = time.monotonic() + 10
    while not lease.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lease.lost
    lease.release()
    db.dispose()


def test_a_lease_held_by_another_process_is_refused(state_url: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from sync.state.db import StateDB
            from sync.state.locks import SourceLease
            lease = SourceLease(StateDB({state_url!r}), "shared")
            lease.acquire()
            print("held", flush=True)
            sys.stdin.readline()
            lease.release()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        db = StateDB(state_url)
        with pytest.raises(SourceBusy):
            SourceLease(db, "shared").acquire(wait=0.5, poll=0.1)
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
        lease = SourceLease(db, "shared")
        lease.acquire()
        lease.release()
        db.dispose()
    finally:
        holder.kill()
