"""The state tables: runs, per-record state and events, outbox, quarantine, cursors, locks."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps (SQLite: none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state database")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RunStatus(enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every record delivered or unchanged
    PARTIAL = "partial"  # delivered, but some records quarantined or rejected
    FAILED = "failed"  # the source or the national side failed; pending records stay in the outbox
    INTERRUPTED = "interrupted"  # stopped by a signal after finishing the batch in flight
    CRASHED = "crashed"  # found still "running" after its process died


class Trigger(enum.Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    RETRY = "retry"
    RECONCILE = "reconcile"  # `stisync reconcile --repair`; reported to the national side as manual


class Outcome(enum.Enum):
    """What happened to one record in one run."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # hash equal to the last delivered one: nothing sent
    QUEUED = "queued"  # changed, waiting in the outbox (delivery failed or dry run)
    INVALID = "invalid"  # failed mapping or validation: quarantined, not sent
    REJECTED = "rejected"  # sent, refused by the national side: quarantined
    FAILED = "failed"  # could not be delivered this run (stays in the outbox)
    GONE = "gone"  # the source no longer has it (deletions = "report": nothing sent)
    DELETED = "deleted"  # withdrawn from the national database (deletions = "propagate")
    DEAD = "dead"  # failed delivery too often: moved to the dead letters, sent no more


class Operation(enum.Enum):
    """What an outbox item asks of the national side."""

    UPSERT = "upsert"
    DELETE = "delete"


class QuarantineReason(enum.Enum):
    INVALID = "invalid"
    REJECTED = "rejected"
    # The national side failed on it (5xx, a cut connection) when it was sent alone while it
    # answered the others: it stays in the outbox and is tried again each run; `attempts`
    # counts the runs it so failed.
    FAILING = "failing"
    # Rejected, or failing, `dead_after` times: no longer sent automatically, whatever its
    # content, until `stisync quarantine retry`; it never holds up the other records.
    DEAD = "dead"


def _enum(e: type[enum.Enum]) -> Enum:
    # Stored as their values, as plain strings, so that logs read the same in SQL as in the CLI.
    return Enum(
        e,
        values_callable=lambda x: [m.value for m in x],
        native_enum=False,
        length=20,
        validate_strings=True,
    )


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_uid: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[Trigger] = mapped_column(_enum(Trigger))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus), index=True)
    full: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    scheduled_for: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # English: sync reports and logs carry it
    # The same error in Vietnamese, for the province's admin (sync.runner.RunError); empty
    # on runs recorded before it was kept, and on runs whose error has no Vietnamese.
    error_vi: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None]
    report_id: Mapped[str | None] = mapped_column(String(100))


class RecordState(Base):
    """The last known version of each record of each source, and what the national side holds."""

    __tablename__ = "record_state"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(500))
    delivered_hash: Mapped[str | None] = mapped_column(String(64))
    delivered_record: Mapped[dict[str, Any] | None]
    national_id: Mapped[str | None] = mapped_column(String(64))
    revision: Mapped[int | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    missing_since: Mapped[datetime | None]  # reported deleted by, or absent from, the source


class OutboxItem(Base):
    """A record version waiting to be delivered; at most one per (source, local_id)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_source_local", "source", "local_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    local_id: Mapped[str] = mapped_column(String(128))
    record_id: Mapped[str] = mapped_column(String(500))
    op: Mapped[Operation] = mapped_column(
        _enum(Operation), default=Operation.UPSERT, server_default=Operation.UPSERT.value
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]]
    origin: Mapped[dict[str, Any] | None]
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Source values converted from a legacy encoding, as they were (MapResult.originals).
    originals: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RecordEvent(Base):
    """The outcome of one record in one run, with its problems."""

    __tablename__ = "record_events"
    __table_args__ = (
        Index("ix_events_run", "run_id", "id"),
        # One record's history (`stisync quarantine show`) without reading every event.
        Index("ix_events_record", "source", "local_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    source: Mapped[str] = mapped_column(String(100))
    local_id: Mapped[str | None] = mapped_column(String(128))
    record_id: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    where: Mapped[str | None] = mapped_column(String(500))
    problems: Mapped[list[Any] | None]
    at: Mapped[datetime]
    originals: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class QuarantineItem(Base):
    """A record held back, with why; it stays until a later run finds it valid and delivered."""

    __tablename__ = "quarantine"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    local_id: Mapped[str | None] = mapped_column(String(128))
    record_id: Mapped[str] = mapped_column(String(500))
    reason: Mapped[QuarantineReason] = mapped_column(_enum(QuarantineReason))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    problems: Mapped[list[Any]]
    where: Mapped[str | None] = mapped_column(String(500))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    attempts: Mapped[int] = mapped_column(default=1)
    originals: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RawRecord(Base):
    """The last payload read of a source record, as its connector gave it (types tagged: see
    sync.raw_records), so that a mapping change can be applied without reading the source
    again. One row per (source, record key: the quarantine's key), replaced at each read."""

    __tablename__ = "raw_records"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    local_id: Mapped[str | None] = mapped_column(String(128))
    record_id: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]]
    origin: Mapped[dict[str, Any] | None]
    modified_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    # SHA-256 of what was read: a reading equal to the kept one only moves fetched_at.
    digest: Mapped[str] = mapped_column(String(64))


class SourceCursor(Base):
    """How far each source has been read, written in the same transaction as its outbox rows."""

    __tablename__ = "cursors"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class SourceLock(Base):
    """A lease on a source: one run at a time, across processes and hosts."""

    __tablename__ = "locks"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PendingReport(Base):
    """A sync report that the national side has not acknowledged yet; re-sent after the next run."""

    __tablename__ = "pending_reports"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    report: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
