"""The `oaipmh` connector: task records harvested from an OAI-PMH repository."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import requests
from lxml import etree

from connectors.base import Connector, SourceRecord
from connectors.errors import SourceConfigError
from connectors.http import retry_policy
from connectors.oaipmh.cerif import Entities, is_project
from connectors.oaipmh.datestamps import parse_datestamp
from connectors.oaipmh.document import Item, Repository
from connectors.oaipmh.harvest import Found, Harvester
from connectors.oaipmh.options import read_settings

logger = logging.getLogger(__name__)

PROJECTS_SET = "openaire_cris_projects"
_OPENAIRE_SETS = "openaire_cris_"


class OaiPmhConnector(Connector):
    """Harvests one repository with ListRecords and yields each record as a SourceRecord.

    Options are checked in the constructor; nothing goes over the network until the first
    `next()` on `records()`. `sleep` is what retries and Retry-After waits use (tests pass a
    recorder, so they never wait).
    """

    kind: ClassVar[str] = "oaipmh"

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(name, options, base_dir=base_dir)
        self.settings = read_settings(name, self.options, self.base_dir)
        self.policy = retry_policy(self.settings.retries, sleep=sleep)
        self._session: requests.Session | None = None

    def records(self, since: datetime | None = None) -> Generator[SourceRecord, None, None]:
        """Records changed at or after `since` minus the overlap (every record when None),
        deleted ones included. With `cerif = true` only Projects are yielded, with the
        OrgUnits, Persons and Fundings they refer to inlined."""
        if since is not None and since.tzinfo is None:
            raise ValueError(f"since {since.isoformat()} is naive; pass a timezone-aware datetime")
        start = since - self.settings.overlap if since is not None else None
        harvester = Harvester(self.name, self.settings, self._open(), self.policy)
        try:
            if self.settings.cerif:
                yield from self._projects(harvester, start)
            else:
                for found in harvester.list_records(self.settings.set_spec, start):
                    yield self._record(found, found.item.metadata)
        finally:
            self.close()

    def identify(self) -> Repository:
        """What the repository says of itself (name, granularity, earliest datestamp)."""
        try:
            return Harvester(self.name, self.settings, self._open(), self.policy).identify()
        finally:
            self.close()

    def get_record(self, identifier: str) -> SourceRecord | None:
        """One record by its OAI identifier (GetRecord), as `records` would give it; an
        identifier the repository does not know is a SourceConfigError on `identifier`."""
        try:
            harvester = Harvester(self.name, self.settings, self._open(), self.policy)
            harvester.identify()
            found = harvester.get_record(identifier)
            if found is None:
                return None
            metadata = found.item.metadata
            if self.settings.cerif and is_project(metadata) and metadata is not None:
                entities = Entities(self.name, self._set_loader(harvester))
                metadata = entities.inline(metadata, found.item.header.identifier)
            return self._record(found, metadata)
        finally:
            self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -----------------------------------------------------------------------------------------

    def _open(self) -> requests.Session:
        self.close()
        session = requests.Session()
        session.headers["Accept"] = "text/xml, application/xml"
        self._session = session
        return session

    def _projects(self, harvester: Harvester,
                  start: datetime | None) -> Iterator[SourceRecord]:
        entities = Entities(self.name, self._set_loader(harvester))
        for page in harvester.list_pages(self.settings.set_spec, start):
            # Entities published beside the Projects that name them resolve without asking for
            # their whole set.
            for found in page:
                entities.add(found.item.metadata)
            yield from self._resolved(page, entities)

    def _resolved(self, page: list[Found], entities: Entities) -> Iterator[SourceRecord]:
        for found in page:
            item = found.item
            if item.header.deleted:
                if self._may_be_project(item):
                    yield self._record(found, None)
            elif is_project(item.metadata) and item.metadata is not None:
                yield self._record(found, entities.inline(item.metadata,
                                                          item.header.identifier))

    def _may_be_project(self, item: Item) -> bool:
        """A deleted record has no metadata to tell its kind; its sets may."""
        sets = set(item.header.sets) or {s for s in [self.settings.set_spec] if s}
        return (not sets or PROJECTS_SET in sets
                or not any(s.startswith(_OPENAIRE_SETS) for s in sets))

    def _set_loader(self, harvester: Harvester) -> Callable[[str], Iterator[etree._Element]]:
        def load(set_spec: str) -> Iterator[etree._Element]:
            try:
                for found in harvester.list_records(set_spec):
                    if found.item.metadata is not None:
                        yield found.item.metadata
            except SourceConfigError as exc:
                if exc.key != "set":
                    raise
                logger.warning("%s: cannot read set %s to resolve CERIF references: %s",
                               self.name, set_spec, exc.message)
        return load

    def _record(self, found: Found, metadata: etree._Element | None) -> SourceRecord:
        header = found.item.header
        origin = {"url": found.url, "page": found.page, "index": found.index}
        if header.identifier:
            origin["identifier"] = header.identifier
        where = f"{found.url} (page {found.page}, item {found.index})"
        if not header.identifier:
            # Passed on rather than dropped: the run reports it as a record without an id.
            logger.warning("%s: the record at %s has no identifier in its header", self.name,
                           where)
        if found.document.repaired_lines and self._touched(found):
            logger.warning("%s: record %r (%s) had characters that XML 1.0 forbids; they were "
                           "removed and its text may be incomplete", self.name,
                           header.identifier, where)
        modified_at = None
        try:
            modified_at = parse_datestamp(header.datestamp).astimezone(timezone.utc)
        except ValueError as exc:
            logger.warning("%s: record %r (%s): datestamp %s; its modification time is unknown",
                           self.name, header.identifier, where, exc)
        payload: dict[str, Any] = {"oai_identifier": header.identifier,
                                   "datestamp": header.datestamp, "sets": list(header.sets)}
        if metadata is not None and not header.deleted:
            payload["_xml"] = _serialize(metadata)
        return SourceRecord(self.name, header.identifier, modified_at, payload,
                            deleted=header.deleted, origin=origin)

    @staticmethod
    def _touched(found: Found) -> bool:
        """Whether a repaired line of the page falls inside this record."""
        records = found.document.root.iterfind(".//{*}ListRecords/{*}record")
        lines = [r.sourceline or 0 for r in records]
        first = found.item.line or 0
        later = [n for n in lines if n > first]
        last = min(later) if later else None
        return any(first <= n and (last is None or n < last)
                   for n in found.document.repaired_lines)


def _serialize(element: etree._Element) -> str:
    """The element as text, declaring only the namespaces it uses (not the envelope's)."""
    alone = deepcopy(element)
    alone.tail = None
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, encoding="unicode")
