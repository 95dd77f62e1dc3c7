"""One run of one source, start to end: lease, extract, deliver, log, report.

`run_source` is the single entry point: the scheduler calls it by reference
("sync.runner:run_source") with primitive arguments, and the CLI calls it for a manual sync.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from connectors import Connector, ConnectorError, SourceConfigError, make_connector
from schemas.mapping import Mapping, MappingConfigError, load_mapping
from schemas.mapping.legacy import SourceText
from sync.config import Config, ConfigError, SourceConfig, load_config
from sync.context import COUNT_KEYS, ProgressFn, RunContext
from sync.deletions import mass_delete_guard
from sync.deliver import deliver, make_client
from sync.extract import Planned, extract, load_cursor
from sync.national import AuthFailed, NationalError, RetryPolicy
from sync.report import queue_report, send_pending
from sync.state.db import StateDB, StateError, describe_db_error, rowcount
from sync.state.locks import SourceBusy, SourceLease
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


def open_state(config: Config) -> StateDB:
    return StateDB(config.state_url)


def mark_crashed(db: StateDB, source: str | None = None) -> int:
    """Runs still marked running when nobody holds their source's lease died with their process."""
    from sync.state.models import SourceLock

    with db.session() as s:
        held = set(s.scalars(select(SourceLock.source)))
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
                    error="the process running this sync stopped before it finished",
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
) -> RunResult:
    """Sync one source now. Never raises for a source, data or national-side problem: the
    outcome is in the returned RunResult (and in the runs table)."""
    stop = stop or STOP
    try:
        config = config or load_config(config_path)
        src = config.source(source)
        own_db = db is None
        db = db or open_state(config)
    except (ConfigError, StateError) as exc:
        logger.error("%s", exc)
        return RunResult(source, RunStatus.FAILED, error=str(exc))
    try:
        if dry_run:
            return _dry_run(config, src, db, full, progress)
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
            return RunResult(source, RunStatus.FAILED, error=str(exc))
        try:
            mark_crashed(db, source)
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
            )
        finally:
            lease.release()
    except SQLAlchemyError as exc:  # locked, full, read-only or lost: said plainly, not raised
        error = f"state database: {describe_db_error(exc)}"
        logger.error("source %s: %s", source, error)
        return RunResult(source, RunStatus.FAILED, error=error)
    finally:
        if own_db:
            db.dispose()


def _start_run(
    db: StateDB, source: str, trigger: Trigger, full: bool, scheduled_for: datetime | None
) -> Run:
    run = Run(
        run_uid=uuid.uuid4().hex,
        source=source,
        trigger=trigger,
        status=RunStatus.RUNNING,
        full=full,
        started_at=utcnow(),
        scheduled_for=scheduled_for,
        counts={},
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    with db.session() as s:
        s.add(run)
    return run


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
) -> RunResult:
    run = _start_run(db, src.name, trigger, full, scheduled_for)
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
        "run %s: syncing source %s (%s%s%s)",
        run.id,
        src.name,
        trigger.value,
        ", full read" if full else "",
        f", system of former province {src.former_province}, sent as {config.province}"
        if src.former_province and src.former_province != config.province
        else "",
    )
    status, error = RunStatus.SUCCEEDED, None
    national_failed = False
    try:
        mapping, connector = _prepare(config, src)
        since = None if full else load_cursor(ctx)
        source_error: ConnectorError | None = None
        try:
            extract(ctx, connector, mapping, since, SourceText(src.text_encoding))
        except ConnectorError as exc:
            # What was read before the failure is in the outbox: deliver it now anyway.
            source_error = exc
        finally:
            connector.close()
        blocked = None if allow_mass_delete else mass_delete_guard(ctx, src.mass_delete_share)
        client = make_client(config.national, config.province)
        try:
            delivered = deliver(ctx, client, config.national.batch_size, deletes=blocked is None)
        finally:
            client.close()
        if delivered.error is not None:
            national_failed = True
            status, error = RunStatus.FAILED, _national_message(delivered.error)
        if blocked is not None and status is RunStatus.SUCCEEDED:
            status, error = RunStatus.FAILED, blocked
        if source_error is not None:
            status = RunStatus.FAILED
            error = f"source: {source_error}" + (f"; {error}" if error else "")
        if delivered.hash_mismatches:
            ctx.counts["hash_mismatch"] += delivered.hash_mismatches
    except (MappingConfigError, SourceConfigError, ConfigError) as exc:
        status, error = RunStatus.FAILED, f"configuration: {exc}"
    except ConnectorError as exc:
        status, error = RunStatus.FAILED, f"source: {exc}"
    except NationalError as exc:
        national_failed = True
        status, error = RunStatus.FAILED, _national_message(exc)
    except SQLAlchemyError as exc:  # what was committed stays; the next run carries on
        status, error = RunStatus.FAILED, f"state database: {describe_db_error(exc)}"
    except Exception as exc:  # a defect: recorded on the run, shown to the admin, not swallowed
        logger.exception("run %s of %s failed unexpectedly", run.id, src.name)
        status, error = RunStatus.FAILED, f"internal error: {type(exc).__name__}: {exc}"
    if lease.lost and status is RunStatus.SUCCEEDED:
        status, error = RunStatus.FAILED, "the source's lease was lost during the run"
    if stop.is_set() and status is not RunStatus.FAILED:
        status, error = RunStatus.INTERRUPTED, "stopped by a signal after the batch in flight"
    with db.session() as s:
        left = (
            s.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.source == src.name)
            )
            or 0
        )
    if status is not RunStatus.SUCCEEDED or left:
        ctx.counts["failed"] = left
    if status is RunStatus.SUCCEEDED and (ctx.counts["invalid"] or ctx.counts["rejected"]):
        status = RunStatus.PARTIAL
    if status is RunStatus.SUCCEEDED and left:
        status = RunStatus.FAILED
        error = error or f"{left} record(s) could not be delivered and stay in the outbox"
    counts = {k: ctx.counts.get(k, 0) for k in COUNT_KEYS}
    counts.update({k: v for k, v in ctx.counts.items() if k not in counts})
    with db.session() as s:
        row = s.get(Run, run.id)
        assert row is not None
        row.status, row.error, row.counts, row.finished_at = status, error, counts, utcnow()
        run = row
    logger.info(
        "run %s: %s %s",
        run.id,
        status.value,
        " ".join(f"{k}={v}" for k, v in counts.items() if v)
        + (f" error: {error}" if error else ""),
    )
    _report(config, db, run, send=not national_failed)
    return RunResult(src.name, status, Counter(counts), run.id, error)


def _national_message(exc: NationalError) -> str:
    if isinstance(exc, AuthFailed):
        return f"national API refused our credentials: {exc}"
    return f"national API: {exc}"


def _report(config: Config, db: StateDB, run: Run, *, send: bool) -> None:
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
    config: Config, src: SourceConfig, db: StateDB, full: bool, progress: ProgressFn | None
) -> RunResult:
    ctx = RunContext(
        db=db, source=src.name, run_id=None, progress=progress, deletions=src.deletions
    )
    try:
        mapping, connector = _prepare(config, src)
        since = None if full else load_cursor(ctx)
        try:
            extracted = extract(ctx, connector, mapping, since, SourceText(src.text_encoding))
        finally:
            connector.close()
    except (MappingConfigError, ConnectorError, ConfigError) as exc:
        return RunResult(src.name, RunStatus.FAILED, ctx.counts, error=str(exc))
    status = RunStatus.PARTIAL if ctx.counts["invalid"] else RunStatus.SUCCEEDED
    return RunResult(src.name, status, ctx.counts, None, None, extracted.planned)
