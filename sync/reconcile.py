"""`stisync reconcile`: what the national database holds for a source, against what the state
database says it should hold — and, with `--repair`, the writes that bring them together.

The national side is listed page by page (only local_id, revision and content hash travel),
restricted to the source's namespace (the "namespace:" every local_id it sends starts with).
What it should hold comes from the state: each record's last delivered content hash, unless a
newer version, or its withdrawal, waits in the outbox, or the source no longer has it. Each
local_id then agrees, or is one of three differences:

- missing: it should be there and is not (withdrawn behind our back, the province emptied,
  or its first version not delivered yet);
- extra: it is there and should not be (unknown to the state, or gone from the source);
- stale: both have it, with different content (changed behind our back, or our newer version
  not delivered yet).

Without `--repair` nothing is written anywhere. With it, the comparison is made again under
the source's lease, and the repairs go the way of every write: missing and stale records are
queued in the outbox (the version waiting there, or else the last delivered record, kept in
record_state) and extra ones withdrawn when the source's `deletions` is "propagate", within
the mass-delete guard. Delivery is the normal one, logged as a run (trigger "reconcile")
with one event per record and a sync report, so a repair reads in `stisync logs` like a sync.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select

from schemas.mapping import MappingConfigError, load_mapping
from sync.config import Config, ConfigError, SourceConfig
from sync.context import RunContext, start_run
from sync.deletions import PROPAGATE, mass_delete_guard
from sync.deliver import deliver, make_client
from sync.national import NationalClient, NationalError
from sync.run_errors import RunError, internal_error
from sync.runner import (
    STOP,
    mark_crashed,
    national_message,
    open_state,
    report_run,
    settle_run,
)
from sync.state.db import StateDB, StateError
from sync.state.locks import SourceBusy, SourceLease
from sync.state.models import (
    Operation,
    OutboxItem,
    RecordState,
    Run,
    RunStatus,
    Trigger,
    utcnow,
)

logger = logging.getLogger(__name__)

MISSING, EXTRA, STALE = "missing", "extra", "stale"
KINDS = (MISSING, EXTRA, STALE)

# Why a record differs: English, stored in JSON as is; the CLI says it in the admin's language.
ABSENT = "absent nationally"  # missing: delivered, and no longer there
NOT_DELIVERED = "not delivered yet"  # missing: its first version waits in the outbox
CHANGED = "changed nationally"  # stale: the national copy is not what we delivered
NEWER_WAITING = "newer version waiting"  # stale: our newer version waits in the outbox
UNKNOWN = "unknown locally"  # extra: the state never delivered it
GONE = "gone from the source"  # extra: the source no longer has it
WITHDRAWAL_WAITING = "withdrawal waiting"  # extra: its withdrawal waits in the outbox

_CHUNK = 500  # local_ids per query, under every backend's limit of bound parameters


@dataclass(frozen=True)
class Difference:
    local_id: str
    kind: str  # MISSING | EXTRA | STALE
    reason: str  # one of the phrases above
    local_hash: str | None  # the content the national copy should have (None: no copy)
    national_hash: str | None
    national_revision: int | None


@dataclass
class Reconciliation:
    """The outcome of one `reconcile`: the differences found, and what a repair did."""

    source: str
    namespace: str = ""
    compared: bool = False  # False when it failed before both sides were read
    national: int = 0  # national records in the source's namespace
    expected: int = 0  # records the state says the national side should hold
    differences: list[Difference] = field(default_factory=list)
    repair: bool = False
    run_id: int | None = None  # the repair's run, when there was something to repair
    run_status: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # the repair run's counts
    kept: list[str] = field(default_factory=list)  # extra, left because deletions = "report"
    blocked: int = 0  # withdrawals the mass-delete guard refused
    error: str | None = None  # why the check or the repair failed ("kind: detail")
    error_vi: str | None = None  # `error` in Vietnamese, for the admin (sync.runner.RunError)

    def failed(self, error: RunError) -> Reconciliation:
        """This outcome, failed with `error`."""
        self.error, self.error_vi = error
        return self

    def by_kind(self) -> dict[str, int]:
        found = Counter(d.kind for d in self.differences)
        return {k: found[k] for k in KINDS}

    @property
    def exit_code(self) -> int:
        """0: in agreement; 1: differences found (repaired or not); 2: failure."""
        if self.error:
            return 2
        return 1 if self.differences else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"by_kind": self.by_kind(), "exit_code": self.exit_code}


@dataclass
class _Local:
    """What the state knows of one local_id."""

    delivered_hash: str | None = None
    gone: bool = False  # the source reported it deleted, or a full read no longer found it
    pending: Operation | None = None
    pending_hash: str | None = None

    def wanted(self) -> str | None:
        """The content hash the national copy should have; None when there should be none."""
        if self.pending is Operation.UPSERT:
            return self.pending_hash
        if self.pending is Operation.DELETE or self.gone:
            return None
        return self.delivered_hash


def reconcile(
    config: Config,
    source: str,
    *,
    repair: bool = False,
    allow_mass_delete: bool = False,
    wait: float = 0.0,
    db: StateDB | None = None,
    stop: threading.Event | None = None,
) -> Reconciliation:
    """Compare the national copy of `source` with the state; with `repair`, fix it. Never
    raises for a configuration, state or national-side problem: it is in `error`."""
    try:
        src = config.source(source)
        namespace = load_mapping(src.mapping).namespace
    except (ConfigError, MappingConfigError) as exc:
        return Reconciliation(source).failed(RunError.of("configuration", exc))
    own_db = db is None
    try:
        db = db or open_state(config)
    except StateError as exc:
        return Reconciliation(source, namespace).failed(RunError.of("state database", exc))
    try:
        if not repair:
            client = make_client(config.national, config.province)
            try:
                return compare(db, client, source, namespace)
            finally:
                client.close()
        lease = SourceLease(db, source)
        try:
            lease.acquire(wait=wait)
        except SourceBusy as exc:
            return Reconciliation(source, namespace, repair=True).failed(RunError.of(None, exc))
        try:
            mark_crashed(db, source)
            return _repair(config, src, namespace, db, lease=lease, stop=stop or STOP,
                           allow_mass_delete=allow_mass_delete)
        finally:
            lease.release()
    except NationalError as exc:
        return Reconciliation(source, namespace, repair=repair).failed(national_message(exc))
    finally:
        if own_db:
            db.dispose()


def compare(db: StateDB, client: NationalClient, source: str, namespace: str) -> Reconciliation:
    """The differences between the national records under `namespace` and the state of
    `source`; reads both, writes nothing."""
    result = Reconciliation(source, namespace)
    local = _load_local(db, source)
    result.expected = sum(1 for entry in local.values() if entry.wanted() is not None)
    prefix = f"{namespace}:"
    found: list[Difference] = []
    for item in client.list_tasks():
        lid = item.get("local_id")
        if not isinstance(lid, str) or not lid.startswith(prefix):
            continue  # another source's, or another system's
        result.national += 1
        national_hash = item.get("content_hash")
        revision = item.get("revision")
        diff = _classify(
            lid,
            local.pop(lid, None),
            national_hash if isinstance(national_hash, str) else "",
            revision if isinstance(revision, int) else None,
        )
        if diff is not None:
            found.append(diff)
    for lid, entry in local.items():  # what the national side did not list
        diff = _classify(lid, entry, None, None)
        if diff is not None:
            found.append(diff)
    theirs = _owned_elsewhere(db, source, [d.local_id for d in found if d.reason == UNKNOWN])
    if theirs:
        logger.warning(
            "source %s: %d national record(s) under namespace %s were delivered by another "
            "source with the same namespace; left alone",
            source,
            len(theirs),
            namespace,
        )
    result.differences = sorted(
        (d for d in found if d.local_id not in theirs),
        key=lambda d: (KINDS.index(d.kind), d.local_id),
    )
    result.compared = True
    return result


def _classify(
    lid: str, mine: _Local | None, national_hash: str | None, revision: int | None
) -> Difference | None:
    wanted = mine.wanted() if mine is not None else None
    if national_hash is None:
        if wanted is None:
            return None  # absent on both sides
        assert mine is not None
        reason = NOT_DELIVERED if mine.delivered_hash is None else ABSENT
        return Difference(lid, MISSING, reason, wanted, None, None)
    if wanted is None:
        if mine is not None and mine.pending is Operation.DELETE:
            reason = WITHDRAWAL_WAITING
        elif mine is not None and mine.gone:
            reason = GONE
        else:
            reason = UNKNOWN
        return Difference(lid, EXTRA, reason, None, national_hash, revision)
    if wanted == national_hash:
        return None
    assert mine is not None
    reason = NEWER_WAITING if mine.pending is Operation.UPSERT else CHANGED
    return Difference(lid, STALE, reason, wanted, national_hash, revision)


def _load_local(db: StateDB, source: str) -> dict[str, _Local]:
    local: dict[str, _Local] = {}
    with db.session() as s:
        for lid, delivered, missing_since in s.execute(
            select(RecordState.local_id, RecordState.delivered_hash, RecordState.missing_since)
            .where(RecordState.source == source)
        ):
            local[lid] = _Local(delivered, missing_since is not None)
        for lid, op, digest in s.execute(
            select(OutboxItem.local_id, OutboxItem.op, OutboxItem.content_hash)
            .where(OutboxItem.source == source)
        ):
            entry = local.setdefault(lid, _Local())
            entry.pending, entry.pending_hash = op, digest
    return local


def _owned_elsewhere(db: StateDB, source: str, local_ids: list[str]) -> set[str]:
    """Those of `local_ids` another source delivered (two sources sharing a namespace):
    never this source's to withdraw."""
    owned: set[str] = set()
    with db.session() as s:
        for start in range(0, len(local_ids), _CHUNK):
            owned.update(
                s.scalars(
                    select(RecordState.local_id).where(
                        RecordState.source != source,
                        RecordState.delivered_hash.is_not(None),
                        RecordState.local_id.in_(local_ids[start : start + _CHUNK]),
                    )
                )
            )
    return owned


