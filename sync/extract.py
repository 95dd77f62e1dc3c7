"""Fetch → map → validate → hash → compare → outbox: the first half of a run.

Records are handled in chunks; each chunk's outbox rows, quarantine entries and events are
committed together, and the source cursor moves in the same transaction as the last chunk, so a
crash never advances the cursor past a record that was not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectors import Connector, SourceRecord
from schemas.canonical import content_hash
from schemas.mapping import Mapping, map_record
from schemas.mapping.legacy import SourceText
from schemas.mapping.transforms.ids import local_id as make_local_id
from schemas.problems import Problem
from schemas.validate import validate
from sync import faults
from sync.backfill import Backfill
from sync.context import RunContext
from sync.deletions import record_gone, sweep_absent
from sync.raw_records import forget as forget_raw
from sync.raw_records import keep as keep_raw
from sync.state.db import rowcount
from sync.state.models import (
    OutboxItem,
    Outcome,
    QuarantineItem,
    QuarantineReason,
    RecordEvent,
    RecordState,
    SourceCursor,
    utcnow,
)

logger = logging.getLogger(__name__)

CHUNK = 500
# The dates the mapper chooses field.scheme by (schemas.mapping.mapper `field_scheme`).
_SCHEME_DATES = frozenset({"approval.decision_date", "start_date"})


@dataclass(frozen=True)
class Planned:
    """A record that the run would send, and why (shown by --dry-run)."""

    local_id: str
    action: str  # "create" | "update" | "hold" | "delete" | "report gone"
    reason: str  # English; a held record's reasons are its `problems`, in both languages
    where: str
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Checked:
    """One source record after mapping, validation and hashing."""

    source_record: SourceRecord
    record: dict[str, Any]
    local_id: str | None
    problems: list[Problem]
    content_hash: str | None
    originals: dict[str, Any] | None = None  # values converted from legacy encodings, as read

    @property
    def key(self) -> str:
        """The quarantine key: the local id, or the record's place when it has no usable id."""
        return self.local_id or f"@{self.source_record.where()}"


@dataclass
class ExtractResult:
    cursor: datetime | None = None
    planned: list[Planned] = field(default_factory=list)
    complete: bool = True  # False when stopped before the source was read to its end


def check(mapping: Mapping, rec: SourceRecord, text: SourceText | None = None) -> Checked:
    """Map, validate and hash one source record. `text` is the read's `SourceText` (the
    source's text_encoding, and the legacy encoding found so far)."""
    if rec.deleted:
        # Nothing to map: a deletion carries only its id (an OAI header, a flagged row).
        lid = make_local_id(mapping.namespace, rec.record_id) if rec.record_id.strip() else None
        return Checked(rec, {}, lid, [], None)
    if not rec.record_id.strip():
        p = Problem(
            "local_id",
            "required",
            "Dòng này không có mã hồ sơ (cột mã trống).",
            "This row has no record id (the id column is empty).",
        )
        return Checked(rec, {}, None, [p], None)
    result = map_record(mapping, rec.payload, rec.record_id, origin=rec.origin, text=text)
    problems = list(result.problems)
    # A field the mapping could not fill is then "required" for validation too (and so is the
    # object holding it, and field.scheme, chosen by the task's dates): the mapping's problem
    # (the label or date it could not read) is the one that says what to fix.
    mapped = {p.path for p in problems}
    if mapped & _SCHEME_DATES:
        mapped.add("field.scheme")
    problems += [
        p.with_source(result.sources.get(p.path))
        for p in validate(result.record)
        if not any(
            p.path == m or p.path.startswith(m + ".") or m.startswith(p.path + ".")
            for m in mapped
        )
    ]
    local_id = result.record.get("local_id")
    local_id = local_id if isinstance(local_id, str) and local_id else None
    digest = None if problems else content_hash(result.record)
    return Checked(rec, result.record, local_id, problems, digest, result.originals or None)


def _chunks(items: Iterable[SourceRecord], ctx: RunContext) -> Iterator[list[SourceRecord]]:
    """The records in lists of CHUNK; when the source fails mid-list, the records read so far
    come out first and the error on the next call, so that they are stored, not lost."""
    it = iter(items)
    while True:
        chunk: list[SourceRecord] = []
        try:
            for rec in it:
                chunk.append(rec)
                if len(chunk) >= CHUNK:
                    break
        except Exception:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk
        if ctx.stop.is_set():
            return


