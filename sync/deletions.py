"""Records that left their source: reported, or withdrawn from the national database, with a
guard against deleting a large share of a source by mistake (a truncated export, a wrong view)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.context import RunContext
from sync.state.models import (
    Operation,
    OutboxItem,
    Outcome,
    RecordEvent,
    RecordState,
    utcnow,
)

logger = logging.getLogger(__name__)

REPORT, PROPAGATE = "report", "propagate"
SWEEP_CHUNK = 500


def record_gone(
    s: Session,
    ctx: RunContext,
    state: RecordState | None,
    item: OutboxItem | None,
    *,
    where: str | None,
    record_id: str,
    local_id: str,
    now: datetime,
) -> None:
    """The source says (or shows, by its absence) that `local_id` no longer exists."""
    if state is not None:
        state.last_seen_at = now
    if state is None or state.delivered_hash is None:
        # Never reached the national side: there is nothing to withdraw, only a wait to cancel.
        if item is not None:
            s.delete(item)
        return
    if state.missing_since is not None and (ctx.deletions == REPORT or item is not None):
        return  # already reported, or its withdrawal already queued
    state.missing_since = state.missing_since or now
    if ctx.deletions == REPORT:
        ctx.counts["gone"] += 1
        s.add(_event(ctx, local_id, record_id, Outcome.GONE, where=where, now=now))
        return
    if item is None:
        s.add(
            OutboxItem(
                source=ctx.source,
                local_id=local_id,
                record_id=record_id,
                op=Operation.DELETE,
                content_hash="",
                record={},
                origin=None,
                run_id=ctx.run_id,
                created_at=now,
            )
        )
    else:
        assert ctx.run_id is not None
        item.op, item.content_hash, item.record = Operation.DELETE, "", {}
        item.run_id = ctx.run_id
    ctx.counts["queued"] += 1


def sweep_absent(ctx: RunContext) -> int:
    """After a complete full read: delivered records the run did not meet are gone."""
    assert ctx.started_at is not None
    found = 0
    last = ""
    while True:
        with ctx.db.session() as s:
            rows = list(
                s.scalars(
                    select(RecordState)
                    .where(
                        RecordState.source == ctx.source,
                        RecordState.delivered_hash.is_not(None),
                        RecordState.missing_since.is_(None),
                        RecordState.last_seen_at < ctx.started_at,
                        RecordState.local_id > last,
                    )
                    .order_by(RecordState.local_id)
                    .limit(SWEEP_CHUNK)
                )
            )
            if not rows:
                return found
            pending = {
                o.local_id: o
                for o in s.scalars(
                    select(OutboxItem).where(
                        OutboxItem.source == ctx.source,
                        OutboxItem.local_id.in_([r.local_id for r in rows]),
                    )
                )
            }
            now = utcnow()
            for state in rows:
                record_gone(
                    s, ctx, state, pending.get(state.local_id), where="absent from a full read",
                    record_id=state.record_id, local_id=state.local_id, now=now,
                )
                # record_gone marks it seen; absence is not a sighting
                state.last_seen_at = state.missing_since or now
            found += len(rows)
            last = rows[-1].local_id


def mass_delete_guard(ctx: RunContext, share: float) -> tuple[str, str] | None:
    """Why the pending withdrawals must wait for --allow-mass-delete, in English (the run's
    error, as the national agency reads it) and in Vietnamese (the admin's); None when they
    need not."""
    with ctx.db.session() as s:
        deletes = s.scalar(
            select(func.count()).select_from(OutboxItem).where(
                OutboxItem.source == ctx.source, OutboxItem.op == Operation.DELETE
            )
        ) or 0
        held = s.scalar(
            select(func.count()).select_from(RecordState).where(
                RecordState.source == ctx.source, RecordState.delivered_hash.is_not(None)
            )
        ) or 0
    if deletes == 0 or deletes <= share * held:
        return None
    source, part = ctx.source, f"{deletes / max(held, 1):.0%}"
    command = f"`stisync sync {source} --allow-mass-delete`"
    return (
        f"this run would delete {deletes} of the {held} records of source {source} in the "
        f"national database ({part}, more than the {share:.0%} allowed by "
        f"mass_delete_share); nothing was deleted. If that is right, run {command}",
        f"lượt chạy này sẽ xoá {deletes} trong số {held} bản ghi của nguồn {source} khỏi CSDL "
        f"quốc gia ({part}, nhiều hơn tỉ lệ {share:.0%} mà mass_delete_share cho phép); chưa "
        f"xoá bản ghi nào. Nếu đúng là cần xoá, hãy chạy {command}",
    )


def _event(ctx: RunContext, local_id: str, record_id: str, outcome: Outcome, *,
           where: str | None, now: datetime) -> RecordEvent:
    assert ctx.run_id is not None
    return RecordEvent(run_id=ctx.run_id, source=ctx.source, local_id=local_id,
                       record_id=record_id, outcome=outcome, content_hash=None, where=where,
                       problems=None, at=now)


def deleted_event(ctx: RunContext, item: OutboxItem, now: datetime) -> RecordEvent:
    return _event(ctx, item.local_id, item.record_id, Outcome.DELETED, where=None, now=now)
