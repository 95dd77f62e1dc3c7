"""Outbox → national API: batches, the per-record fallback, outcomes and quarantine."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.orm import Session

from connectors.base import describe_origin
from sync import faults
from sync.breaker import CircuitBreaker
from sync.config import NationalConfig
from sync.context import RunContext
from sync.deletions import deleted_event
from sync.national import (
    AuthFailed,
    BatchRefused,
    CircuitOpen,
    ClientCredentials,
    NationalClient,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryPolicy,
    RunBudget,
    RunBudgetSpent,
    StaticToken,
    TransientError,
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
                _hold(
                    s, ctx, item, q, reason=QuarantineReason.REJECTED, problems=problems,
                    where=where, now=now,
                )
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
            s.add(_item_event(ctx, item, outcome, where=where, problems=problems, now=now))


def _item_event(
    ctx: RunContext,
    item: OutboxItem,
    outcome: Outcome,
    *,
    where: str | None,
    problems: list[dict[str, Any]] | None,
    now: datetime,
) -> RecordEvent:
    """The event of what became of an outbox item's version in this run."""
    assert ctx.run_id is not None
    return RecordEvent(
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


def _hold(
    s: Session,
    ctx: RunContext,
    item: OutboxItem,
    q: QuarantineItem | None,
    *,
    reason: QuarantineReason,
    problems: list[dict[str, Any]],
    where: str | None,
    now: datetime,
) -> int:
    """Quarantine the record of `item` for `reason` (its entry `q`, if it has one, updated);
    returns how many times in a row it is held so, which `dead_after` bounds. Refusals count
    across versions; failures of the side on it count for this version only (a changed
    record may no longer trip the side). An earlier other reason does not count."""
    if q is None:
        s.add(
            QuarantineItem(
                source=ctx.source,
                record_key=item.local_id,
                local_id=item.local_id,
                record_id=item.record_id,
                reason=reason,
                content_hash=item.content_hash,
                problems=problems,
                where=where,
                first_at=now,
                last_at=now,
                run_id=ctx.run_id,
                originals=item.originals,
            )
        )
        return 1
    same = q.reason is reason and (
        reason is QuarantineReason.REJECTED or q.content_hash == item.content_hash
    )
    times = q.attempts + 1 if same else 1
    q.reason, q.content_hash, q.problems = reason, item.content_hash, problems
    q.where = where or q.where
    q.last_at, q.attempts, q.originals = now, times, item.originals
    if ctx.run_id is not None:
        q.run_id = ctx.run_id
    return times


def _mark_failed(
    ctx: RunContext, items: list[OutboxItem], error: NationalError, *, count: bool
) -> None:
    """Note the error on the items, and with `count` one more failed attempt."""
    with ctx.db.session() as s:
        for item in items:
            row = s.get(OutboxItem, item.id)
            if row is not None:
                row.attempts += 1 if count else 0
                row.last_error = str(error)[:2000]


def _send(
    client: NationalClient, items: list[OutboxItem], *, alone: bool = False, once: bool = False
) -> dict[str, WriteResult]:
    if not alone:
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
            out[item.local_id] = client.put_task(item.local_id, item.record, retry=not once)
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
    """Send the source's outbox until it is empty, the run is stopped, or the national side
    fails (then what is left stays in the outbox for the next run). With `deletes` false,
    withdrawals wait (the mass-delete guard tripped); with `only`, the records of those
    local_ids alone are sent (`sync --record`). The circuit breaker (sync.breaker) watches
    every request of `client` and stops delivery when most fail.

    Records go out oldest first, in batches. A record whose batch failed before is a suspect:
    one record the national side cannot take (a 5xx on its content) fails every batch it
    travels in, so suspects go after the others, one per request, least tried first. One that
    fails alone while the national side answers the others is `failing` (quarantine): tried
    again each run, never holding up the rest, and dead after `dead_after` runs so
    (sync.quarantine.bury_dead)."""
    out = DeliverResult()
    run = _Delivery(ctx, client, _breaker(ctx, client), _pending(ctx, deletes, only), out)
    if run.batches(batch_size):
        run.suspects()
    return out


def _pending(ctx: RunContext, deletes: bool, only: Collection[str] | None) -> Select[Any]:
    query = select(OutboxItem).where(OutboxItem.source == ctx.source)
    if not deletes:
        query = query.where(OutboxItem.op == Operation.UPSERT)
    if only is not None:
        query = query.where(OutboxItem.local_id.in_(sorted(only)))
    return query


@dataclass
class _Delivery:
    """One delivery: the outbox items it may send (`pending`) and where it stands."""

    ctx: RunContext
    client: NationalClient
    breaker: CircuitBreaker
    pending: Select[Any]
    out: DeliverResult

    def batches(self, batch_size: int) -> bool:
        """The records never tried, in batches; False when delivery stopped on a failure."""
        last_id = 0
        fresh = self.pending.where(OutboxItem.attempts == 0)
        while not self.ctx.stop.is_set():
            with self.ctx.db.session() as s:
                items = list(
                    s.scalars(
                        fresh.where(OutboxItem.id > last_id)
                        .order_by(OutboxItem.id)
                        .limit(self.breaker.batch_size(batch_size))
                    )
                )
            if not items:
                break
            last_id = items[-1].id
            sent = self.client.requests_sent
            try:
                _deliver_items(self.ctx, self.client, items, self.out)
            except NationalError as exc:
                self.stop(items, exc, suspect=self.client.requests_sent > sent)
                return False
        return True

    def suspects(self) -> None:
        """The records tried before, one per request, least tried first."""
        tried: set[int] = set()
        suspects = self.pending.where(OutboxItem.attempts > 0)
        with self.ctx.db.session() as s:
            if s.scalars(suspects.limit(1)).first() is None:
                return
        if not self.breaker.last_answered and not self.canary():
            return
        while not self.ctx.stop.is_set():
            with self.ctx.db.session() as s:
                item = s.scalars(
                    suspects.where(OutboxItem.id.not_in(tried) if tried else true())
                    .order_by(OutboxItem.attempts, OutboxItem.id)
                    .limit(1)
                ).first()
            if item is None:
                return
            tried.add(item.id)
            answering = self.breaker.last_answered and self.breaker.open is None
            sent = self.client.requests_sent
            # Tried alone before and failed: once is enough to learn whether it still fails.
            once = item.attempts > 1
            try:
                _deliver_items(self.ctx, self.client, [item], self.out, alone=True, once=once)
            except NationalError as exc:
                if answering and _about_the_record(exc):
                    self.breaker.forgive()
                    _failed_alone(self.ctx, item, exc)
                    continue
                self.stop([item], exc, suspect=self.client.requests_sent > sent)
                return

    def canary(self) -> bool:
        """Nothing was answered yet this run: ask the national side for a record it holds,
        so that a suspect failing next is known to fail alone. False when delivery stopped
        because the side does not answer (or nothing was ever delivered to ask for)."""
        with self.ctx.db.session() as s:
            known = s.scalars(
                select(RecordState.local_id)
                .where(RecordState.source == self.ctx.source, RecordState.revision.is_not(None))
                .order_by(RecordState.delivered_at.desc())
                .limit(1)
            ).first()
        if known is None:
            return True  # the suspects go out, but a failure is not laid at their door
        try:
            self.client.get_task(known)
        except NationalError as exc:
            self.stop([], exc, suspect=False)
            return False
        return True

    def stop(self, items: list[OutboxItem], exc: NationalError, *, suspect: bool) -> None:
        """Delivery ends on `exc`. The items are suspects (tried again one per request) when
        the failed request carried them and the failure may be theirs."""
        _mark_failed(self.ctx, items, exc, count=suspect and _about_the_record(exc))
        self.out.error = exc
        logger.error("source %s: delivery stopped: %s", self.ctx.source, exc)


def _deliver_items(
    ctx: RunContext,
    client: NationalClient,
    items: list[OutboxItem],
    out: DeliverResult,
    *,
    alone: bool = False,
    once: bool = False,
) -> None:
    """One batch: its upserts in one request (one at a time if refused whole, or `alone`;
    `once`: each without retries), then its withdrawals; raises the NationalError that
    stopped it, having recorded nothing."""
    faults.reach("deliver.after_claim")
    upserts = [i for i in items if i.op is Operation.UPSERT]
    withdrawals = [i for i in items if i.op is Operation.DELETE]
    faults.reach("deliver.before_http")
    results = _send(client, upserts, alone=alone, once=once) if upserts else {}
    for item in withdrawals:
        client.delete_task(item.local_id)  # 404: already absent, which is the aim
    faults.reach("deliver.after_http")
    _apply(ctx, upserts, results, out)
    _apply_withdrawals(ctx, withdrawals)
    faults.reach("deliver.after_mark")
    ctx.tick("sent")


def _about_the_record(exc: NationalError) -> bool:
    """Whether a failure of a request carrying one record may be that record's: a 5xx or a
    cut connection that outlasted the retries, or opened the circuit doing so. Not a
    `Retry-After` too long, nor the run's retry budget spent: those are the side's state."""
    if isinstance(exc, CircuitOpen):
        exc = exc.last or exc
    return (
        isinstance(exc, TransientError)
        and not isinstance(exc, (RetryAfterTooLong, RunBudgetSpent))
        and exc.status != 429
    )


def _failed_alone(ctx: RunContext, item: OutboxItem, exc: NationalError) -> None:
    """The national side answered the request before this one and failed on this record
    alone: count it against the record (quarantine, `failing`) and let the others go on."""
    assert ctx.run_id is not None
    now = utcnow()
    cause = exc.last if isinstance(exc, CircuitOpen) and exc.last else exc
    reason = str(cause)
    problems = [
        {
            "path": "",
            "code": "national_failure",
            "message_vi": "Hệ thống quốc gia gặp lỗi khi nhận riêng hồ sơ này, trong khi vẫn "
            f"nhận các hồ sơ khác: {cause.text('vi')}",
            "message_en": "The national system failed on this record sent alone, while it "
            f"took the others: {reason}",
        }
    ]
    where = describe_origin(item.origin) if item.origin else None
    with ctx.db.session() as s:
        row = s.get(OutboxItem, item.id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = reason[:2000]
        q = s.scalars(
            select(QuarantineItem).where(
                QuarantineItem.source == ctx.source, QuarantineItem.record_key == item.local_id
            )
        ).first()
        failures = _hold(
            s, ctx, item, q, reason=QuarantineReason.FAILING, problems=problems, where=where,
            now=now,
        )
        s.add(_item_event(ctx, item, Outcome.FAILED, where=where, problems=problems, now=now))
    logger.warning(
        "source %s: the national side failed on %s alone (%d run(s) so far) while it answered "
        "the others; the rest goes on: %s",
        ctx.source,
        item.local_id,
        failures,
        reason,
    )


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