def problem_rows(problems: list[Problem], rec: SourceRecord) -> list[dict[str, Any]]:
    rows = []
    columns = rec.origin.get("columns") or {}
    for p in problems:
        row = p.to_dict()
        if p.source_field and p.source_field in columns:
            row["column"] = columns[p.source_field]
        rows.append(row)
    return rows


def _changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    if not old:
        return []
    keys = set(old) | set(new)
    return sorted(k for k in keys if old.get(k) != new.get(k))


def extract(
    ctx: RunContext,
    connector: Connector,
    mapping: Mapping,
    since: datetime | None,
    text: SourceText | None = None,
    *,
    backfill: Backfill | None = None,
) -> ExtractResult:
    """Read the source and queue what changed; the cursor moves with the last chunk.

    Chunks are read one ahead, so that the last one is known as last when it is stored and
    the cursor can be written in its transaction. When the source fails, the chunk already
    read is stored first (nothing collected is lost) and the cursor stays where it was.
    A `backfill` (`sync --since`, `--record`) reads what it names instead, and leaves the
    cursor and the records it did not meet alone.
    """
    result = ExtractResult()
    text = text or SourceText()
    seen: set[str] = set()  # ids met in a dry run (a real run asks the state database)
    cursor = since
    stream = (
        connector.records(since)
        if backfill is None
        else backfill.records(connector, mapping.namespace)
    )
    chunks = _chunks(stream, ctx)
    try:
        current = next(chunks, None)
        while current is not None:
            try:
                following = next(chunks, None)
            except BaseException:
                _handle(ctx, mapping, current, seen, result, text=text, cursor=None)
                raise
            for rec in current:
                if rec.modified_at is not None and (cursor is None or rec.modified_at > cursor):
                    cursor = rec.modified_at
            done = following is None and not ctx.stop.is_set() and backfill is None
            _handle(ctx, mapping, current, seen, result, text=text,
                    cursor=cursor if done else None)
            current = following
        result.complete = not ctx.stop.is_set()
        if result.complete and since is None and backfill is None:
            if ctx.dry_run:
                _plan_absent(ctx, seen, result)
            else:
                _forget_stale_problems(ctx)
                sweep_absent(ctx)
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    result.cursor = cursor
    return result


def _handle(
    ctx: RunContext,
    mapping: Mapping,
    chunk: list[SourceRecord],
    seen: set[str],
    result: ExtractResult,
    *,
    text: SourceText,
    cursor: datetime | None,
) -> None:
    checked = [check(mapping, rec, text) for rec in chunk]
    ctx.counts["fetched"] += len(chunk)
    if ctx.dry_run:
        _plan_chunk(ctx, checked, seen, result)
    else:
        with ctx.db.session() as s:
            _store_chunk(s, ctx, checked)
            if cursor is not None:
                _save_cursor(s, ctx.source, cursor)
        faults.reach("extract.after_commit")
    ctx.tick("read")


def _forget_stale_problems(ctx: RunContext) -> None:
    """After a complete full read, invalid rows this run did not meet again are gone or fixed
    (a row without an id that got one, a duplicate removed): their quarantine entries go."""
    assert ctx.started_at is not None
    with ctx.db.session() as s:
        gone = rowcount(
            s.execute(
                delete(QuarantineItem).where(
                    QuarantineItem.source == ctx.source,
                    QuarantineItem.reason == QuarantineReason.INVALID,
                    QuarantineItem.last_at < ctx.started_at,
                )
            )
        )
    if gone:
        logger.info("source %s: %d fixed or removed row(s) left quarantine", ctx.source, gone)


def _save_cursor(s: Session, source: str, cursor: datetime) -> None:
    row = s.get(SourceCursor, source)
    if row is None:
        s.add(SourceCursor(source=source, cursor=cursor, updated_at=utcnow()))
    else:
        row.cursor = cursor
        row.updated_at = utcnow()


def load_cursor(ctx: RunContext) -> datetime | None:
    with ctx.db.session() as s:
        row = s.get(SourceCursor, ctx.source)
        return row.cursor if row else None


def _duplicate(c: Checked, seen: set[str], earlier: bool = False) -> Checked:
    """`c`, or a duplicate_id problem when its id was met before in this run: in `seen`, or
    `earlier` (found in a previous chunk, as the state database remembers)."""
    if c.local_id is None or not (earlier or c.local_id in seen):
        if c.local_id:
            seen.add(c.local_id)
        return c
    p = Problem(
        "local_id",
        "duplicate_id",
        f"Mã hồ sơ {c.local_id} xuất hiện nhiều lần trong nguồn; chỉ bản đầu tiên được gửi.",
        f"Record id {c.local_id} occurs more than once in the source; only the first is sent.",
        value=c.source_record.record_id,
    )
    # Keyed by place, so that it does not overwrite the first copy's state.
    return Checked(c.source_record, c.record, None, [p], None, c.originals)


