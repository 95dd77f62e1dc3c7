"""One run of one source, start to end: lease, extract, deliver, log, report.

`run_source` is the single entry point: the scheduler calls it by reference
("sync.runner:run_source") with primitive arguments, and the CLI calls it for a manual sync.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from connectors import Connector, ConnectorError, SourceConfigError, make_connector
from schemas.mapping import Mapping, MappingConfigError, load_mapping
from schemas.mapping.legacy import SourceText
from sync import faults
from sync.backfill import Backfill
from sync.breaker import national_kind
from sync.config import Config, ConfigError, SourceConfig, load_config
from sync.context import COUNT_KEYS, ProgressFn, RunContext, start_run
from sync.deletions import mass_delete_guard
from sync.deliver import deliver, make_client
from sync.extract import Planned, extract, load_cursor
from sync.national import AuthFailed, NationalError, RetryPolicy
from sync.quarantine import bury_dead
from sync.remap import remap as remap_kept
from sync.report import queue_report, send_pending
from sync.run_errors import RunError, internal_error, state_db_error
from sync.state.db import StateDB, StateError, rowcount
from sync.state.locks import SourceBusy, SourceLease, lease_alive
from sync.state.models import OutboxItem, Run, RunStatus, Trigger, utcnow

logger = logging.getLogger(__name__)


class ExitCode(enum.IntEnum):
    OK = 0  # everything delivered (or unchanged)
    PARTIAL = 1  # some records quarantined or rejected
    FAILED = 2  # source unreachable, credentials refused, bad config, national side down


@dataclass
class RunResult:
    source: str
    status: RunStatus
    counts: Counter[str] = field(default_factory=Counter)
    run_id: int | None = None
    error: str | None = None
    planned: list[Planned] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # `--record` ids the source lacks
    # `error` in Vietnamese, for the admin; `error` is English, as the runs table keeps it.
    error_vi: str | None = None

    @classmethod
    def failed(
        cls, source: str, error: RunError, counts: Counter[str] | None = None
    ) -> RunResult:
        """A run that failed before it was recorded (or a dry run that failed)."""
        return cls(source, RunStatus.FAILED, counts if counts is not None else Counter(),
                   error=error.en, error_vi=error.vi)

    @property
    def exit_code(self) -> ExitCode:
        if self.status in (RunStatus.SUCCEEDED,):
            return ExitCode.OK
        if self.status is RunStatus.PARTIAL:
            return ExitCode.PARTIAL
        return ExitCode.FAILED


# Reports are re-sent after every run until acknowledged, so one need not wait long for them.
REPORT_POLICY = RetryPolicy(max_attempts=2, max_total_seconds=10.0, max_retry_after=10.0)

# Set by the daemon's signal handler (and by tests): runs finish the batch in flight and stop.
STOP = threading.Event()

# How a run's error names the `--record` ids the source did not have ("not found: A, B").
NOT_FOUND = "not found"


# Why a run is marked crashed (`mark_crashed`), failed or interrupted (`settle_run`).
CRASHED = RunError(
    "the process running this sync stopped before it finished",
    "tiến trình chạy lượt đồng bộ này đã dừng trước khi xong",
)
LEASE_LOST = RunError(
    "the source's lease was lost during the run",
    "lượt chạy đã mất quyền giữ nguồn (lease) giữa chừng",
)
STOPPED = RunError(
    "stopped by a signal after the batch in flight",
    "đã dừng khi nhận tín hiệu dừng, sau khi gửi xong lô đang gửi",
)


def open_state(config: Config) -> StateDB:
    return StateDB(config.state_url)


def mark_crashed(db: StateDB, source: str | None = None, *, own_lease: bool = False) -> int:
    """Runs still marked running when nobody holds their source's lease died with their
    process. With `own_lease`, the caller holds `source`'s lease: no other run of it can be
    alive, so every run of it still marked running died."""
    from sync.state.models import SourceLock

    with db.session() as s:
        held = set() if own_lease else {
            lock.source for lock in s.scalars(select(SourceLock)) if lease_alive(lock)
        }
        q = update(Run).where(Run.status == RunStatus.RUNNING)
        if source is not None:
            q = q.where(Run.source == source)
        if held:
            q = q.where(Run.source.not_in(held))
        n = rowcount(
            s.execute(
                q.values(
                    status=RunStatus.CRASHED,
                    finished_at=utcnow(),
                    error=CRASHED.en,
                    error_vi=CRASHED.vi,
                )
            )
        )
    if n:
        logger.warning("marked %d run(s) left running by a stopped process as crashed", n)
    return int(n)


def run_source(
    config_path: str,
    source: str,
    trigger: str = "schedule",
    *,
    full: bool = False,
    dry_run: bool = False,
    wait: float = 0.0,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    scheduled_for: datetime | None = None,
    config: Config | None = None,
    db: StateDB | None = None,
    allow_mass_delete: bool = False,
    since: datetime | None = None,
    records: Sequence[str] = (),
    remap: bool = False,
) -> RunResult:
    """Sync one source now. Never raises for a source, data or national-side problem: the
    outcome is in the returned RunResult (and in the runs table).

    `since` (an aware time) reads the source from then instead of from its cursor; `records`
    syncs only those source record ids (sync.backfill). Neither moves the cursor. `remap`
    maps the raw records kept by earlier reads again instead of reading the source
    (sync.remap), for a mapping change."""
    stop = stop or STOP
    backfill = Backfill(since, tuple(records)) if since is not None or records else None
    try:
        config = config or load_config(config_path)
        src = config.source(source)
        own_db = db is None
        db = db or open_state(config)
    except ConfigError as exc:
        logger.error("%s", exc)
        return RunResult.failed(source, RunError.of("configuration", exc))
    except StateError as exc:
        logger.error("%s", exc)
        return RunResult.failed(source, RunError.of("state database", exc))
    try:
        if dry_run:
            return _dry_run(config, src, db, full, progress, backfill=backfill, remap=remap)
        lease = SourceLease(db, source)
        try:
            lease.acquire(
                wait=wait,
                on_wait=lambda h: logger.warning(
                    "source %s is being synced by %s; waiting up to %.0f s", source, h.owner, wait
                ),
            )
        except SourceBusy as exc:
            logger.warning("%s", exc)
            return RunResult.failed(source, RunError.of(None, exc))
        try:
            mark_crashed(db, source, own_lease=True)
            return _run(
                config,
                src,
                db,
                trigger=Trigger(trigger),
                full=full,
                progress=progress,
                stop=stop,
                scheduled_for=scheduled_for,
                lease=lease,
                allow_mass_delete=allow_mass_delete,
                backfill=backfill,
                remap=remap,
            )
        finally:
            lease.release()
    except SQLAlchemyError as exc:  # locked, full, read-only or lost: said plainly, not raised
        error = state_db_error(exc)
        logger.error("source %s: %s", source, error.en)
        return RunResult.failed(source, error)
    finally:
        if own_db:
            db.dispose()


def _prepare(config: Config, src: SourceConfig) -> tuple[Mapping, Connector]:
    mapping = load_mapping(src.mapping)
    connector = make_connector(src.kind, src.name, src.connector, base_dir=config.base_dir)
    return mapping, connector


def _run(
    config: Config,
    src: SourceConfig,
    db: StateDB,
    *,
    trigger: Trigger,
    full: bool,
    progress: ProgressFn | None,
    stop: threading.Event,
    scheduled_for: datetime | None,
    lease: SourceLease,
    allow_mass_delete: bool,
    backfill: Backfill | None = None,
    remap: bool = False,
) -> RunResult:
    run = start_run(db, src.name, trigger, full, scheduled_for)
    ctx = RunContext(
        db=db,
        source=src.name,
        run_id=run.id,
        started_at=run.started_at,
        stop=stop,
        progress=progress,
        deletions=src.deletions,
    )
    logger.info(
        "run %s: syncing source %s (%s%s%s%s)",
        run.id,
        src.name,
        trigger.value,
        ", full read" if full else "",
        _describe_backfill(backfill),
        f", system of former province {src.former_province}, sent as {config.province}"
        if src.former_province and src.former_province != config.province
        else "",
    )
    status: RunStatus = RunStatus.SUCCEEDED
    error: RunError | None = None
    national_failed = False
    only = backfill.local_ids if backfill is not None and backfill.selective else None
    not_found: list[str] = []
    try:
        mapping, connector = _prepare(config, src)
        since = _read_from(ctx, full, backfill)
        source_error: ConnectorError | None = None
        try:
            if remap:  # the kept raw records, not the source: the connector is never read
                remap_kept(ctx, mapping, SourceText(src.text_encoding))
            else:
                extract(ctx, connector, mapping, since, SourceText(src.text_encoding),
                        backfill=backfill)
            if backfill is not None and not stop.is_set():
                not_found = backfill.not_found()
        except ConnectorError as exc:
            # What was read before the failure is in the outbox: deliver it now anyway.
            source_error = exc
        finally:
            connector.close()
        blocked = None if allow_mass_delete else mass_delete_guard(ctx, src.mass_delete_share)
        client = make_client(config.national, config.province)
        try:
            delivered = deliver(
                ctx, client, config.national.batch_size, deletes=blocked is None, only=only
            )
        finally:
            client.close()
        bury_dead(ctx, src.dead_after)
        if delivered.error is not None:
            national_failed = True
            status, error = RunStatus.FAILED, national_message(delivered.error)
        if blocked is not None and status is RunStatus.SUCCEEDED:
            status, error = RunStatus.FAILED, RunError(*blocked)
        if source_error is not None:
            status = RunStatus.FAILED
            error = RunError.of("source", source_error).then(error)
        if delivered.hash_mismatches:
            ctx.counts["hash_mismatch"] += delivered.hash_mismatches
    except (MappingConfigError, SourceConfigError, ConfigError) as exc:
        status, error = RunStatus.FAILED, RunError.of("configuration", exc)
    except ConnectorError as exc:
        status, error = RunStatus.FAILED, RunError.of("source", exc)
    except NationalError as exc:
        national_failed = True
        status, error = RunStatus.FAILED, national_message(exc)
    except SQLAlchemyError as exc:  # what was committed stays; the next run carries on
        status, error = RunStatus.FAILED, state_db_error(exc)
    except Exception as exc:  # a defect: recorded on the run, shown to the admin, not swallowed
        logger.exception("run %s of %s failed unexpectedly", run.id, src.name)
        status, error = RunStatus.FAILED, internal_error(exc)
    faults.reach("runner.before_finish")
    run, status, error, counts = settle_run(
        db, run, ctx, status, error, lease=lease, only=only, not_found=not_found
    )
    report_run(config, db, run, send=not national_failed)
    return RunResult(src.name, status, Counter(counts), run.id, not_found=not_found,
                     error=error.en if error else None, error_vi=error.vi if error else None)


def settle_run(
    db: StateDB,
    run: Run,
    ctx: RunContext,
    status: RunStatus,
    error: RunError | None,
    *,
    lease: SourceLease,
    only: Collection[str] | None = None,
    not_found: Sequence[str] = (),
) -> tuple[Run, RunStatus, RunError | None, dict[str, int]]:
    """A run's final status, from how it ended and what it leaves in the outbox (of `only`'s
    records, for `sync --record`), recorded on its row with its counts and its error in both
    languages. Every kind of run that delivers (sync, remap, reconcile --repair) ends here."""
    if lease.lost and status is RunStatus.SUCCEEDED:
        status, error = RunStatus.FAILED, LEASE_LOST
    if ctx.stop.is_set() and status is not RunStatus.FAILED:
        status, error = RunStatus.INTERRUPTED, STOPPED
    with db.session() as s:
        waiting = (
            select(func.count()).select_from(OutboxItem).where(OutboxItem.source == ctx.source)
        )
        if only is not None:  # the rest of the outbox was not this run's to deliver
            waiting = waiting.where(OutboxItem.local_id.in_(sorted(only)))
        left = s.scalar(waiting) or 0
    if status is not RunStatus.SUCCEEDED or left:
        ctx.counts["failed"] = left
    if status is RunStatus.SUCCEEDED and (ctx.counts["invalid"] or ctx.counts["rejected"]):
        status = RunStatus.PARTIAL
    if status is RunStatus.SUCCEEDED and left:
        status = RunStatus.FAILED
        error = error or RunError(
            f"{left} record(s) could not be delivered and stay in the outbox",
            f"{left} bản ghi chưa gửi được, vẫn nằm trong hàng chờ gửi",
        )
    if not_found:
        # Asked for by id and not in the source: said plainly, never taken for a deletion.
        if status is RunStatus.SUCCEEDED:
            status = RunStatus.PARTIAL
        ids = ", ".join(not_found)
        missing = RunError(f"{NOT_FOUND}: {ids}", f"{NOT_FOUND}: {ids}")  # framed by stisync
        error = error.then(missing) if error else missing
    counts = {k: ctx.counts.get(k, 0) for k in COUNT_KEYS}
    counts.update({k: v for k, v in ctx.counts.items() if k not in counts})
    with db.session() as s:
        row = s.get(Run, run.id)
        assert row is not None
        row.status, row.counts, row.finished_at = status, counts, utcnow()
        row.error, row.error_vi = (error.en, error.vi) if error else (None, None)
        run = row
    logger.info(
        "run %s: %s %s",
        run.id,
        status.value,
        " ".join(f"{k}={v}" for k, v in counts.items() if v)
        + (f" error: {error.en}" if error else ""),
    )
    return run, status, error, counts



def _read_from(ctx: RunContext, full: bool, backfill: Backfill | None) -> datetime | None:
    """Where the read starts: the backfill's date, nowhere (all) for --full, else the cursor."""
    if backfill is not None:
        return backfill.since
    return None if full else load_cursor(ctx)


