"""The simulator's national database: stored task records and sync reports, in one SQLite file."""

from __future__ import annotations

import enum
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from sync.state.db import make_engine

logger = logging.getLogger(__name__)

DB_FILE = "national-sim.sqlite3"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime kept as ISO 8601 text in UTC, because SQLite drops the offset."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the simulator store")
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class TaskRow(Base):
    """One (province, local_id), kept after a DELETE so its national_id is never reused."""

    __tablename__ = "task"
    # The sequence index makes "next national_id" a lookup, not a scan per created record.
    __table_args__ = (UniqueConstraint("province", "local_id"),
                      Index("ix_task_province_sequence", "province", "sequence"))

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(2))
    local_id: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int]
    national_id: Mapped[str] = mapped_column(String(40), unique=True)
    revision: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    record_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    creates: Mapped[int] = mapped_column(default=0)
    updates: Mapped[int] = mapped_column(default=0)
    unchanged_writes: Mapped[int] = mapped_column(default=0)


class ReportRow(Base):
    __tablename__ = "sync_report"
    __table_args__ = (UniqueConstraint("province", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(40), unique=True)
    province: Mapped[str] = mapped_column(String(2))
    run_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body_json: Mapped[str] = mapped_column(Text)


class WriteStatus(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StoredTask:
    """A live record as the national side holds it."""

    province: str
    local_id: str
    national_id: str
    revision: int
    content_hash: str
    record: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: TaskRow) -> StoredTask:
        return cls(row.province, row.local_id, row.national_id, row.revision, row.content_hash,
                   json.loads(row.record_json), row.created_at, row.updated_at)


@dataclass(frozen=True)
class WriteOutcome:
    status: WriteStatus
    national_id: str
    revision: int
    content_hash: str


class Store:
    """The simulator's SQLite file in `data_dir` (WAL, safe to share between request threads)."""

    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_FILE
        self.engine = make_engine(f"sqlite:///{self.path}")
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    def close(self) -> None:
        self.engine.dispose()

    def clear(self) -> None:
        with self._session() as s:
            s.execute(delete(TaskRow))
            s.execute(delete(ReportRow))

    # Tasks ------------------------------------------------------------------------------------

    def write(self, province: str, local_id: str, record: dict[str, Any], content_hash: str,
              now: datetime) -> WriteOutcome:
        """Create or replace one record; the revision moves only when the hash does."""
        return self.write_many(province, [(local_id, record, content_hash)], now)[0]

    def write_many(self, province: str, items: list[tuple[str, dict[str, Any], str]],
                   now: datetime) -> list[WriteOutcome]:
        """Create or replace valid records of one batch, in one transaction."""
        with self._session() as s:
            return [self._write(s, province, local_id, record, content_hash=content_hash, now=now)
                    for local_id, record, content_hash in items]

    def _write(self, s: Session, province: str, local_id: str, record: dict[str, Any], *,
               content_hash: str, now: datetime) -> WriteOutcome:
        row = s.scalar(select(TaskRow).where(TaskRow.province == province,
                                             TaskRow.local_id == local_id))
        if row is None:
            seq = (s.scalar(select(func.max(TaskRow.sequence))
                            .where(TaskRow.province == province)) or 0) + 1
            row = TaskRow(province=province, local_id=local_id, sequence=seq,
                          national_id=f"VN-{province}-{seq}", revision=1,
                          content_hash=content_hash, record_json=_dumps(record),
                          created_at=now, updated_at=now, deleted_at=None,
                          creates=1, updates=0, unchanged_writes=0)
            s.add(row)
            s.flush()  # the next created record's sequence must see this one
            status = WriteStatus.CREATED
        elif row.deleted_at is not None:
            # a withdrawn record sent again comes back under its old national_id
            row.deleted_at = None
            row.revision += 1
            row.creates += 1
            status = WriteStatus.CREATED
        elif row.content_hash == content_hash:
            row.unchanged_writes += 1
            status = WriteStatus.UNCHANGED
        else:
            row.revision += 1
            row.updates += 1
            status = WriteStatus.UPDATED
        if status is not WriteStatus.UNCHANGED:
            row.content_hash = content_hash
            row.record_json = _dumps(record)
            row.updated_at = now
        return WriteOutcome(status, row.national_id, row.revision, row.content_hash)

    def identity(self, province: str, local_id: str) -> tuple[str, int] | None:
        """(national_id, revision) of a live record, for the answer to a rejected write."""
        with self._session() as s:
            row = s.scalar(self._live(province).where(TaskRow.local_id == local_id))
            return (row.national_id, row.revision) if row else None

    def get(self, province: str, local_id: str) -> StoredTask | None:
        with self._session() as s:
            row = s.scalar(self._live(province).where(TaskRow.local_id == local_id))
            return StoredTask.of(row) if row else None

    def delete(self, province: str, local_id: str, now: datetime) -> bool:
        with self._session() as s:
            row = s.scalar(self._live(province).where(TaskRow.local_id == local_id))
            if row is None:
                return False
            row.deleted_at = now
            return True

    def page(self, province: str, after: str | None, limit: int) -> list[StoredTask]:
        """Live records in local_id order, starting after `after`."""
        query = self._live(province).order_by(TaskRow.local_id).limit(limit)
        if after is not None:
            query = query.where(TaskRow.local_id > after)
        with self._session() as s:
            return [StoredTask.of(r) for r in s.scalars(query)]

    def tasks(self, province: str | None = None) -> list[StoredTask]:
        query = select(TaskRow).where(TaskRow.deleted_at.is_(None))
        if province is not None:
            query = query.where(TaskRow.province == province)
        with self._session() as s:
            return [StoredTask.of(r) for r in s.scalars(query.order_by(TaskRow.province,
                                                                         TaskRow.local_id))]

    def write_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """province -> local_id -> {"created", "updated", "unchanged"} writes so far."""
        counts: dict[str, dict[str, dict[str, int]]] = {}
        with self._session() as s:
            for row in s.scalars(select(TaskRow).order_by(TaskRow.province, TaskRow.local_id)):
                counts.setdefault(row.province, {})[row.local_id] = {
                    "created": row.creates, "updated": row.updates,
                    "unchanged": row.unchanged_writes,
                }
        return counts

    @staticmethod
    def _live(province: str) -> Any:
        return select(TaskRow).where(TaskRow.province == province, TaskRow.deleted_at.is_(None))

    # Sync reports -----------------------------------------------------------------------------

    def add_report(self, province: str, report: dict[str, Any], now: datetime) -> tuple[str, bool]:
        """(report_id, stored now); a run_id already reported gets its first report_id back."""
        run_id = str(report["run_id"])
        with self._session() as s:
            existing = s.scalar(select(ReportRow.report_id).where(
                ReportRow.province == province, ReportRow.run_id == run_id))
            if existing is not None:
                return existing, False
            report_id = uuid.uuid4().hex
            s.add(ReportRow(report_id=report_id, province=province, run_id=run_id,
                            received_at=now, body_json=_dumps(report)))
            return report_id, True

    def reports(self, province: str | None, since: datetime | None) -> list[dict[str, Any]]:
        query = select(ReportRow).order_by(ReportRow.received_at, ReportRow.id)
        if province is not None:
            query = query.where(ReportRow.province == province)
        if since is not None:
            query = query.where(ReportRow.received_at >= since)
        with self._session() as s:
            return [json.loads(r.body_json) | {"report_id": r.report_id, "province": r.province,
                                               "received_at": r.received_at.isoformat()}
                    for r in s.scalars(query)]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
