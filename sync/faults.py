"""Crash points: named places in a run where a test may have this process killed outright.

The crash-matrix tests (tests/test_crash_matrix.py) kill `stisync sync` and the daemon at each
of these points, as a power cut or `kill -9` would, and then check that the next run loses
nothing and doubles nothing. A point is armed only by the test-only environment variable
STISYNC_TEST_CRASH="point:nth": the nth time this process reaches `point`, it sends itself
SIGKILL. No `finally`, no atexit, no flush of the state database happens after that.

Unarmed (the variable unset, as it always is in production), `reach()` is one comparison
with None: the points cost nothing measurable, even inside the per-record loops.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

ENV = "STISYNC_TEST_CRASH"

# Where each point is and how often it is reached in a run.
POINTS = {
    # sync.extract: per record queued in the outbox, before its chunk is committed
    "extract.after_outbox_insert": "a record's outbox row is added, its chunk not yet committed",
    # sync.extract: per chunk of source records
    "extract.after_commit": "a chunk's outbox rows (and the cursor, with the last) are committed",
    # sync.deliver: per batch
    "deliver.after_claim": "a batch is taken from the outbox, nothing sent yet",
    "deliver.before_http": "the batch's request is about to be sent",
    "deliver.after_http": "the national side answered; the outbox rows are not marked yet",
    "deliver.after_mark": "the batch's outcomes are committed and its outbox rows removed",
    # sync.runner: once per run
    "runner.before_finish": "delivery is over; the run row is not finished yet",
    # scheduler: every half second of the daemon's main loop, while jobs run on its threads
    "daemon.tick": "the daemon is waiting while its scheduled runs work on other threads",
}


class _Armed:
    """The one point this process dies at, and how many times it has been reached so far."""

    def __init__(self, point: str, nth: int) -> None:
        self.point = point
        self.nth = nth
        self.hits = 0
        self.lock = threading.Lock()

    def hit(self, point: str) -> None:
        if point not in POINTS:
            raise ValueError(f"{point!r} is not a crash point of sync.faults")
        if point != self.point:
            return
        with self.lock:
            self.hits += 1
            if self.hits != self.nth:
                return
        sys.stderr.write(f"{ENV}: killing process {os.getpid()} at {point} (hit {self.nth})\n")
        sys.stderr.flush()
        # SIGKILL where it exists; Windows has none, and its os.kill terminates at once anyway.
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def parse(value: str | None) -> _Armed | None:
    """The armed point of a STISYNC_TEST_CRASH value ("point:nth", nth from 1), or None when
    the value is unset or empty. A malformed value is refused: a test that meant to crash
    must not quietly run to the end."""
    if not value:
        return None
    point, sep, nth = value.rpartition(":")
    if not sep or point not in POINTS or not nth.isdigit() or int(nth) < 1:
        raise ValueError(
            f"{ENV}={value!r}: expected POINT:N (N from 1), POINT one of {', '.join(POINTS)}"
        )
    return _Armed(point, int(nth))


_armed = parse(os.environ.get(ENV))


def reach(point: str) -> None:
    """Mark that this process reached `point`; dies here when the test armed it."""
    if _armed is None:
        return
    _armed.hit(point)
