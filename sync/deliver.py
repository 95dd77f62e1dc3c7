"""Outbox → national API: batches, the per-record fallback, outcomes and quarantine."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connectors.base import describe_origin
from sync import faults
from sync.breaker import CircuitBreaker
from sync.config import NationalConfig
from sync.context import RunContext
from sync.deletions import deleted_event
from sync.national import (
    AuthFailed,
    BatchRefused,
    ClientCredentials,
    NationalClient,
    NationalError,
    PermanentError,
    RetryPolicy,
    RunBudget,
    StaticToken,
    WriteResult,
    WriteStatus,
)
from sync.state.models import (
    Operation,
    OutboxItem,
    Outcome,
    QuarantineItem,
    QuarantineReason,
    RecordEvent,
    RecordState,
    utcnow,
)

logger = logging.getLogger(__name__)

_RECORD_STATUSES = (400, 413)
_OUTCOME = {
    WriteStatus.CREATED: Outcome.CREATED,
    WriteStatus.UPDATED: Outcome.UPDATED,
    WriteStatus.UNCHANGED: Outcome.UNCHANGED,
    WriteStatus.REJECTED: Outcome.REJECTED,
}


def make_client(
    national: NationalConfig, province: str, *, policy: RetryPolicy | None = None
) -> NationalClient:
    """The client of one run (or command): its calls retried within `policy` (the configured
    one by default) and, with the configured policy, within the run's retry budget and
    watched by a circuit breaker."""
    auth: ClientCredentials | StaticToken
    if national.auth == "token":
        assert national.token is not None
        auth = StaticToken(national.token.value())
    else:
        assert national.client_id is not None and national.client_secret is not None
        auth = ClientCredentials(
            national.token_url, national.client_id, national.client_secret.value()
        )
    budget, watch = None, None
    if policy is None:
        policy = RetryPolicy(
            max_attempts=national.max_attempts,
            max_total_seconds=national.max_retry_seconds,
            max_retry_after=national.max_retry_after,
        )
        budget = RunBudget(national.run_max_retries, national.run_max_retry_seconds)
        watch = CircuitBreaker(failures=national.circuit_failures)
    return NationalClient(
        national.url,
        province,
        auth,
        headers=national.headers,
        timeout=(min(10.0, national.timeout), national.timeout),
        policy=policy,
        budget=budget,
        watch=watch,
    )


@dataclass
class DeliverResult:
    error: NationalError | None = None  # why delivery stopped early, if it did
    hash_mismatches: int = 0


def _rejection_rows(result: WriteResult) -> list[dict[str, Any]]:
    rows = []
    for e in result.errors or ({"code": "rejected", "message": "rejected without a reason"},):
        msg = str(e.get("message", ""))
        rows.append(
            {
                "path": e.get("field", ""),
                "code": e.get("code", "rejected"),
                "message_vi": f"Hệ thống quốc gia từ chối: {msg}",
                "message_en": f"Refused by the national system: {msg}",
            }
        )
    return rows


def _apply(
    ctx: RunContext, items: list[OutboxItem], results: dict[str, WriteResult], out: DeliverResult
) -> None:
    assert ctx.run_id is not None
    if not items:
        return
    now = utcnow()
    keys = [i.local_id for i in items]
    with ctx.db.session() as s:
        # One query per table for the whole batch: a get() per record made delivery of a
        # 200-record batch cost as much as the national call itself.
        rows = {
            o.id: o
            for o in s.scalars(select(OutboxItem).where(OutboxItem.id.in_([i.id for i in items])))
        }
        held = {
            q.record_key: q
            for q in s.scalars(
                select(QuarantineItem).where(
                    QuarantineItem.source == ctx.source, QuarantineItem.record_key.in_(keys)
                )
            )
        }
        states = {
            r.local_id: r
            for r in s.scalars(
                select(RecordState).where(
                    RecordState.source == ctx.source, RecordState.local_id.in_(keys)
                )
            )
        }
        for item in items:
            res = results[item.local_id]
            row = rows.get(item.id)
            if row is None:  # delivered by someone else meanwhile; nothing to record twice
                continue
            outcome = _OUTCOME[res.status]
            where = describe_origin(item.origin) if item.origin else None
            problems = None
            q = held.get(item.local_id)
            if res.status is WriteStatus.REJECTED:
                problems = _rejection_rows(res)
                ctx.counts["rejected"] += 1
                if q is None:
                    s.add(
                        QuarantineItem(
                            source=ctx.source,
                            record_key=item.local_id,
                            local_id=item.local_id,
                            record_id=item.record_id,
                            reason=QuarantineReason.REJECTED,
                            content_hash=item.content_hash,
                            problems=problems,
                            where=where,
                            first_at=now,
                            last_at=now,
                            run_id=ctx.run_id,
                            originals=item.originals,
                        )
                    )
                else:
                    # Rejections are counted on their own (dead_after): earlier invalid reads
                    # of the record do not count.
                    rejections = q.attempts + 1 if q.reason is QuarantineReason.REJECTED else 1
                    q.reason, q.content_hash, q.problems = (
                        QuarantineReason.REJECTED,
                        item.content_hash,
                        problems,
                    )
                    q.last_at, q.run_id, q.attempts = now, ctx.run_id, rejections
                    q.originals = item.originals
            else:
                ctx.counts[outcome.value] += 1
                if q is not None:
                    s.delete(q)
                state = states.get(item.local_id)
                if state is None:
                    state = RecordState(
                        source=ctx.source,
                        local_id=item.local_id,
                        record_id=item.record_id,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                    s.add(state)
                state.delivered_hash = item.content_hash
                state.delivered_record = item.record
                state.national_id = res.national_id or state.national_id
                state.revision = res.revision
                state.delivered_at = now
                if res.content_hash and res.content_hash != item.content_hash:
                    out.hash_mismatches += 1
                    logger.warning(
                        "%s: national content hash %s differs from ours %s",
                        item.local_id,
                        res.content_hash,
                        item.content_hash,
                    )
            ctx.counts["queued"] = max(0, ctx.counts["queued"] - 1)
            s.delete(row)
            s.add(
                RecordEvent(
                    run_id=ctx.run_id,
                    source=ctx.source,
                    local_id=item.local_id,
                    record_id=item.record_id,
                    outcome=outcome,
                    content_hash=item.content_hash,
                    where=where,
                    problems=problems,
                    at=now,
                    originals=item.originals,
                )
            )


def _mark_failed(ctx: RunContext, items: list[OutboxItem], error: NationalError) -> None:
    with ctx.db.session() as s:
        for item in items:
            row = s.get(OutboxItem, item.id)
            if row is not None:
                row.attempts += 1
                row.last_error = str(error)[:2000]


def _send(client: NationalClient, items: list[OutboxItem]) -> dict[str, WriteResult]:
    try:
        results = client.put_batch([i.record for i in items])
        return {r.local_id: r for r in results}
    except BatchRefused as exc:
        logger.warning(
            "batch of %d refused whole (%s); sending one record at a time", len(items), exc
        )
    out: dict[str, WriteResult] = {}
    for item in items:
        try:
            out[item.local_id] = client.put_task(item.local_id, item.record)
        except PermanentError as exc:
            # 400 or 413 on one record is about that record; anything else (403 wrong province,
            # 404 unknown province, 401) is about us and must stop the delivery.
            if isinstance(exc, AuthFailed) or exc.status not in _RECORD_STATUSES:
                raise
            out[item.local_id] = WriteResult(
                item.local_id,
                WriteStatus.REJECTED,
                None,
                None,
                None,
                ({"field": "", "code": exc.code or "refused", "message": str(exc)},),
            )
    return out


def deliver(
    ctx: RunContext,
    client: NationalClient,
    batch_size: int,
    *,
    deletes: bool = True,
    only: Collection[str] | None = None,
) -> DeliverResult:
    """Send the source's outbox, oldest first, until it is empty, the run is stopped, or the
    national side fails (then what is left stays in the outbox for the next run). With
    `deletes` false, withdrawals wait (the mass-delete guard tripped); with `only`, the
    records of those local_ids alone are sent (`sync --record`). The circuit breaker
    (sync.breaker) watches every request of `client` and stops delivery when most fail."""
    out = DeliverResult()
    breaker = _breaker(ctx, client)
    last_id = 0
    while not ctx.stop.is_set():
        query = select(OutboxItem).where(OutboxItem.source == ctx.source, OutboxItem.id > last_id)
        if not deletes:
            query = query.where(OutboxItem.op == Operation.UPSERT)
        if only is not None:
            query = query.where(OutboxItem.local_id.in_(sorted(only)))
        with ctx.db.session() as s:
            items = list(
                s.scalars(query.order_by(OutboxItem.id).limit(breaker.batch_size(batch_size)))
            )
        if not items:
            break
        last_id = items[-1].id
        faults.reach("deliver.after_claim")
        upserts = [i for i in items if i.op is Operation.UPSERT]
        withdrawals = [i for i in items if i.op is Operation.DELETE]
        faults.reach("deliver.before_http")
        try:
            results = _send(client, upserts) if upserts else {}
            for item in withdrawals:
                client.delete_task(item.local_id)  # 404: already absent, which is the aim
        except NationalError as exc:
            _mark_failed(ctx, items, exc)
            out.error = exc
            logger.error("source %s: delivery stopped: %s", ctx.source, exc)
            break
        faults.reach("deliver.after_http")
        _apply(ctx, upserts, results, out)
        _apply_withdrawals(ctx, withdrawals)
        faults.reach("deliver.after_mark")
        ctx.tick("sent")
    return out


def _breaker(ctx: RunContext, client: NationalClient) -> CircuitBreaker:
    """The client's breaker (make_client gives it one), half open after a run that found the
    national side unavailable or failing."""
    breaker = getattr(client, "watch", None)
    if not isinstance(breaker, CircuitBreaker):
        breaker = client.watch = CircuitBreaker()
    breaker.resume(ctx.db)
    return breaker


def _apply_withdrawals(ctx: RunContext, items: list[OutboxItem]) -> None:
    if not items:
        return
    now = utcnow()
    with ctx.db.session() as s:
        for item in items:
            row = s.get(OutboxItem, item.id)
            if row is None:
                continue
            state = s.get(RecordState, (ctx.source, item.local_id))
            if state is not None:
                state.delivered_hash, state.delivered_record, state.revision = None, None, None
            s.delete(row)
            s.add(deleted_event(ctx, item, now))
            ctx.counts["deleted"] += 1
            ctx.counts["queued"] = max(0, ctx.counts["queued"] - 1)
