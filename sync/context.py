"""What one run carries through its stages: the state database, the run row, counts, a stop flag."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sync.state.db import StateDB
from sync.state.models import Run, RunStatus, Trigger, utcnow

# Counts kept per run. "invalid" were held back locally, "rejected" refused by the national
# side, "held" are quarantined records whose content did not change since they were refused,
# "queued" wait in the outbox, "failed" could not be delivered this run.
COUNT_KEYS = (
    "fetched",
    "created",
    "updated",
    "unchanged",
    "deleted",
    "queued",
    "invalid",
    "rejected",
    "held",
    "failed",
    "gone",
)

ProgressFn = Callable[[str, Counter[str]], None]


@dataclass
class RunContext:
    db: StateDB
    source: str
    run_id: int | None  # None in a dry run: nothing is written
    started_at: datetime | None = None  # set for a real run: duplicates are found by it
    stop: threading.Event = field(default_factory=threading.Event)
    counts: Counter[str] = field(default_factory=Counter)
    progress: ProgressFn | None = None
    deletions: str = "report"  # the source's policy: "report" or "propagate"

    @property
    def dry_run(self) -> bool:
        return self.run_id is None

    def tick(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.counts)


def start_run(
    db: StateDB, source: str, trigger: Trigger, full: bool, scheduled_for: datetime | None
) -> Run:
    """A new run of `source`, recorded as running by this host and process."""
    run = Run(
        run_uid=uuid.uuid4().hex,
        source=source,
        trigger=trigger,
        status=RunStatus.RUNNING,
        full=full,
        started_at=utcnow(),
        scheduled_for=scheduled_for,
        counts={},
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    with db.session() as s:
        s.add(run)
    return run
