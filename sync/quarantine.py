"""The quarantine workflow: what an admin does about records held back.

`show` gathers everything known of one held record (its problems with column and value, the
raw payload last read, the legacy text converted in it, its delivery attempts and the runs
that met it). `retry` maps the kept raw records of held entries again with the current
mapping and queues the valid ones for the next delivery; a record the national side refused
is sent once more even if unchanged. `bury_dead` moves a record refused (or failed on alone,
sync.deliver) `dead_after` times to the dead letters: it is sent no more by itself, never
holds up the others, and leaves them only by `retry`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from schemas.mapping import MappingConfigError, load_mapping
from schemas.mapping.legacy import SourceText
from sync.config import Config, ConfigError
from sync.context import COUNT_KEYS, RunContext, start_run
from sync.raw_records import decode, shown
from sync.remap import remap
from sync.run_errors import RunError, internal_error
from sync.state.db import StateDB
from sync.state.locks import SourceBusy, SourceLease
from sync.state.models import (
    OutboxItem,
    Outcome,
    QuarantineItem,
    QuarantineReason,
    RawRecord,
    RecordEvent,
    RecordState,
    Run,
    RunStatus,
    Trigger,
    utcnow,
)

logger = logging.getLogger(__name__)

SHOWN_EVENTS = 50  # the newest events of a record that `show` lists


class NotHeld(LookupError):
    """No quarantine entry answers to `key` (within `source`, when given)."""

    def __init__(self, key: str, source: str | None):
        super().__init__(f"{key!r} is not in quarantine" + (f" of {source}" if source else ""))
        self.key, self.source = key, source


class Ambiguous(LookupError):
    """Several entries answer to `key`: `candidates` are their (source, key)."""

    def __init__(self, key: str, candidates: list[tuple[str, str]]):
        super().__init__(f"{key!r} names {len(candidates)} held records")
        self.key, self.candidates = key, candidates


def find(s: Session, key: str, source: str | None = None) -> QuarantineItem:
    """The entry `key` names: its key, its local id (`tinh-csv:NV-2023-007`) or the source's
    own record id (`NV-2023-007`). Raises NotHeld or Ambiguous."""
    q = select(QuarantineItem).where(
        or_(
            QuarantineItem.record_key == key,
            QuarantineItem.local_id == key,
            QuarantineItem.record_id == key,
        )
    )
    if source:
        q = q.where(QuarantineItem.source == source)
    found = list(s.scalars(q.order_by(QuarantineItem.source, QuarantineItem.record_key)))
    exact = [i for i in found if i.record_key == key]  # a key is never taken for another's id
    found = exact or found
    if not found:
        raise NotHeld(key, source)
    if len(found) > 1:
        raise Ambiguous(key, [(i.source, i.record_key) for i in found])
    return found[0]


def show(db: StateDB, key: str, source: str | None = None) -> dict[str, Any]:
    """Everything about one held record, as plain data (datetimes aware, in UTC)."""
    with db.session() as s:
        q = find(s, key, source)
        raw = s.get(RawRecord, (q.source, q.record_key))
        state = s.get(RecordState, (q.source, q.local_id)) if q.local_id else None
        pending = (
            s.scalar(
                select(OutboxItem).where(
                    OutboxItem.source == q.source, OutboxItem.local_id == q.local_id
                )
            )
            if q.local_id
            else None
        )
        return {
            "source": q.source,
            "key": q.record_key,
            "local_id": q.local_id,
            "record_id": q.record_id,
            "reason": q.reason.value,
            "where": q.where,
            "problems": q.problems or [],
            "originals": q.originals or {},
            "attempts": q.attempts,
            "held_since": q.first_at,
            "last_failed": q.last_at,
            "run": q.run_id,
            "first_read": state.first_seen_at if state else None,
            "last_read": state.last_seen_at if state else None,
            "delivered_at": state.delivered_at if state else None,
            "queued": None
            if pending is None
            else {
                "since": pending.created_at,
                "attempts": pending.attempts,
                "last_error": pending.last_error,
            },
            "raw": None
            if raw is None
            else {
                "payload": shown(decode(raw.payload)),
                "fetched_at": raw.fetched_at,
                "modified_at": raw.modified_at,
                "run": raw.run_id,
            },
            "runs": _history(s, q),
        }


def _history(s: Session, q: QuarantineItem) -> list[dict[str, Any]]:
    """The record's events, newest first: the runs that met it and what became of it."""
    events = select(RecordEvent, Run).join(Run, Run.id == RecordEvent.run_id)
    events = events.where(RecordEvent.source == q.source)
    if q.local_id:
        events = events.where(RecordEvent.local_id == q.local_id)
    else:  # a row without a usable id is known by its place
        events = events.where(RecordEvent.local_id.is_(None), RecordEvent.where == q.where)
    return [
        {
            "run": run.id,
            "trigger": run.trigger.value,
            "at": ev.at,
            "outcome": ev.outcome.value,
            "problems": len(ev.problems or []),
        }
        for ev, run in s.execute(events.order_by(RecordEvent.id.desc()).limit(SHOWN_EVENTS))
    ]


@dataclass
class Retried:
    """What `retry` did for one source."""

    source: str
    keys: list[str] = field(default_factory=list)  # the entries retried
    run_id: int | None = None
    status: RunStatus = RunStatus.SUCCEEDED
    counts: dict[str, int] = field(default_factory=dict)
    # Entries without a kept raw record (held before raw records were kept): a refused one
    # is sent again when the source next gives it.
    not_kept: list[str] = field(default_factory=list)
    error: str | None = None
    error_vi: str | None = None  # `error` in Vietnamese, for the admin

    def failed(self, error: RunError) -> Retried:
        self.status, self.error, self.error_vi = RunStatus.FAILED, error.en, error.vi
        return self


