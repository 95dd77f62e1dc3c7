"""The oaipmh connector against a real OAI-PMH server (package `oaipmh`) on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from connectors.base import SourceRecord
from connectors.errors import SourceConfigError, SourceUnavailable
from connectors.oaipmh import OaiPmhConnector
from tests import oai_fixtures
from tests.oai_fixtures import DC, T0, UTC, Repository

oai_repository = oai_fixtures.oai_repository


def harvest(url: str, since: datetime | None = None, **options: Any) -> list[SourceRecord]:
    return list(OaiPmhConnector("kho", {"url": url, **options}).records(since))


def test_a_whole_repository_is_harvested_over_several_pages(
    oai_repository: tuple[Repository, str],
) -> None:
    repo, url = oai_repository
    got = harvest(url)
    assert [r.record_id for r in got] == [f"oai:kho.test:nv/{n}" for n in range(1, 31)]
    assert {r.record_id for r in got if r.deleted} == {f"oai:kho.test:nv/{n}" for n in (4, 17, 29)}
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
    oai_repository: tuple[Repository, str],
) -> None:
    repo, url = oai_repository
    first = harvest(url)
    cursor = max(r.modified_at for r in first if r.modified_at is not None)
    later = T0 + timedelta(days=3)
    repo.put(31, later)  # added
    repo.put(7, later + timedelta(minutes=1), "Nhiệm vụ số 7 (đã sửa tên)")  # changed
    repo.delete(12, later + timedelta(minutes=2))  # deleted
    second = harvest(url, cursor)
    before = _content(first)
    # What the sync layer keeps: records whose content differs from what it already has.
    changed = {i for i, c in _content(second).items() if before.get(i) != c}
    assert changed == {"oai:kho.test:nv/31", "oai:kho.test:nv/7", "oai:kho.test:nv/12"}
    assert {r.record_id for r in second if r.deleted} >= {"oai:kho.test:nv/12"}
    # Besides the changes, only the overlap's hour before the cursor is read again.
    again = {r.record_id for r in second} - changed
    assert all(
        r.modified_at is not None and r.modified_at >= cursor - timedelta(hours=1)
        for r in second
        if r.record_id in again
    )
    asked_from = [q["from"] for q in repo.requests if "from" in q]
    assert asked_from == [(cursor - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_a_harvest_after_no_change_returns_only_the_overlap(
    oai_repository: tuple[Repository, str],
) -> None:
    _, url = oai_repository
    first = harvest(url)
    cursor = max(r.modified_at for r in first if r.modified_at is not None)
    again = harvest(url, cursor, overlap="0s")
    assert [r.record_id for r in again] == ["oai:kho.test:nv/30"]
    assert _content(again).items() <= _content(first).items()


def test_nothing_is_requested_before_the_first_record_is_asked_for(
    oai_repository: tuple[Repository, str],
) -> None:
    repo, url = oai_repository
    records = OaiPmhConnector("kho", {"url": url}).records()
    assert repo.requests == []
    next(records)
    assert [q["verb"] for q in repo.requests] == ["Identify", "ListRecords"]
    records.close()


def test_a_format_the_server_does_not_have_names_the_option(
    oai_repository: tuple[Repository, str],
) -> None:
    _, url = oai_repository
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
    connector = OaiPmhConnector(
        "kho", {"url": silent_server, "timeout": 0.5, "retries": 2}, sleep=sleeps.append
    )
    with pytest.raises(SourceUnavailable) as caught:
        list(connector.records())
    assert str(caught.value) == (
        f"kho: {silent_server}?verb=Identify did not answer within 0.5 s (2 attempts)"
    )
    assert len(sleeps) == 1
