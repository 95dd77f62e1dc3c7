"""The circuit breaker of delivery: when most recent requests to the national side fail, the
run stops sending — everything left stays in the outbox — instead of hammering a struggling
server; and the run after one that ended so sends one record first, and full batches only
once that got through.

Within a run, every request counts, retries included (the national client reports each one:
sync.national `RequestWatch`): the circuit opens after `failures` failures in a row, or when
more than half of the last `WINDOW` failed. A failure is a transient one (5xx, 429, a timeout,
a cut connection); a refusal of the request itself (400, 422) is an answer. Once open, no
request is sent or retried for the rest of the run.

A record the national side fails on by itself (sync.deliver sends a failed batch's records
one at a time) must not be taken for a failing side: when the request just before it got an
answer, its failures are forgiven (`forgive`) once it has given up, and the run goes on with
the other records.

Between runs nothing of its own is stored: the runs table says how the last run that spoke
with the national side ended. Its error names the national failure with `national_kind`,
and a run after one whose national side was unavailable or failing starts with the probe.
The national side is one for every source, so the last run of any source counts.
"""

from __future__ import annotations

import logging
from collections import deque

from sqlalchemy import select

from sync.national import CircuitOpen, NationalError, TransientError
from sync.state.db import StateDB
from sync.state.models import Run

logger = logging.getLogger(__name__)

FAILURES = 5  # failed requests in a row that open the circuit ([national] circuit_failures)
WINDOW = 50  # ... or more than half of this many recent requests
PROBE = 1  # records in the first batch after a run the national side failed

# How a run's error names a national failure (sync.runner); read back by `backed_off`.
UNAVAILABLE = "national API unavailable"  # a call outlasted its retries, or the run's budget
FAILING = "national API failing"  # the circuit opened
# Counts of records the national side answered for (sync.context): a run with any of them
# found the side working.
_ANSWERED = ("created", "updated", "deleted", "rejected")
_LOOK_BACK = 200  # finished runs read to find the last that learnt something


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
    found it unavailable or failing: then the next delivery probes first. A run learnt that
    the side answers when it delivered something; one that had nothing to send, or failed
    before sending, says nothing either way."""
    with db.session() as s:
        recent = s.execute(
            select(Run.error, Run.counts)
            .where(Run.finished_at.is_not(None))
            .order_by(Run.finished_at.desc(), Run.id.desc())
            .limit(_LOOK_BACK)
        ).all()
    for error, counts in recent:
        if error and (f"{UNAVAILABLE}:" in error or f"{FAILING}:" in error):
            return True
        if any((counts or {}).get(k) for k in _ANSWERED):
            return False
    return False


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
        self.last_answered = False  # whether the latest request got an answer

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
        self.last_answered = error is None
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
            why_vi = f"{self.consecutive} yêu cầu liên tiếp thất bại"
        elif len(self.recent) == self.recent.maxlen and failed * 2 > len(self.recent):
            why = f"{failed} of the last {len(self.recent)} requests failed"
            why_vi = f"{failed} trong {len(self.recent)} yêu cầu gần nhất thất bại"
        else:
            return
        self.open = CircuitOpen(
            f"circuit open after {why}: nothing more is sent this run (last failure: {error})",
            last=error,
            text_vi=f"tạm ngừng gửi vì {why_vi}: lần chạy này không gửi thêm gì (lỗi cuối: "
            f"{error.text('vi')})",
        )
        logger.error("national API: %s", self.open)

    def refusal(self) -> CircuitOpen | None:
        return self.open

    def forgive(self) -> None:
        """The failures since the last answer were one record's, not the national side's
        (sync.deliver knows): they leave the count, and a circuit they opened closes."""
        while self.recent and not self.recent[-1]:
            self.recent.pop()
        if self.open is not None:
            logger.info("national API: the failures were one record's; the circuit closes again")
        self.consecutive, self.open = 0, None
