"""The circuit breaker of delivery: when most recent requests to the national side fail, the
run stops sending — everything left stays in the outbox — instead of hammering a struggling
server; and the run after one that ended so sends one record first, and full batches only
once that got through.

Within a run, every request counts, retries included (the national client reports each one:
sync.national `RequestWatch`): the circuit opens after `failures` failures in a row, or when
more than half of the last `WINDOW` failed. A failure is a transient one (5xx, 429, a timeout,
a cut connection); a refusal of the request itself (400, 422) is an answer. Once open, no
request is sent or retried for the rest of the run.

Between runs nothing of its own is stored: the runs table says how the last run that spoke
with the national side ended. Its error names the national failure with `national_kind`,
and a run after one whose national side was unavailable or failing starts with the probe.
The national side is one for every source, so the last run of any source counts.
"""

from __future__ import annotations

import logging
from collections import deque

from sqlalchemy import or_, select

from sync.national import CircuitOpen, NationalError, TransientError
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus

logger = logging.getLogger(__name__)

FAILURES = 5  # failed requests in a row that open the circuit ([national] circuit_failures)
WINDOW = 50  # ... or more than half of this many recent requests
PROBE = 1  # records in the first batch after a run the national side failed

# How a run's error names a national failure (sync.runner); read back by `backed_off`.
UNAVAILABLE = "national API unavailable"  # a call outlasted its retries, or the run's budget
FAILING = "national API failing"  # the circuit opened
_DELIVERED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


def national_kind(exc: NationalError) -> str:
    """The words a run's error opens with for a national failure: `FAILING` when the circuit
    opened, `UNAVAILABLE` for a transient failure that outlasted the retries, else
    "national API" (an answer about our request or our credentials: no reason to back off)."""
    if isinstance(exc, CircuitOpen):
        return FAILING
    if isinstance(exc, TransientError):
        return UNAVAILABLE
    return "national API"


def backed_off(db: StateDB) -> bool:
    """Whether the last finished run that learnt something of the national side (any source)
    found it unavailable or failing: then the next delivery probes first."""
    with db.session() as s:
        last = s.execute(
            select(Run.status)
            .where(
                Run.finished_at.is_not(None),
                or_(
                    Run.status.in_(_DELIVERED),
                    Run.error.contains(f"{UNAVAILABLE}:"),
                    Run.error.contains(f"{FAILING}:"),
                ),
            )
            .order_by(Run.finished_at.desc(), Run.id.desc())
            .limit(1)
        ).first()
    return last is not None and last.status not in _DELIVERED


class CircuitBreaker:
    """One run's breaker; a `RequestWatch` for its national client."""

    def __init__(
        self, *, probing: bool = False, failures: int = FAILURES, window: int = WINDOW
    ) -> None:
        self.probing = probing
        self.failures = failures
        self.recent: deque[bool] = deque(maxlen=window)  # True: the request got an answer
        self.consecutive = 0
        self.open: CircuitOpen | None = None

    def resume(self, db: StateDB) -> None:
        """Before delivery: half open (probing) when the last run backed off."""
        self.probing = backed_off(db)
        if self.probing:
            logger.info(
                "the national side was unavailable or failing in the last run: sending %d "
                "record first, full batches once it gets through",
                PROBE,
            )

    def batch_size(self, size: int) -> int:
        """How many records the next batch may hold."""
        return min(size, PROBE) if self.probing else size

    def answered(self, error: NationalError | None) -> None:
        self.recent.append(error is None)
        if error is None:
            self.consecutive = 0
            if self.probing:
                logger.info("the national side answered the probe: back to full batches")
                self.probing = False
            return
        self.consecutive += 1
        if self.open is not None:
            return
        failed = self.recent.count(False)
        if self.consecutive >= self.failures:
            why = f"{self.consecutive} failed requests in a row"
        elif len(self.recent) == self.recent.maxlen and failed * 2 > len(self.recent):
            why = f"{failed} of the last {len(self.recent)} requests failed"
        else:
            return
        self.open = CircuitOpen(
            f"circuit open after {why}: nothing more is sent this run (last failure: {error})",
            last=error,
        )
        logger.error("national API: %s", self.open)

    def refusal(self) -> CircuitOpen | None:
        return self.open
