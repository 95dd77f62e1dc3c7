"""Reading the sync logs back: runs, per-record outcomes, quarantine, per-source status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from sync.state.db import StateDB
from sync.state.models import (
    OutboxItem,
    QuarantineItem,
    QuarantineReason,
    RecordEvent,
    RecordState,
    Run,
    RunStatus,
)


def _iso(dt: datetime | None) -> datetime | None:
    # Kept as aware datetimes: the CLI shows them in the configured time zone.
    return dt


def run_row(run: Run) -> dict[str, Any]:
    return {
        "run": run.id,
        "source": run.source,
        "trigger": run.trigger.value,
        "status": run.status.value,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "counts": dict(run.counts or {}),
        "error": run.error,
        "error_vi": run.error_vi,  # None on runs recorded before it was kept
        "report_id": run.report_id,
        "run_uid": run.run_uid,
    }


def runs(
    db: StateDB,
    *,
    source: str | None = None,
    since: datetime | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    q = select(Run).order_by(Run.id.desc()).limit(limit)
    if source:
        q = q.where(Run.source == source)
    if since:
        q = q.where(Run.started_at >= since)
    if status:
        q = q.where(Run.status == RunStatus(status))
    with db.session() as s:
        return [run_row(r) for r in s.scalars(q)]


def run_detail(db: StateDB, run_id: int) -> dict[str, Any] | None:
    with db.session() as s:
        run = s.get(Run, run_id)
        if run is None:
            return None
        events = [
            {
                "local_id": e.local_id,
                "record_id": e.record_id,
                "outcome": e.outcome.value,
                "content_hash": e.content_hash,
                "where": e.where,
                "problems": e.problems or [],
            }
            for e in s.scalars(
                select(RecordEvent).where(RecordEvent.run_id == run_id).order_by(RecordEvent.id)
            )
        ]
        return {**run_row(run), "records": events}


def quarantine(db: StateDB, *, source: str | None = None) -> list[dict[str, Any]]:
    q = select(QuarantineItem).order_by(QuarantineItem.source, QuarantineItem.first_at)
    if source:
        q = q.where(QuarantineItem.source == source)
    with db.session() as s:
        return [
            {
                "source": i.source,
                "local_id": i.local_id,
                "record_id": i.record_id,
                "reason": i.reason.value,
                "where": i.where,
                "problems": i.problems,
                "since": _iso(i.first_at),
                "last_seen": _iso(i.last_at),
                "attempts": i.attempts,
                "run": i.run_id,
                "key": i.record_key,  # what `quarantine show` and `retry` take
            }
            for i in s.scalars(q)
        ]


def source_status(db: StateDB, sources: list[str]) -> list[dict[str, Any]]:
    rows = []
    with db.session() as s:
        for name in sources:
            last = s.scalar(select(Run).where(Run.source == name).order_by(Run.id.desc()).limit(1))

            def count(model: type[OutboxItem] | type[QuarantineItem], name: str = name) -> int:
                q = select(func.count()).select_from(model).where(model.source == name)
                return s.scalar(q) or 0

            delivered = (
                s.scalar(
                    select(func.count())
                    .select_from(RecordState)
                    .where(RecordState.source == name, RecordState.delivered_hash.is_not(None))
                )
                or 0
            )
            dead = (
                s.scalar(
                    select(func.count())
                    .select_from(QuarantineItem)
                    .where(
                        QuarantineItem.source == name,
                        QuarantineItem.reason == QuarantineReason.DEAD,
                    )
                )
                or 0
            )
            rows.append(
                {
                    "source": name,
                    "last_run": last.id if last else None,
                    "last_status": last.status.value if last else None,
                    "last_started": _iso(last.started_at) if last else None,
                    "last_counts": dict(last.counts or {}) if last else {},
                    "last_error": last.error if last else None,
                    "delivered": delivered,
                    "pending": count(OutboxItem),
                    "quarantined": count(QuarantineItem) - dead,
                    "dead": dead,  # sent no more until `quarantine retry`
                }
            )
    return rows
