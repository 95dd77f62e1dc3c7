"""Retention: old runs with their per-record events, and old raw payloads, deleted in small
transactions.

A daemon that runs every hour for years would otherwise grow its state database without end.
Pruning never takes a long lock: it deletes at most `BATCH` rows per transaction, so that a
sync waiting for the database (SQLite has one writer at a time) waits a moment, not minutes.

What is never deleted: a run still running, and a run that a pending outbox item, a quarantine
entry, a kept raw payload or an unacknowledged sync report refers to (their foreign keys);
the raw payloads of records still in quarantine (`stisync quarantine retry` maps them again).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Exists, Select, delete, exists, func, or_, select, tuple_, union
from sqlalchemy.orm import aliased

from sync.config import RetentionConfig
from sync.state.db import StateDB, rowcount
from sync.state.models import (
    OutboxItem,
    PendingReport,
    QuarantineItem,
    RawRecord,
    RecordEvent,
    Run,
    RunStatus,
    utcnow,
)

logger = logging.getLogger(__name__)

BATCH = 5000  # rows per transaction
_RUNS_PER_ROUND = 500  # runs whose events are deleted before the runs themselves


@dataclass
class Pruned:
    """What a prune deleted (or, in a dry run, would delete)."""

    runs: int = 0
    events: int = 0
    raw: int = 0
    dry_run: bool = False
    runs_before: datetime | None = None  # the cut-offs, for the message
    raw_before: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _old_runs(before: datetime, raw_before: datetime) -> Select[Any]:
    """Runs started before `before` that nothing refers to once the raw payloads older than
    `raw_before` are gone (they go first: a dry run and a real one count the same)."""
    raw = aliased(RawRecord)
    referenced = union(
        select(OutboxItem.run_id),
        select(QuarantineItem.run_id),
        select(raw.run_id).where(or_(raw.fetched_at >= raw_before, _held(raw))),
        select(PendingReport.run_id),
    )
    # correlate(None): used inside statements on `runs` itself, it must keep its own FROM.
    return (
        select(Run.id)
        .where(
            Run.started_at < before,
            Run.status != RunStatus.RUNNING,
            Run.id.not_in(referenced.scalar_subquery()),
        )
        .correlate(None)
    )


def _held(raw: Any) -> Exists:
    """Whether the record of a raw payload is in quarantine (its payload is then kept)."""
    return exists().where(
        QuarantineItem.source == raw.source, QuarantineItem.record_key == raw.record_key
    )


def _stale_raw(before: datetime, limit: int | None = None) -> Select[Any]:
    """The keys of raw payloads not read since `before` whose records are not held back."""
    raw = aliased(RawRecord)
    q = select(raw.source, raw.record_key).where(raw.fetched_at < before, ~_held(raw))
    # cast: SQLAlchemy 2.0 and 2.1 spell the type of a two-column statement differently.
    return cast("Select[Any]", q.limit(limit) if limit else q)


def prune(
    db: StateDB,
    retention: RetentionConfig,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch: int = BATCH,
    pause: float = 0.0,
) -> Pruned:
    """Delete runs (with their events) older than `retention.runs_days` and raw payloads not
    read for `retention.raw_days`, `batch` rows per transaction, sleeping `pause` seconds
    between transactions. With `dry_run`, count them and delete nothing."""
    now = now or utcnow()
    out = Pruned(
        dry_run=dry_run,
        runs_before=now - timedelta(days=retention.runs_days),
        raw_before=now - timedelta(days=retention.raw_days),
    )
    assert out.runs_before is not None and out.raw_before is not None
    if dry_run:
        with db.session() as s:
            old = _old_runs(out.runs_before, out.raw_before).scalar_subquery()
            out.runs = s.scalar(select(func.count()).where(Run.id.in_(old))) or 0
            out.events = (
                s.scalar(select(func.count()).where(RecordEvent.run_id.in_(old))) or 0
            )
            out.raw = s.scalar(select(func.count()).select_from(
                _stale_raw(out.raw_before).subquery())) or 0
        return out
    _prune_raw(db, out, batch, pause)
    _prune_runs(db, out, batch, pause)
    if out.runs or out.events or out.raw:
        logger.info(
            "retention: deleted %d run(s) started before %s with %d record event(s), and %d raw "
            "payload(s) not read since %s",
            out.runs, out.runs_before.date(), out.events, out.raw, out.raw_before.date(),
        )
    return out


def _prune_runs(db: StateDB, out: Pruned, batch: int, pause: float) -> None:
    assert out.runs_before is not None and out.raw_before is not None
    old = _old_runs(out.runs_before, out.raw_before)
    while True:
        with db.session() as s:
            ids = list(s.scalars(old.order_by(Run.id).limit(_RUNS_PER_ROUND)))
        if not ids:
            return
        # Events first (they refer to their run), a batch per transaction.
        while True:
            with db.session() as s:
                some = (
                    select(RecordEvent.id)
                    .where(RecordEvent.run_id.in_(ids))
                    .limit(batch)
                    .correlate(None)
                )
                n = rowcount(
                    s.execute(
                        delete(RecordEvent).where(RecordEvent.id.in_(some.scalar_subquery())),
                        execution_options={"synchronize_session": False},
                    )
                )
            out.events += n
            if n < batch:
                break
            time.sleep(pause)
        with db.session() as s:
            # Asked again: a run that became referenced meanwhile is kept (its events are
            # gone, which only shortens its log).
            out.runs += rowcount(
                s.execute(
                    delete(Run).where(Run.id.in_(ids), Run.id.in_(old.scalar_subquery())),
                    execution_options={"synchronize_session": False},
                )
            )
        time.sleep(pause)


def _prune_raw(db: StateDB, out: Pruned, batch: int, pause: float) -> None:
    assert out.raw_before is not None
    while True:
        with db.session() as s:
            n = rowcount(
                s.execute(
                    delete(RawRecord).where(
                        tuple_(RawRecord.source, RawRecord.record_key).in_(
                            _stale_raw(out.raw_before, batch)
                        )
                    ),
                    execution_options={"synchronize_session": False},
                )
            )
        out.raw += n
        if n < batch:
            return
        time.sleep(pause)


def prune_job(config_path: str) -> None:
    """The daemon's daily job (scheduled by reference, with a primitive argument). Never
    raises: a failed prune is logged and tried again the next day."""
    from sync.config import load_config

    try:
        config = load_config(config_path)
        db = StateDB(config.state_url)
        try:
            prune(db, config.retention, pause=0.05)
        finally:
            db.dispose()
    except Exception:
        logger.exception("retention: pruning the state database failed; trying again tomorrow")