def _describe_backfill(backfill: Backfill | None) -> str:
    if backfill is None:
        return ""
    if backfill.selective:
        return f", only record(s) {', '.join(backfill.record_ids)}"
    assert backfill.since is not None
    return f", backfill since {backfill.since.isoformat()}"


def national_message(exc: NationalError) -> RunError:
    """A run's error for a national failure. Its kind words are read back by the next run's
    breaker (sync.breaker); the national side's own words stay as they came in both."""
    if isinstance(exc, AuthFailed):
        return RunError.of("national API refused our credentials", exc)
    return RunError.of(national_kind(exc), exc)


def report_run(config: Config, db: StateDB, run: Run, *, send: bool) -> None:
    """Queue the run's report, and send the queued ones unless the national side just failed:
    then they wait for the next run rather than prolonging this one."""
    try:
        queue_report(db, run)
        if send:
            client = make_client(config.national, config.province, policy=REPORT_POLICY)
            try:
                send_pending(db, client, run.source)
            finally:
                client.close()
    except Exception:  # the report must never turn a finished run into a crash
        logger.warning("sync report for run %s not queued or sent", run.id, exc_info=True)


def _dry_run(
    config: Config,
    src: SourceConfig,
    db: StateDB,
    full: bool,
    progress: ProgressFn | None,
    *,
    backfill: Backfill | None = None,
    remap: bool = False,
) -> RunResult:
    ctx = RunContext(
        db=db, source=src.name, run_id=None, progress=progress, deletions=src.deletions
    )
    try:
        mapping, connector = _prepare(config, src)
        since = _read_from(ctx, full, backfill)
        try:
            extracted = (
                remap_kept(ctx, mapping, SourceText(src.text_encoding))
                if remap
                else extract(ctx, connector, mapping, since, SourceText(src.text_encoding),
                             backfill=backfill)
            )
        finally:
            connector.close()
    except (MappingConfigError, SourceConfigError, ConfigError) as exc:  # named as a run's
        return RunResult.failed(src.name, RunError.of("configuration", exc), ctx.counts)
    except ConnectorError as exc:
        return RunResult.failed(src.name, RunError.of("source", exc), ctx.counts)
    not_found = backfill.not_found() if backfill is not None else []
    status = (
        RunStatus.PARTIAL if ctx.counts["invalid"] or not_found else RunStatus.SUCCEEDED
    )
    return RunResult(src.name, status, ctx.counts, None, None, extracted.planned, not_found)