def _lookup(
    s: Session, ctx: RunContext, keys: list[str]
) -> tuple[dict[str, RecordState], dict[str, OutboxItem], dict[str, QuarantineItem]]:
    states = {
        r.local_id: r
        for r in s.scalars(
            select(RecordState).where(
                RecordState.source == ctx.source, RecordState.local_id.in_(keys)
            )
        )
    }
    pending = {
        o.local_id: o
        for o in s.scalars(
            select(OutboxItem).where(OutboxItem.source == ctx.source, OutboxItem.local_id.in_(keys))
        )
    }
    held = {
        q.record_key: q
        for q in s.scalars(
            select(QuarantineItem).where(
                QuarantineItem.source == ctx.source, QuarantineItem.record_key.in_(keys)
            )
        )
    }
    return states, pending, held


def _store_chunk(
    s: Session,
    ctx: RunContext,
    checked: list[Checked],
    *,
    read: bool = True,
    retry: Collection[str] = (),
) -> None:
    """Queue, hold back or count each checked record, in the caller's transaction. `read`:
    the records were just read from the source, and their raw payloads are kept (a remap of
    kept payloads passes False). Keys in `retry` are queued even when held back as rejected
    or dead (`stisync quarantine retry`)."""
    assert ctx.run_id is not None and ctx.started_at is not None
    now = utcnow()
    places = [f"@{c.source_record.where()}" for c in checked]
    states, pending, held = _lookup(s, ctx, [c.key for c in checked] + places)
    # A record seen in an earlier chunk of this run has last_seen_at within the run: that
    # finds duplicates without keeping every id of a 100,000-record source in memory.
    chunk: set[str] = set()
    checked = [
        _duplicate(
            c, chunk, c.local_id in states and states[c.local_id].last_seen_at >= ctx.started_at
        )
        for c in checked
    ]
    if read:
        # Kept as read, for a later remap; a record the source deleted has nothing to remap.
        keep_raw(s, ctx.source, ctx.run_id,
                 ((c.key, c.local_id, c.source_record) for c in checked
                  if not c.source_record.deleted), now)
        forget_raw(s, ctx.source, [c.local_id for c in checked
                                   if c.source_record.deleted and c.local_id])
    for c in checked:
        rec = c.source_record
        if rec.deleted and not c.problems:
            if c.local_id is not None:
                record_gone(s, ctx, states.get(c.local_id), pending.get(c.local_id),
                            where=rec.where(), record_id=rec.record_id, local_id=c.local_id,
                            now=now)
                q = held.get(c.local_id)
                if q is not None:
                    s.delete(q)
            continue
        if c.problems:
            if c.local_id is not None and c.local_id in states:
                # Still in the source, only not valid now: not to be taken for a deletion.
                states[c.local_id].last_seen_at = now
            ctx.counts["invalid"] += 1
            rows = problem_rows(c.problems, rec)
            q = held.get(c.key)
            if q is None:
                s.add(
                    QuarantineItem(
                        source=ctx.source,
                        record_key=c.key,
                        local_id=c.local_id,
                        record_id=rec.record_id,
                        reason=QuarantineReason.INVALID,
                        content_hash=None,
                        problems=rows,
                        where=rec.where(),
                        first_at=now,
                        last_at=now,
                        run_id=ctx.run_id,
                        originals=c.originals,
                    )
                )
            else:
                # Counted per reason: a record rejected once, then found invalid, starts over.
                q.attempts = q.attempts + 1 if q.reason is QuarantineReason.INVALID else 1
                q.reason, q.problems, q.where, q.last_at, q.originals = (
                    QuarantineReason.INVALID,
                    rows,
                    rec.where(),
                    now,
                    c.originals,
                )
                q.run_id = ctx.run_id
            s.add(
                RecordEvent(
                    run_id=ctx.run_id,
                    source=ctx.source,
                    local_id=c.local_id,
                    record_id=rec.record_id,
                    outcome=Outcome.INVALID,
                    content_hash=None,
                    where=rec.where(),
                    problems=rows,
                    at=now,
                    originals=c.originals,
                )
            )
            continue
        assert c.local_id is not None and c.content_hash is not None
        state = states.get(c.local_id)
        if state is None:
            state = RecordState(
                source=ctx.source,
                local_id=c.local_id,
                record_id=rec.record_id,
                first_seen_at=now,
                last_seen_at=now,
            )
            s.add(state)
        else:
            state.last_seen_at = now
            state.missing_since = None
        q = held.get(c.key)
        item = pending.get(c.local_id)
        retried = c.key in retry or (item is not None and item.content_hash == c.content_hash)
        if q is not None and not retried and _held(q, c):
            ctx.counts["held"] += 1  # refused and unchanged, or dead: not sent again by itself
            continue
        if q is not None and q.reason is QuarantineReason.DEAD and c.key in retry:
            s.delete(q)  # retried by the admin: it leaves the dead letters
            q = None
        if item is not None and item.content_hash == c.content_hash:
            ctx.counts["queued"] += 1
            continue
        if state.delivered_hash == c.content_hash:
            # Back to what the national side holds: a pending other version is withdrawn.
            ctx.counts["unchanged"] += 1
            if item is not None:
                s.delete(item)
            if q is not None:
                s.delete(q)
            continue
        if item is None:
            s.add(
                OutboxItem(
                    source=ctx.source,
                    local_id=c.local_id,
                    record_id=rec.record_id,
                    content_hash=c.content_hash,
                    record=c.record,
                    origin=dict(rec.origin),
                    run_id=ctx.run_id,
                    created_at=now,
                    originals=c.originals,
                )
            )
        else:
            # One pending version per record: the newer content replaces the one not yet sent,
            # so versions of a record can never arrive out of order.
            item.content_hash, item.record, item.run_id = c.content_hash, c.record, ctx.run_id
            item.origin, item.created_at, item.record_id = dict(rec.origin), now, rec.record_id
            item.originals = c.originals
        ctx.counts["queued"] += 1
        faults.reach("extract.after_outbox_insert")


