"""Mapping again what was read before: `stisync sync SOURCE --remap` and `quarantine retry`.

After an admin fixes a mapping file, the records it held back need not be read from the
source again (the file may have been replaced since, the provincial API may be down): the
payloads kept by the last reads (sync.raw_records) are mapped and validated with the current
mapping and then go the way every read record goes (`extract._store_chunk`): queued when
changed, counted when unchanged, kept in quarantine while still invalid. The cursor is not
touched; delivery is the run's, as after a read.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.mapping import Mapping
from schemas.mapping.legacy import SourceText
from sync.context import RunContext
from sync.extract import (
    CHUNK,
    Checked,
    ExtractResult,
    _duplicate,
    _plan_chunk,
    _store_chunk,
    check,
)
from sync.raw_records import as_source_record
from sync.state.models import QuarantineItem, QuarantineReason, RawRecord, RecordState

logger = logging.getLogger(__name__)


def remap(
    ctx: RunContext,
    mapping: Mapping,
    text: SourceText | None = None,
    *,
    keys: Collection[str] | None = None,
    retry: bool = False,
) -> ExtractResult:
    """Map the source's kept raw records again (those of `keys` only, when given) and queue
    what changed, in chunks of CHUNK, each in one transaction. With `retry`, records held back
    as rejected or dead are queued even when unchanged. Records the source no longer has are
    left out: mapping them again must not bring them back."""
    result = ExtractResult()
    text = text or SourceText()
    seen: set[str] = set()
    wanted = sorted(keys) if keys is not None else None
    moved: set[str] = set()  # new keys given by _rekey, already done when met again
    last = ""
    while not ctx.stop.is_set():
        with ctx.db.session() as s:
            rows = _next_rows(s, ctx.source, last, wanted)
            if not rows:
                break
            last = rows[-1].record_key
            rows = _still_in_source(s, ctx.source, [r for r in rows if r.record_key not in moved])
            checked = _second_copies(
                s, ctx.source, rows, [check(mapping, as_source_record(r), text) for r in rows]
            )
            ctx.counts["remapped"] += len(rows)
            if not ctx.dry_run:
                moved |= _rekey(s, ctx.source, rows, checked)
                _store_chunk(
                    s, ctx, checked, read=False, retry=wanted if retry and wanted else ()
                )
        if ctx.dry_run:  # its own session: a dry run writes nothing
            _plan_chunk(ctx, checked, seen, result)
        ctx.tick("read")
    result.complete = not ctx.stop.is_set()
    logger.info("source %s: %d kept raw record(s) mapped again%s", ctx.source,
                ctx.counts["remapped"], "" if ctx.counts["remapped"] else
                " (none kept: a read of the source keeps them)")
    return result


def _next_rows(s: Session, source: str, after: str, keys: list[str] | None) -> list[RawRecord]:
    q = select(RawRecord).where(RawRecord.source == source, RawRecord.record_key > after)
    if keys is not None:
        q = q.where(RawRecord.record_key.in_(keys))
    return list(s.scalars(q.order_by(RawRecord.record_key).limit(CHUNK)))


def _still_in_source(s: Session, source: str, rows: list[RawRecord]) -> list[RawRecord]:
    """`rows` less the records their source reported deleted or a full read no longer found."""
    ids = [r.local_id for r in rows if r.local_id]
    if not ids:
        return rows
    gone = set(
        s.scalars(
            select(RecordState.local_id).where(
                RecordState.source == source,
                RecordState.local_id.in_(ids),
                RecordState.missing_since.is_not(None),
            )
        )
    )
    return [r for r in rows if r.local_id not in gone]


def _second_copies(
    s: Session, source: str, rows: list[RawRecord], checked: list[Checked]
) -> list[Checked]:
    """`checked`, where a kept row that now maps to the key another kept record holds (the
    second copy of a record id, kept by its place) stays a duplicate, as a read finds it."""
    return [
        _duplicate(c, set(), earlier=True)
        if c.local_id and c.key != row.record_key and s.get(RawRecord, (source, c.key))
        else c
        for row, c in zip(rows, checked, strict=True)
    ]


def _rekey(s: Session, source: str, rows: list[RawRecord], checked: list[Checked]) -> set[str]:
    """A record whose key the new mapping changes (a row without a usable id that now has
    one, a new namespace) is kept under its new key; its old "invalid" entry goes, since the
    record is checked again under the new key. Returns the new keys."""
    moved = set()
    for row, c in zip(rows, checked, strict=True):
        if c.key == row.record_key or s.get(RawRecord, (source, c.key)) is not None:
            continue
        old = s.get(QuarantineItem, (source, row.record_key))
        if old is not None and old.reason is QuarantineReason.INVALID:
            s.delete(old)
        row.record_key, row.local_id = c.key, c.local_id
        moved.add(c.key)
    return moved
