"""An OAI-PMH repository for tests: the `oaipmh` package's own server over an in-memory store of
Dublin Core task records (or of records given as XML, such as OpenAIRE CERIF), on loopback.

Use the `oai_repository` fixture (`from tests import oai_fixtures` and, at module level,
`oai_repository = oai_fixtures.oai_repository`), or build a `Repository` and serve it with
`serving(repo)` when a test needs other records. The server is the real package, so paging,
resumption tokens, `from` and deleted headers are what a harvester meets in the field; only the
records and the faults (`break_page_once`) are ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
from lxml import etree
from oaipmh import common, error, metadata, server

from stisync.wsgi import start_background

UTC = timezone.utc
T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
DC = "http://purl.org/dc/elements/1.1/"
PAGE_SIZE = 7
HOST = "kho.test"
DC_FORMAT = (
    "oai_dc",
    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/",
)
CERIF_FORMAT = (
    "oai_cerif_openaire",
    "https://www.openaire.eu/schema/cris/current/openaire-cerif-profile.xsd",
    "https://www.openaire.eu/cerif-profile/1.2/",
)


_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng")
_GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngọc", "Phúc")


def person(n: int) -> str:
    """The name of record n's principal investigator (names hold no digits)."""
    return f"{_FAMILY[n % len(_FAMILY)]} Văn {_GIVEN[n % len(_GIVEN)]}"


def identifier(n: int) -> str:
    """The OAI identifier of record `n`."""
    return f"oai:{HOST}:nv/{n}"


@dataclass
class Entry:
    fields: dict[str, list[str]]
    datestamp: datetime
    deleted: bool = False
    sets: list[str] = field(default_factory=lambda: ["nhiem-vu"])


class Repository:
    """An in-memory repository behind the package's IOAI interface.

    It disseminates one format: Dublin Core records made by `put` (`DC_FORMAT`), or records
    given as XML text by `put_xml` (`CERIF_FORMAT`, or any other). `requests` holds every query
    string the server was sent, in order. `break_page_once(n)` makes the next request for page
    `n` of a list answer a truncated document, as a server that dies while writing does; the
    request after it is answered in full.
    """

    def __init__(
        self, page_size: int = PAGE_SIZE, metadata_format: tuple[str, str, str] = DC_FORMAT
    ) -> None:
        self.page_size = page_size
        self.format = metadata_format
        self.entries: dict[str, Entry] = {}
        self.requests: list[dict[str, str]] = []
        self.broken: list[int] = []  # pages answered truncated, in order
        self._break: set[int] = set()

    def put(self, n: int, when: datetime, title: str | None = None) -> None:
        """Add record `n`, or replace it (a change), with datestamp `when`."""
        self.entries[identifier(n)] = Entry(
            {
                "title": [title or f"Nhiệm vụ số {n}"],
                "creator": [f"TS. {person(n)}"],
                "publisher": ["Viện Khoa học và Công nghệ tỉnh"],
                "identifier": [f"ĐT.2024-{n:02d}"],
                "date": ["2024-01", "2025-12"],
            },
            when,
        )

    def put_xml(self, ident: str, xml: str, when: datetime, sets: list[str]) -> None:
        """Add or replace the record `ident` whose metadata is the element `xml`."""
        self.entries[ident] = Entry({"xml": [xml]}, when, sets=sets)

    def delete(self, n: int, when: datetime) -> None:
        entry = self.entries[identifier(n)]
        entry.deleted, entry.datestamp = True, when

    def live(self) -> set[str]:
        """The identifiers of the records not deleted."""
        return {i for i, e in self.entries.items() if not e.deleted}

    def break_page_once(self, page: int) -> None:
        self._break.add(page)

    def page_of(self, query: dict[str, str]) -> int | None:
        """The page of a list that `query` asks for (1 without a resumption token); None for
        a request that is not for a list."""
        if query.get("verb") != "ListRecords":
            return None
        token = query.get("resumptionToken")
        if token is None:
            return 1
        try:
            _, cursor = server.decodeResumptionToken(token)
        except error.BadResumptionTokenError:
            return None
        return int(cursor) // self.page_size + 1

    def take_break(self, query: dict[str, str]) -> bool:
        """Whether the answer to `query` is to be broken (and then never again)."""
        page = self.page_of(query)
        if page is None or page not in self._break:
            return False
        self._break.discard(page)
        self.broken.append(page)
        return True

    # IOAI ------------------------------------------------------------------------------------

    def identify(self) -> common.Identify:
        return common.Identify(
            "Kho thử nghiệm",
            f"http://{HOST}/oai",
            "2.0",
            [f"kho@{HOST}"],
            _naive(T0 - timedelta(days=365)),
            "persistent",
            "YYYY-MM-DDThh:mm:ssZ",
            ["identity"],
            toolkit_description=False,
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return [self.format]

    def listSets(self) -> list[tuple[str, str, None]]:
        return [
            (spec, spec, None)
            for spec in sorted({s for e in self.entries.values() for s in e.sets})
        ]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[Any, Any, None]]:
        if metadataPrefix != self.format[0]:
            raise error.CannotDisseminateFormatError(metadataPrefix)
        start, end = _aware(from_), _aware(until)
        chosen = sorted(
            (e.datestamp, ident)
            for ident, e in self.entries.items()
            if (start is None or e.datestamp >= start)
            and (end is None or e.datestamp <= end)
            and (set is None or set in self.entries[ident].sets)
        )
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
    """The package's server for `repo` as a WSGI app, paging `repo.page_size` records."""
    registry = metadata.MetadataRegistry()
    prefix = repo.format[0]
    registry.registerWriter(prefix, server.oai_dc_writer if prefix == "oai_dc" else _xml_writer)
    oai = server.Server(repo, registry, resumption_batch_size=repo.page_size)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        repo.requests.append(query)
        body: bytes = oai.handleRequest(query)
        if repo.take_break(query):
            body = body[: len(body) // 2]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]

    return app


def make_repository(
    count: int, deleted: tuple[int, ...] = (), page_size: int = PAGE_SIZE
) -> Repository:
    """Records 1..count, record n stamped T0 + n hours; those in `deleted` deleted half an hour
    after they were stamped."""
    repo = Repository(page_size)
    for n in range(1, count + 1):
        repo.put(n, T0 + timedelta(hours=n))
    for n in deleted:
        repo.delete(n, T0 + timedelta(hours=n, minutes=30))
    return repo


def _xml_writer(element: Any, record: common.Metadata) -> None:
    """Writes a record made by `put_xml`: its element, as given."""
    element.append(etree.fromstring(record.getMap()["xml"][0]))


@contextmanager
def serving(repo: Repository) -> Iterator[str]:
    """`repo` served on a free loopback port; yields the base URL (…/oai)."""
    with start_background(wsgi(repo)) as running:
        yield running.url + "/oai"


@pytest.fixture
def oai_repository() -> Iterator[tuple[Repository, str]]:
    """30 records over 5 pages, 3 of them deleted (4, 17 and 29), and the server's base URL."""
    repo = make_repository(30, deleted=(4, 17, 29))
    with serving(repo) as url:
        yield repo, url