def _repair(
    config: Config,
    src: SourceConfig,
    namespace: str,
    db: StateDB,
    *,
    lease: SourceLease,
    stop: threading.Event,
    allow_mass_delete: bool,
) -> Reconciliation:
    client = make_client(config.national, config.province)
    try:
        # Compared again under the lease: no sync of the source can move things meanwhile.
        result = compare(db, client, src.name, namespace)
        result.repair = True
        propagate = src.deletions == PROPAGATE
        result.kept = [
            d.local_id for d in result.differences if d.kind == EXTRA and not propagate
        ]
        todo = [d for d in result.differences if d.kind != EXTRA or propagate]
        if not todo:
            return result
        run = start_run(db, src.name, Trigger.RECONCILE, False, None)
        ctx = RunContext(
            db=db,
            source=src.name,
            run_id=run.id,
            started_at=run.started_at,
            stop=stop,
            deletions=src.deletions,
        )
        logger.info(
            "run %s: repairing source %s after reconciliation: %s",
            run.id,
            src.name,
            ", ".join(f"{k} {n}" for k, n in result.by_kind().items() if n),
        )
        status, national_failed = RunStatus.SUCCEEDED, False
        error: RunError | None = None
        try:
            withdrawals = _queue(ctx, todo, namespace)
            guard = None if allow_mass_delete else mass_delete_guard(ctx, src.mass_delete_share)
            if guard is not None:
                # Not to wait in the outbox for the next sync: the admin decides here.
                _unqueue(ctx, withdrawals)
                result.blocked = len(withdrawals)
                logger.warning("source %s: %s", src.name, guard[0])
            delivered = deliver(ctx, client, config.national.batch_size, deletes=guard is None)
            if delivered.error is not None:
                national_failed = True
                status, error = RunStatus.FAILED, national_message(delivered.error)
            if guard is not None and status is RunStatus.SUCCEEDED:
                # Withdrawals queued by a sync before may be what trips the guard: then its
                # own words say what to do.
                why = _blocked_message(src, len(withdrawals)) if withdrawals else RunError(*guard)
                status, error = RunStatus.FAILED, why
        except NationalError as exc:
            national_failed = True
            status, error = RunStatus.FAILED, national_message(exc)
        except Exception as exc:  # a defect: recorded on the run, not swallowed
            logger.exception("run %s of %s failed unexpectedly", run.id, src.name)
            status, error = RunStatus.FAILED, internal_error(exc)
        _finish(config, db, run, ctx, status=status, error=error, lease=lease,
                national_failed=national_failed, result=result)
        return result
    finally:
        client.close()