def retry(
    config: Config,
    db: StateDB,
    key: str | None = None,
    *,
    source: str | None = None,
    wait: float = 0.0,
) -> list[Retried]:
    """Check the held record `key` (every held record, of `source` when given, when `key` is
    None) again from its kept raw payload with the current mapping, and queue it for the
    next delivery when valid. Raises NotHeld or Ambiguous for a `key` that names no single
    entry; a source's own failure (busy, mapping, configuration) is in its Retried."""
    with db.session() as s:
        if key is not None:
            entries = [find(s, key, source)]
        else:
            q = select(QuarantineItem)
            if source:
                q = q.where(QuarantineItem.source == source)
            entries = list(s.scalars(q.order_by(QuarantineItem.source, QuarantineItem.record_key)))
    by_source: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        by_source[e.source].append(e.record_key)
    return [_retry_source(config, db, name, keys, wait) for name, keys in by_source.items()]


def _retry_source(config: Config, db: StateDB, name: str, keys: list[str],
                  wait: float) -> Retried:
    out = Retried(name, keys)
    try:
        src = config.source(name)
        mapping = load_mapping(src.mapping)
    except (ConfigError, MappingConfigError) as exc:
        return out.failed(RunError.of("configuration", exc))
    lease = SourceLease(db, name)
    try:
        lease.acquire(wait=wait)
    except SourceBusy as exc:
        return out.failed(RunError.of(None, exc))
    try:
        run = start_run(db, name, Trigger.RETRY, False, None)
        ctx = RunContext(db=db, source=name, run_id=run.id, started_at=run.started_at,
                         deletions=src.deletions)
        try:
            with db.session() as s:
                kept = set(s.scalars(select(RawRecord.record_key).where(
                    RawRecord.source == name, RawRecord.record_key.in_(keys))))
                out.not_kept = [k for k in keys if k not in kept]
                _resend_when_read(s, name, out.not_kept)
            if kept:
                remap(ctx, mapping, SourceText(src.text_encoding), keys=kept, retry=True)
            out.status = RunStatus.PARTIAL if ctx.counts["invalid"] else RunStatus.SUCCEEDED
        except Exception as exc:  # recorded on the run and shown, as a sync's defect would be
            logger.exception("run %s: retrying held records of %s failed", run.id, name)
            out.failed(internal_error(exc))
        out.counts = {k: ctx.counts.get(k, 0) for k in COUNT_KEYS}
        out.counts.update({k: v for k, v in ctx.counts.items() if k not in out.counts})
        with db.session() as s:
            row = s.get(Run, run.id)
            assert row is not None
            row.status, row.counts, row.finished_at = out.status, out.counts, utcnow()
            row.error, row.error_vi = out.error, out.error_vi
        out.run_id = run.id
        logger.info("run %s: retried %d held record(s) of %s: %s", run.id, len(keys), name,
                    " ".join(f"{k}={v}" for k, v in out.counts.items() if v))
    finally:
        lease.release()
    return out


def _resend_when_read(s: Session, source: str, keys: list[str]) -> None:
    """Entries without a kept payload cannot be mapped now: a refused or dead one is marked
    to be sent the next time the source gives it, even unchanged."""
    if not keys:
        return
    for q in s.scalars(select(QuarantineItem).where(
            QuarantineItem.source == source, QuarantineItem.record_key.in_(keys))):
        if q.reason is not QuarantineReason.INVALID:
            q.reason, q.content_hash, q.attempts = QuarantineReason.REJECTED, None, 0


def bury_dead(ctx: RunContext, dead_after: int) -> int:
    """Move the source's records refused, or failed on alone, `dead_after` times to the dead
    letters, with an event saying so; returns how many moved (also counted as "dead"). A
    failing one leaves the outbox: it is sent no more until `stisync quarantine retry`."""
    assert ctx.run_id is not None
    now = utcnow()
    with ctx.db.session() as s:
        items = list(s.scalars(select(QuarantineItem).where(
            QuarantineItem.source == ctx.source,
            QuarantineItem.reason.in_((QuarantineReason.REJECTED, QuarantineReason.FAILING)),
            QuarantineItem.attempts >= dead_after,
        )))
        failing = [q.record_key for q in items if q.reason is QuarantineReason.FAILING]
        if failing:
            s.execute(delete(OutboxItem).where(
                OutboxItem.source == ctx.source, OutboxItem.local_id.in_(failing)))
        for q in items:
            q.reason, q.last_at, q.run_id = QuarantineReason.DEAD, now, ctx.run_id
            s.add(RecordEvent(run_id=ctx.run_id, source=ctx.source, local_id=q.local_id,
                              record_id=q.record_id, outcome=Outcome.DEAD,
                              content_hash=q.content_hash, where=q.where, problems=q.problems,
                              at=now, originals=q.originals))
    if items:
        ctx.counts["dead"] += len(items)
        ctx.counts["queued"] = max(0, ctx.counts["queued"] - len(failing))
        logger.warning(
            "source %s: %d record(s) failed delivery %d times and are sent no more until "
            "`stisync quarantine retry`: %s", ctx.source, len(items), dead_after,
            ", ".join(q.record_key for q in items[:10]),
        )
    return len(items)
