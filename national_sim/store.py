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

from sqlalchemy import Index, String, Text, UniqueConstraint, delete, func, insert, select, update
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


@dataclass
class _Slot:
    """One record's row while a batch is written: loaded once, changed in memory by each
    item of the batch that names it, saved once. `id` is None for a row not yet inserted;
    `record` is set once an item changes the content."""

    id: int | None
    national_id: str
    sequence: int
    revision: int
    content_hash: str
    deleted_at: datetime | None
    creates: int
    updates: int
    unchanged_writes: int
    record: dict[str, Any] | None = None


# the columns a _Slot is loaded from, after the local_id, in its fields' order
_SLOT_COLUMNS = (TaskRow.local_id, TaskRow.id, TaskRow.national_id, TaskRow.sequence,
                 TaskRow.revision, TaskRow.content_hash, TaskRow.deleted_at, TaskRow.creates,
                 TaskRow.updates, TaskRow.unchanged_writes)
# local_ids per IN (...) list, well under SQLite's limit of bound parameters per statement
_IN_CHUNK = 500


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
        """Create or replace valid records of one batch, in one transaction, with the outcomes
        of writing them one after another: a local_id sent twice is created (or updated) by
        its first item and updated or left unchanged by the next, and new records take the
        next sequence numbers in the order sent.

        A batch costs a fixed number of statements, not a few per record (which made the
        simulator the slow end of a large sync): one SELECT of the rows it names, one "last
        sequence" lookup when it creates any, one INSERT and at most two UPDATEs, each run
        over many rows. The transaction holds SQLite's write lock from BEGIN (IMMEDIATE), so
        no other writer takes a sequence number in between."""
        if not items:
            return []
        with self._session() as s:
            slots = self._slots(s, province, {local_id for local_id, _, _ in items})
            loaded = set(slots)
            last_sequence: int | None = None
            outcomes = []
            for local_id, record, content_hash in items:
                slot = slots.get(local_id)
                if slot is None:
                    if last_sequence is None:
                        last_sequence = s.scalar(select(func.max(TaskRow.sequence))
                                                 .where(TaskRow.province == province)) or 0
                    last_sequence += 1
                    slot = slots[local_id] = _Slot(
                        id=None, national_id=f"VN-{province}-{last_sequence}",
                        sequence=last_sequence, revision=1, content_hash=content_hash,
                        deleted_at=None, creates=1, updates=0, unchanged_writes=0)
                    status = WriteStatus.CREATED
                elif slot.deleted_at is not None:
                    # a withdrawn record sent again comes back under its old national_id
                    slot.deleted_at = None
                    slot.revision += 1
                    slot.creates += 1
                    status = WriteStatus.CREATED
                elif slot.content_hash == content_hash:
                    slot.unchanged_writes += 1
                    status = WriteStatus.UNCHANGED
                else:
                    slot.revision += 1
                    slot.updates += 1
                    status = WriteStatus.UPDATED
                if status is not WriteStatus.UNCHANGED:
                    slot.content_hash = content_hash
                    slot.record = record
                outcomes.append(WriteOutcome(status, slot.national_id, slot.revision,
                                             slot.content_hash))
            self._save(s, province, slots, loaded, now)
            return outcomes

    @staticmethod
    def _slots(s: Session, province: str, local_ids: set[str]) -> dict[str, _Slot]:
        """The stored rows of `local_ids` (live or withdrawn), without their record JSON."""
        slots: dict[str, _Slot] = {}
        names = sorted(local_ids)
        for start in range(0, len(names), _IN_CHUNK):
            query = select(*_SLOT_COLUMNS).where(
                TaskRow.province == province,
                TaskRow.local_id.in_(names[start:start + _IN_CHUNK]))
            for row in s.execute(query):
                local_id, *state = row
                slots[local_id] = _Slot(*state)
        return slots

    @staticmethod
    def _save(s: Session, province: str, slots: dict[str, _Slot], loaded: set[str],
              now: datetime) -> None:
        """Insert the new rows and update the touched ones, each kind as one executemany."""
        inserts: list[dict[str, Any]] = []
        rewrites: list[dict[str, Any]] = []
        recounts: list[dict[str, Any]] = []
        for local_id, slot in slots.items():
            counts = {"creates": slot.creates, "updates": slot.updates,
                      "unchanged_writes": slot.unchanged_writes}
            if local_id not in loaded:
                inserts.append({"province": province, "local_id": local_id,
                                "sequence": slot.sequence, "national_id": slot.national_id,
                                "revision": slot.revision, "content_hash": slot.content_hash,
                                "record_json": _dumps(slot.record), "created_at": now,
                                "updated_at": now, "deleted_at": None, **counts})
            elif slot.record is not None:
                rewrites.append({"id": slot.id, "revision": slot.revision,
                                 "content_hash": slot.content_hash,
                                 "record_json": _dumps(slot.record), "updated_at": now,
                                 "deleted_at": slot.deleted_at, **counts})
            else:  # every write of it in this batch was unchanged
                recounts.append({"id": slot.id, **counts})
        if inserts:
            s.execute(insert(TaskRow), inserts)
        for rows in (rewrites, recounts):
            if rows:
                s.execute(update(TaskRow), rows)

    def identities(self, province: str, local_ids: set[str]) -> dict[str, tuple[str, int]]:
        """local_id -> (national_id, revision) of the live ones among `local_ids`, for the
        answers to rejected writes."""
        if not local_ids:
            return {}
        names = sorted(local_ids)
        found: dict[str, tuple[str, int]] = {}
        with self._session() as s:
            for start in range(0, len(names), _IN_CHUNK):
                query = (select(TaskRow.local_id, TaskRow.national_id, TaskRow.revision)
                         .where(TaskRow.province == province, TaskRow.deleted_at.is_(None),
                                TaskRow.local_id.in_(names[start:start + _IN_CHUNK])))
                found.update((lid, (nid, rev)) for lid, nid, rev in s.execute(query))
        return found

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