def _queue(ctx: RunContext, todo: list[Difference], namespace: str) -> list[int]:
    """Put the repairs in the outbox; the ids of the withdrawals queued. A record whose newer
    version, or whose withdrawal, already waits there is delivered as it is."""
    assert ctx.run_id is not None
    withdrawals: list[int] = []
    for start in range(0, len(todo), _CHUNK):
        chunk = {d.local_id: d for d in todo[start : start + _CHUNK]}
        now = utcnow()
        with ctx.db.session() as s:
            waiting = set(
                s.scalars(
                    select(OutboxItem.local_id).where(
                        OutboxItem.source == ctx.source, OutboxItem.local_id.in_(list(chunk))
                    )
                )
            )
            states = {
                r.local_id: r
                for r in s.scalars(
                    select(RecordState).where(
                        RecordState.source == ctx.source, RecordState.local_id.in_(list(chunk))
                    )
                )
            }
            added: list[OutboxItem] = []
            for lid, d in chunk.items():
                ctx.counts["queued"] += 1
                if lid in waiting:
                    continue
                state = states.get(lid)
                if d.kind == EXTRA:
                    record_id = state.record_id if state is not None else lid[len(namespace) + 1 :]
                    added.append(
                        OutboxItem(source=ctx.source, local_id=lid, record_id=record_id,
                                   op=Operation.DELETE, content_hash="", record={}, origin=None,
                                   run_id=ctx.run_id, created_at=now)
                    )
                    continue
                # Missing or stale with nothing waiting: what the national side had from us.
                if state is None or state.delivered_record is None or not state.delivered_hash:
                    logger.warning("%s: no delivered version is kept to send again", lid)
                    ctx.counts["queued"] -= 1
                    continue
                added.append(
                    OutboxItem(source=ctx.source, local_id=lid, record_id=state.record_id,
                               content_hash=state.delivered_hash, record=state.delivered_record,
                               origin=None, run_id=ctx.run_id, created_at=now)
                )
            s.add_all(added)
            s.flush()
            withdrawals += [o.id for o in added if o.op is Operation.DELETE]
    return withdrawals


