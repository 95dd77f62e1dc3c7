"""The daemon: one APScheduler job per enabled source, catch-up at start, clean stop on signals."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from sync import faults, runner
from sync.config import Config, SourceConfig
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus, Trigger, utcnow

logger = logging.getLogger(__name__)

JOB_FUNC = "sync.runner:run_source"
# Retention (sync.retention): once when the daemon starts, then daily.
PRUNE_JOB, PRUNE_FUNC = "prune", "sync.retention:prune_job"


def make_trigger(src: SourceConfig, timezone: str) -> BaseTrigger:
    assert src.schedule is not None
    if src.schedule.cron:
        return CronTrigger.from_crontab(src.schedule.cron, timezone=timezone)
    assert src.schedule.interval is not None
    return IntervalTrigger(seconds=int(src.schedule.interval.total_seconds()), timezone=timezone)


def last_scheduled_run(db: StateDB, source: str) -> datetime | None:
    """When the source's last scheduled run started, crashed runs aside: the run a crashed
    one was for is still owed, so the daemon starting after a crash runs it at once."""
    with db.session() as s:
        return s.scalar(
            select(func.max(Run.started_at)).where(
                Run.source == source,
                Run.trigger == Trigger.SCHEDULE,
                Run.status != RunStatus.CRASHED,
            )
        )


def next_run_after(trigger: BaseTrigger, last: datetime | None, now: datetime) -> datetime | None:
    """When the source is next due: now if a fire time passed since its last scheduled run
    (the daemon was down then), otherwise the trigger's next fire time."""
    if last is None:
        return now
    due = trigger.get_next_fire_time(None, last + timedelta(seconds=1))
    if due is not None and due <= now:
        return now
    return trigger.get_next_fire_time(None, now)


def scheduled_sources(config: Config) -> list[SourceConfig]:
    return [s for s in config.sources.values() if s.enabled and s.schedule is not None]


def build_scheduler(config: Config, db: StateDB) -> BackgroundScheduler:
    sources = scheduled_sources(config)
    sched = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(len(sources) + 1)},  # +1: the prune job
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=config.timezone,
    )
    now = utcnow()
    for src in sources:
        trigger = make_trigger(src, config.timezone)
        first = next_run_after(trigger, last_scheduled_run(db, src.name), now)
        sched.add_job(
            JOB_FUNC,
            trigger,
            id=src.name,
            name=f"sync {src.name}",
            args=[str(config.path), src.name, Trigger.SCHEDULE.value],
            misfire_grace_time=src.misfire_grace,
            next_run_time=first,
            replace_existing=True,
        )
        logger.info(
            "source %s: %s, next run %s",
            src.name,
            src.schedule.describe() if src.schedule else "",
            first.isoformat() if first else "never",
        )
    if sources:
        sched.add_job(
            PRUNE_FUNC,
            IntervalTrigger(days=1, timezone=config.timezone),
            id=PRUNE_JOB,
            name="prune old runs and raw records",
            args=[str(config.path)],
            next_run_time=now,
            misfire_grace_time=None,  # a late prune is still worth doing
            replace_existing=True,
        )
    sched.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return sched


def _on_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        logger.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        logger.error(
            "job %s failed: %s",
            event.job_id,
            event.exception,
            exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
        )


def install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        logger.info("received signal %s: finishing the batch in flight, then stopping", signum)
        stop.set()
        runner.STOP.set()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):  # SIGBREAK: Ctrl+Break on Windows
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, handler)


def run_daemon(
    config: Config,
    *,
    stop: threading.Event | None = None,
    say: Callable[..., None] | None = None,
) -> int:
    """Run until a signal (or `stop`) arrives. Returns the process exit code. `say(key,
    **values)` tells the admin at the terminal, in their language, that the daemon started
    ("daemon_started", jobs=N), found nothing to do ("daemon_nothing", path=…) or stopped
    ("daemon_stopped"); the log keeps its English lines."""
    say = say or (lambda key, **values: None)
    stop = stop or threading.Event()
    db = runner.open_state(config)
    runner.mark_crashed(db)
    sched = build_scheduler(config, db)
    if not sched.get_jobs():
        logger.error("no enabled source has a schedule in %s; nothing to do", config.path)
        say("daemon_nothing", path=config.path)
        db.dispose()
        return 2
    if threading.current_thread() is threading.main_thread():
        install_signal_handlers(stop)
    sched.start()
    logger.info(
        "daemon started with %d job(s); stop it with Ctrl+C or SIGTERM", len(sched.get_jobs())
    )
    say("daemon_started", jobs=len(sched.get_jobs()))
    try:
        while not stop.wait(0.5):
            faults.reach("daemon.tick")
    finally:
        runner.STOP.set()
        sched.shutdown(wait=True)
        runner.STOP.clear()
        db.dispose()
        logger.info("daemon stopped")
        say("daemon_stopped")
    return 0


def next_runs(config: Config, db: StateDB) -> dict[str, datetime | None]:
    """Each scheduled source's next run as the daemon computes it (for `stisync status`)."""
    now = utcnow()
    return {
        src.name: next_run_after(
            make_trigger(src, config.timezone), last_scheduled_run(db, src.name), now
        )
        for src in scheduled_sources(config)
    }
