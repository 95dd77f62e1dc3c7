"""Raw records kept: the last payload read of each source record, as the connector gave it.

A mapping fix should not need the source again: the file may have been replaced, the
provincial API may be down, an OAI-PMH repository may only serve what changed. So every run
keeps what it read (one row per source and record key, replaced when the record is read
again), written in the transaction of the chunk it belongs to, and `stisync sync --remap`
and `stisync quarantine retry` map it again from here.

Payloads hold what JSON cannot say (a spreadsheet's dates and times, a database's decimals),
and mapping depends on those types: an Excel date cell is read differently from the text
"01/02/2024". `encode` tags such values so that `decode` gives back the same Python values.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from connectors import SourceRecord
from sync.state.models import RawRecord

# A tagged value is a one-key object whose key starts with "$"; a payload object that itself
# has such a key is wrapped in {"$map": ...} so that it is never taken for one.
_TAG = "$"


def encode(value: Any) -> Any:
    """`value` as JSON that `decode` turns back into an equal value of the same type."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Mapping):
        obj = {str(k): encode(v) for k, v in value.items()}
        return {"$map": obj} if any(k.startswith(_TAG) for k in obj) else obj
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    # Connectors hand over plain values; anything else is kept as the text it reads as.
    return str(value)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$float": float,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$timedelta": lambda s: timedelta(seconds=s),
    "$decimal": Decimal,
}


def decode(value: Any) -> Any:
    """The Python value `encode` was given."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$map":
            return {k: decode(v) for k, v in inner.items()}
        if key in _DECODERS:
            return _DECODERS[key](inner)
    return {k: decode(v) for k, v in value.items()}


def shown(value: Any) -> Any:
    """A decoded payload as plain JSON for a person or a program to read: dates as ISO text,
    as they were read (a naive spreadsheet date stays naive; no time zone is invented)."""
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shown(v) for v in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (timedelta, Decimal)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def keep(
    s: Session,
    source: str,
    run_id: int,
    rows: Iterable[tuple[str, str | None, SourceRecord]],
    fetched_at: datetime,
) -> None:
    """Keep the payloads of `rows` — (record key, local id, the record as read) — replacing
    what was kept for those keys. A record read twice in one chunk keeps its last reading.

    A record read as it was kept (the same digest) only has its reading time and run moved,
    in one statement for the chunk: most of a full read is unchanged, and writing every
    payload again made a re-sync a quarter slower."""
    latest = {key: (lid, rec) for key, lid, rec in rows}
    if not latest:
        return
    encoded = {key: encode(rec.payload) for key, (_lid, rec) in latest.items()}
    digests = {
        key: _digest(encoded[key], lid, rec) for key, (lid, rec) in latest.items()
    }
    known = {
        key: digest
        for key, digest in s.execute(
            select(RawRecord.record_key, RawRecord.digest).where(
                RawRecord.source == source, RawRecord.record_key.in_(list(latest))
            )
        )
    }
    same = [key for key in latest if known.get(key) == digests[key]]
    if same:
        s.execute(
            update(RawRecord)
            .where(RawRecord.source == source, RawRecord.record_key.in_(same))
            .values(fetched_at=fetched_at, run_id=run_id),
            execution_options={"synchronize_session": False},
        )
    changed = [key for key in latest if key not in set(same)]
    forget(s, source, [key for key in changed if key in known])
    s.add_all(
        RawRecord(
            source=source,
            record_key=key,
            local_id=latest[key][0],
            record_id=latest[key][1].record_id,
            payload=encoded[key],
            origin=dict(latest[key][1].origin),
            modified_at=latest[key][1].modified_at,
            fetched_at=fetched_at,
            run_id=run_id,
            digest=digests[key],
        )
        for key in changed
    )


def _digest(payload: Any, local_id: str | None, rec: SourceRecord) -> str:
    """What tells a reading from the one kept: payload, place, modification time and ids."""
    modified = rec.modified_at.isoformat() if rec.modified_at else None
    text = json.dumps([payload, dict(rec.origin), modified, rec.record_id, local_id],
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def forget(s: Session, source: str, keys: Iterable[str]) -> None:
    """Drop the kept payloads of `keys` (a record the source deleted: nothing to map again)."""
    keys = list(keys)
    if keys:
        # Through the session's own flush first: a row added earlier in this transaction
        # must not come back after the DELETE.
        s.flush()
        s.execute(
            delete(RawRecord).where(RawRecord.source == source, RawRecord.record_key.in_(keys))
        )


def as_source_record(row: RawRecord) -> SourceRecord:
    """The kept record as the connector gave it, for `check` to map again."""
    return SourceRecord(
        source=row.source,
        record_id=row.record_id,
        modified_at=row.modified_at,
        payload=decode(row.payload),
        origin=row.origin or {},
    )
