"""The oaipmh connector against a real OAI-PMH server (package `oaipmh`) on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
from lxml import etree
from oaipmh import common, error, metadata, server

from connectors.base import SourceRecord
from connectors.errors import SourceConfigError, SourceUnavailable
from connectors.oaipmh import OaiPmhConnector
from stisync.wsgi import start_background

UTC = timezone.utc
T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
DC = "http://purl.org/dc/elements/1.1/"
PAGE_SIZE = 7


@dataclass
class Entry:
    fields: dict[str, list[str]]
    datestamp: datetime
    deleted: bool = False
    sets: list[str] = field(default_factory=lambda: ["nhiem-vu"])


class Repository:
    """An in-memory repository behind the package's IOAI interface."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.requests: list[dict[str, str]] = []

    def put(self, n: int, when: datetime, title: str | None = None) -> None:
        self.entries[f"oai:kho.test:nv/{n}"] = Entry(
            {"title": [title or f"Nhiệm vụ số {n}"], "creator": [f"TS. Người {n}"],
             "date": ["2024-01", "2025-12"]}, when)

    def delete(self, n: int, when: datetime) -> None:
        entry = self.entries[f"oai:kho.test:nv/{n}"]
        entry.deleted, entry.datestamp = True, when

    # IOAI ------------------------------------------------------------------------------------

    def identify(self) -> common.Identify:
        return common.Identify("Kho thử nghiệm", "http://kho.test/oai", "2.0", ["kho@kho.test"],
                               _naive(T0 - timedelta(days=365)), "persistent",
                               "YYYY-MM-DDThh:mm:ssZ", ["identity"], toolkit_description=False)

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return [("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                 "http://www.openarchives.org/OAI/2.0/oai_dc/")]

    def listSets(self) -> list[tuple[str, str, None]]:
        return [("nhiem-vu", "Nhiệm vụ KH&CN", None)]

    def listRecords(self, metadataPrefix: str, set: str | None = None,
                    from_: datetime | None = None, until: datetime | None = None,
                    ) -> list[tuple[Any, Any, None]]:
        if metadataPrefix != "oai_dc":
            raise error.CannotDisseminateFormatError(metadataPrefix)
        start, end = _aware(from_), _aware(until)
        chosen = sorted((e.datestamp, ident) for ident, e in self.entries.items()
                        if (start is None or e.datestamp >= start)
                        and (end is None or e.datestamp <= end)
                        and (set is None or set in self.entries[ident].sets))
        return [self._record(ident) for _, ident in chosen]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        if identifier not in self.entries:
            raise error.IdDoesNotExistError(identifier)
        return self._record(identifier)

    def _record(self, ident: str) -> tuple[Any, Any, None]:
        e = self.entries[ident]
        header = common.Header(None, ident, _naive(e.datestamp), e.sets, e.deleted)
        return header, (None if e.deleted else common.Metadata(None, e.fields)), None


def _naive(when: datetime) -> datetime:
    """The package reads and writes datestamps as naive UTC datetimes."""
    return when.astimezone(UTC).replace(tzinfo=None)


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None else None


def wsgi(repo: Repository) -> Any:
    registry = metadata.MetadataRegistry()
    registry.registerWriter("oai_dc", server.oai_dc_writer)
    oai = server.Server(repo, registry, resumption_batch_size=PAGE_SIZE)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        repo.requests.append(query)
        body = oai.handleRequest(query)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]

    return app


@pytest.fixture
def repository() -> Iterator[tuple[Repository, str]]:
    repo = Repository()
    for n in range(1, 31):
        repo.put(n, T0 + timedelta(hours=n))
    for n in (4, 17, 29):
        repo.delete(n, T0 + timedelta(hours=n, minutes=30))
    with start_background(wsgi(repo)) as running:
        yield repo, running.url + "/oai"


def harvest(url: str, since: datetime | None = None, **options: Any) -> list[SourceRecord]:
    return list(OaiPmhConnector("kho", {"url": url, **options}).records(since))


def test_a_whole_repository_is_harvested_over_several_pages(
        repository: tuple[Repository, str]) -> None:
    repo, url = repository
    got = harvest(url)
    assert [r.record_id for r in got] == [f"oai:kho.test:nv/{n}" for n in range(1, 31)]
    assert {r.record_id for r in got if r.deleted} == {f"oai:kho.test:nv/{n}"
                                                         for n in (4, 17, 29)}
    pages = [q for q in repo.requests if q.get("verb") == "ListRecords"]
    assert len(pages) == 5 and all("resumptionToken" in q for q in pages[1:])
    first = got[0]
    assert first.modified_at == datetime(2025, 1, 1, 9, tzinfo=UTC)
    title = etree.fromstring(first.payload["_xml"]).findtext(f"{{{DC}}}title")
    assert title == "Nhiệm vụ số 1"
    assert {r.origin["page"] for r in got} == {1, 2, 3, 4, 5}


def _content(records: list[SourceRecord]) -> dict[str, tuple[bool, str | None]]:
    return {r.record_id: (r.deleted, r.payload.get("_xml")) for r in records}


def test_the_next_harvest_returns_exactly_what_changed(
        repository: tuple[Repository, str]) -> None:
    repo, url = repository
    first = harvest(url)
    cursor = max(r.modified_at for r in first if r.modified_at is not None)
    later = T0 + timedelta(days=3)
    repo.put(31, later)                                          # added
    repo.put(7, later + timedelta(minutes=1), "Nhiệm vụ số 7 (đã sửa tên)")   # changed
    repo.delete(12, later + timedelta(minutes=2))               # deleted
    second = harvest(url, cursor)
    before = _content(first)
    # What the sync layer keeps: records whose content differs from what it already has.
    changed = {i for i, c in _content(second).items() if before.get(i) != c}
    assert changed == {"oai:kho.test:nv/31", "oai:kho.test:nv/7", "oai:kho.test:nv/12"}
    assert {r.record_id for r in second if r.deleted} >= {"oai:kho.test:nv/12"}
    # Besides the changes, only the overlap's hour before the cursor is read again.
    again = {r.record_id for r in second} - changed
    assert all(r.modified_at is not None and r.modified_at >= cursor - timedelta(hours=1)
               for r in second if r.record_id in again)
    asked_from = [q["from"] for q in repo.requests if "from" in q]
    assert asked_from == [(cursor - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_a_harvest_after_no_change_returns_only_the_overlap(
        repository: tuple[Repository, str]) -> None:
    _, url = repository
    first = harvest(url)
    cursor = max(r.modified_at for r in first if r.modified_at is not None)
    again = harvest(url, cursor, overlap="0s")
    assert [r.record_id for r in again] == ["oai:kho.test:nv/30"]
    assert _content(again).items() <= _content(first).items()


def test_nothing_is_requested_before_the_first_record_is_asked_for(
        repository: tuple[Repository, str]) -> None:
    repo, url = repository
    records = OaiPmhConnector("kho", {"url": url}).records()
    assert repo.requests == []
    next(records)
    assert [q["verb"] for q in repo.requests] == ["Identify", "ListRecords"]
    records.close()


def test_a_format_the_server_does_not_have_names_the_option(
        repository: tuple[Repository, str]) -> None:
    _, url = repository
    with pytest.raises(SourceConfigError) as caught:
        harvest(url, metadata_prefix="marcxml")
    assert caught.value.key == "metadata_prefix"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/oai"


def test_a_server_that_hangs_is_unavailable(silent_server: str) -> None:
    sleeps: list[float] = []
    connector = OaiPmhConnector("kho", {"url": silent_server, "timeout": 0.5, "retries": 2},
                                sleep=sleeps.append)
    with pytest.raises(SourceUnavailable) as caught:
        list(connector.records())
    assert str(caught.value) == (
        f"kho: {silent_server}?verb=Identify did not answer within 0.5 s (2 attempts)")
    assert len(sleeps) == 1
