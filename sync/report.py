"""Sync reports: built from a finished run, kept until the national side acknowledges them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select

from stisync import __version__
from sync.national import NationalClient, NationalError
from sync.state.db import StateDB
from sync.state.models import Outcome, PendingReport, RecordEvent, Run, RunStatus, Trigger

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
_REPORT_STATUS = {RunStatus.SUCCEEDED: "succeeded", RunStatus.PARTIAL: "partial"}
# The contract knows schedule, manual and retry: a repair an admin asked for is manual.
_REPORT_TRIGGER = {Trigger.RECONCILE: "manual"}


def _iso(dt: Any) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def build_report(db: StateDB, run: Run) -> dict[str, Any]:
    c = run.counts or {}
    counts = {
        "fetched": c.get("fetched", 0),
        "created": c.get("created", 0),
        "updated": c.get("updated", 0),
        "unchanged": c.get("unchanged", 0),
        "deleted": c.get("deleted", 0),
        # Records refused, here (invalid) or there (rejected): both need fixing at the source.
        "rejected": c.get("rejected", 0) + c.get("invalid", 0),
        "failed": c.get("failed", 0),
    }
    errors: list[dict[str, Any]] = []
    total = 0
    with db.session() as s:
        events = s.scalars(
            select(RecordEvent)
            .where(
                RecordEvent.run_id == run.id,
                RecordEvent.outcome.in_([Outcome.INVALID, Outcome.REJECTED]),
            )
            .order_by(RecordEvent.id)
        )
        for ev in events:
            for p in ev.problems or [{}]:
                total += 1
                if len(errors) < MAX_ERRORS:
                    errors.append(
                        {
                            "local_id": ev.local_id or ev.record_id,
                            "field": p.get("path", ""),
                            "code": p.get("code", ""),
                            "message": p.get("message_vi", ""),
                        }
                    )
    if run.error and len(errors) < MAX_ERRORS:
        errors.insert(0, {"local_id": "", "field": "", "code": "run_failed", "message": run.error})
        total += 1
    report: dict[str, Any] = {
        "run_id": run.run_uid,
        "source": run.source,
        "trigger": _REPORT_TRIGGER.get(run.trigger, run.trigger.value),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "status": _REPORT_STATUS.get(run.status, "failed"),
        "counts": counts,
        "errors": errors,
        "client": f"stisync/{__version__}",
    }
    if total > len(errors):
        report["errors_truncated"] = total - len(errors)
    return report


def queue_report(db: StateDB, run: Run) -> None:
    report = build_report(db, run)
    with db.session() as s:
        s.merge(PendingReport(run_id=run.id, report=report, attempts=0))


def send_pending(db: StateDB, client: NationalClient, source: str) -> int:
    """Send the source's reports not yet acknowledged (this run's and earlier failed ones).
    Per source, because the source's lease keeps two senders of one report apart."""
    sent = 0
    with db.session() as s:
        pending = list(
            s.scalars(
                select(PendingReport)
                .join(Run, Run.id == PendingReport.run_id)
                .where(Run.source == source)
                .order_by(PendingReport.run_id)
            )
        )
    for p in pending:
        try:
            report_id = client.send_report(p.report)
        except NationalError as exc:
            logger.warning(
                "sync report for run %s not sent (will retry after the next run): %s", p.run_id, exc
            )
            with db.session() as s:
                row = s.get(PendingReport, p.run_id)
                if row is not None:
                    row.attempts += 1
                    row.last_error = str(exc)[:2000]
            break
        with db.session() as s:
            s.execute(delete(PendingReport).where(PendingReport.run_id == p.run_id))
            run = s.get(Run, p.run_id)
            if run is not None:
                run.report_id = report_id
        sent += 1
    return sent
