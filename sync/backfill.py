"""Reads that are not a source's regular one: from a date the admin chooses (`sync --since`),
or of a few named records only (`sync --record`).

Both are partial by design, so a backfill never moves the source's saved cursor (a read from
an earlier date must not send the next regular run back, and a read of three records says
nothing about the others) and never takes a record it did not meet for a deletion. What it
reads goes the normal way: mapped, validated, hashed, and queued only when the content hash
differs from the one last delivered.

Connectors offer no lookup by id, so `--record` reads the source from the start, keeps the
named records, and stops reading as soon as every one of them was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from connectors import Connector, SourceRecord
from schemas.mapping.transforms.ids import local_id as make_local_id


@dataclass
class Backfill:
    """What to read instead of "everything changed since the cursor": records changed since
    `since`, or only `record_ids` (source record ids, or their national local_ids)."""

    since: datetime | None = None
    record_ids: tuple[str, ...] = ()
    found: set[str] = field(default_factory=set)  # the record_ids met so far, as given
    local_ids: set[str] = field(default_factory=set)  # ... and the local_ids they map to

    def __post_init__(self) -> None:
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError(f"since must be timezone-aware, not {self.since!r}")
        # The same id given twice is one record to look for.
        self.record_ids = tuple(dict.fromkeys(i.strip() for i in self.record_ids if i.strip()))

    @property
    def selective(self) -> bool:
        """True for `--record`: only the named records are read, queued and delivered."""
        return bool(self.record_ids)

    def records(self, connector: Connector, namespace: str) -> Iterator[SourceRecord]:
        """The records to handle: the connector's from `since`, or only the named ones."""
        if not self.selective:
            return connector.records(self.since)
        return self._named(connector.records(None), namespace)

    def not_found(self) -> list[str]:
        """The ids asked for that the read did not meet, in the order given."""
        return [i for i in self.record_ids if i not in self.found]

    def _named(self, stream: Iterator[SourceRecord], namespace: str) -> Iterator[SourceRecord]:
        # An id matches by its local_id, so that the admin may give either the source's id
        # ("NV-2023-003", normalised as a sync normalises it) or the national one
        # ("tinh-csv:NV-2023-003", as `reconcile` and `logs` show it).
        wanted: dict[str, str] = {}
        for given in self.record_ids:
            wanted.setdefault(make_local_id(namespace, given), given)
            if given.startswith(f"{namespace}:"):
                wanted.setdefault(given, given)
        try:
            for rec in stream:
                if not rec.record_id.strip():
                    continue
                lid = make_local_id(namespace, rec.record_id)
                asked = wanted.get(lid)
                if asked is None:
                    continue
                self.found.add(asked)
                self.local_ids.add(lid)
                yield rec
                if len(self.found) == len(self.record_ids):
                    return  # every one found: the rest of the source need not be read
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