def _held(q: QuarantineItem, c: Checked) -> bool:
    """Whether a valid record stays held back: refused by the national side and unchanged
    since, or dead (sent no more until an admin retries it)."""
    if q.reason is QuarantineReason.DEAD:
        return True
    return q.reason is QuarantineReason.REJECTED and q.content_hash == c.content_hash


def _plan_gone(ctx: RunContext, result: ExtractResult, lid: str, why: str, where: str) -> None:
    action = "delete" if ctx.deletions == "propagate" else "report gone"
    ctx.counts["gone"] += 1
    result.planned.append(Planned(lid, action, why, where))


def _plan_absent(ctx: RunContext, seen: set[str], result: ExtractResult) -> None:
    """A dry run's view of the sweep: delivered records this full read did not meet."""
    with ctx.db.session() as s:
        for lid in s.scalars(
            select(RecordState.local_id).where(
                RecordState.source == ctx.source,
                RecordState.delivered_hash.is_not(None),
                RecordState.missing_since.is_(None),
            )
        ):
            if lid not in seen:
                _plan_gone(ctx, result, lid, "absent from the source", "")


def _plan_chunk(
    ctx: RunContext, checked: list[Checked], seen: set[str], result: ExtractResult
) -> None:
    with ctx.db.session() as s:
        checked = [_duplicate(c, seen) for c in checked]
        states, _pending, held = _lookup(s, ctx, [c.key for c in checked])
        for c in checked:
            where = c.source_record.where()
            if c.source_record.deleted and not c.problems:
                state = states.get(c.local_id) if c.local_id else None
                if state is not None and state.delivered_hash is not None:
                    _plan_gone(ctx, result, state.local_id, "the source reports it deleted", where)
                continue
            if c.problems:
                ctx.counts["invalid"] += 1
                reasons = "; ".join(p.message("en") for p in c.problems[:3])
                result.planned.append(
                    Planned(c.key, "hold", reasons, where, tuple(c.problems[:3]))
                )
                continue
            assert c.local_id is not None
            state = states.get(c.local_id)
            q = held.get(c.key)
            if q is not None and _held(q, c):
                ctx.counts["held"] += 1
                continue
            if state is not None and state.delivered_hash == c.content_hash:
                ctx.counts["unchanged"] += 1
                continue
            ctx.counts["queued"] += 1
            if state is None or state.delivered_hash is None:
                result.planned.append(Planned(c.local_id, "create", "new record", where))
            else:
                fields = _changed_fields(state.delivered_record, c.record)
                reason = "changed: " + ", ".join(fields) if fields else "content changed"
                result.planned.append(Planned(c.local_id, "update", reason, where))