def _unqueue(ctx: RunContext, ids: list[int]) -> None:
    with ctx.db.session() as s:
        for start in range(0, len(ids), _CHUNK):
            s.execute(delete(OutboxItem).where(OutboxItem.id.in_(ids[start : start + _CHUNK])))
    ctx.counts["queued"] = max(0, ctx.counts["queued"] - len(ids))


def _blocked_message(src: SourceConfig, n: int) -> RunError:
    share = f"{src.mass_delete_share:.0%}"
    command = f"`stisync reconcile {src.name} --repair --allow-mass-delete`"
    return RunError(
        f"reconcile would withdraw {n} record(s) of source {src.name} from the national "
        f"database, more than its mass_delete_share ({share}) allows; "
        f"nothing was withdrawn. If that is right, run {command}",
        f"đối soát sẽ xoá {n} bản ghi của nguồn {src.name} khỏi CSDL quốc gia, nhiều hơn tỉ "
        f"lệ mass_delete_share ({share}) của nguồn cho phép; chưa xoá bản ghi nào. Nếu đúng "
        f"là cần xoá, hãy chạy {command}",
    )


def _finish(
    config: Config,
    db: StateDB,
    run: Run,
    ctx: RunContext,
    *,
    status: RunStatus,
    error: RunError | None,
    lease: SourceLease,
    national_failed: bool,
    result: Reconciliation,
) -> None:
    """Settle the repair run's status as a sync's is settled, record it, send its report."""
    run, status, error, counts = settle_run(db, run, ctx, status, error, lease=lease)
    report_run(config, db, run, send=not national_failed)
    result.run_id, result.run_status, result.counts = run.id, status.value, counts
    if error is not None and status in (RunStatus.FAILED, RunStatus.INTERRUPTED):
        result.failed(error)
