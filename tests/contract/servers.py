"""Harnesses for the kinds read over HTTP, each against a real server on loopback: a provincial
JSON API (rest), an OAI-PMH repository (oaipmh, served by the `oaipmh` package) and an XML
export published for download (xml with `url`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from lxml import etree
from oaipmh import common, metadata, server

from connectors.base import Connector, SourceRecord
from connectors.errors import ConnectorError, SourceUnavailable
from connectors.oaipmh import OaiPmhConnector
from connectors.rest import RestConnector
from connectors.xml import XmlConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import BackgroundServer, start_background
from tests.contract.files import BROKEN, XML_OPTIONS, export, xml_title
from tests.contract.harness import EXACT, Row, SilentServer, SinceGuarantee, closed_port

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
NOT_JSON = "<html><body>Hệ thống đang bảo trì</body></html>".encode()


def with_second_page(good: Sequence[Row]) -> list[Row]:
    """`good` (one page of two) and a record more, so that the source has a page 2 to break."""
    later = max(r.modified for r in good) + timedelta(hours=1)
    return [*good, Row("NV-TRANG-2", "Nhiệm vụ trên trang thứ hai", later)]


def no_wait(_seconds: float) -> None:
    """Retries in the suite do not wait: what is checked is the outcome, not the backoff."""


class Switchboard:
    """A WSGI app in front of another: counts requests, and when `broken` is set answers every
    request after the first page with a page that cannot be read."""

    def __init__(self, app: WsgiApp, *, broken_body: bytes, content_type: str):
        self.app = app
        self.broken_body = broken_body
        self.content_type = content_type
        self.broken = False
        self.hits = 0
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        with self.lock:
            self.hits += 1
        later = (
            query.get("page", "1") != "1"
            or query.get("cursor", "0") != "0"
            or "resumptionToken" in query
        )
        if self.broken and later:
            start_response("200 OK", [("Content-Type", self.content_type)])
            return [self.broken_body]
        return self.app(environ, start_response)

    def reset(self) -> None:
        with self.lock:
            self.broken = False
            self.hits = 0


class ServerHarness:
    """The shared part: a server started once for the session, reset for every test."""

    name: ClassVar[str] = "qlkh"
    unreachable_error: type[ConnectorError] = SourceUnavailable
    has_modified = True

    def __init__(self, running: BackgroundServer, board: Switchboard):
        self.running = running
        self.board = board
        self.board.reset()
        self.silent: SilentServer | None = None

    def touches(self) -> int:
        return self.board.hits

    def record_id(self, row: Row) -> str:
        return row.id

    def silent_url(self, path: str) -> str:
        self.silent = SilentServer()
        return f"http://127.0.0.1:{self.silent.port}{path}"

    def close(self) -> None:
        self.board.reset()
        if self.silent is not None:
            self.silent.close()


# rest ----------------------------------------------------------------------------------------


def provincial_api() -> tuple[BackgroundServer, Switchboard, ProvincialApi]:
    app = create_app([], page_size=2)
    board = Switchboard(app, broken_body=NOT_JSON, content_type="text/html; charset=utf-8")
    return start_background(board), board, app


class RestHarness(ServerHarness):
    """A provincial JSON API paged two records at a time. With `server_filter` the API is sent
    `updated_since` (in whole seconds, so it may return records of the second before `since`);
    without, the connector keeps the records at or after `since` itself, from `updated_at`."""

    def __init__(
        self,
        running: BackgroundServer,
        board: Switchboard,
        app: ProvincialApi,
        *,
        server_filter: bool,
    ):
        super().__init__(running, board)
        self.app = app
        app.reset([], page_size=2)
        self.server_filter = server_filter
        self.since: SinceGuarantee = (
            SinceGuarantee(granularity=timedelta(seconds=1)) if server_filter else EXACT
        )

    def path(self) -> str:
        return "/api/nhiem-vu" if self.server_filter else "/api/nhiem-vu-links"

    def options(self, url: str, **more: Any) -> dict[str, Any]:
        options: dict[str, Any] = {
            "url": url,
            "records_path": "data.items",
            "modified_field": "updated_at",
            "page_size": 2,
            **more,
        }
        if self.server_filter:
            options.update(pagination="page", since_param="updated_since")
        else:
            options.update(pagination="next_link", next_link_path="links.next")
        return options

    def fill(self, rows: Sequence[Row]) -> None:
        self.app.reset([_json(r) for r in rows], page_size=2)

    def change(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.app.put_record(_json(row))

    def connector(self) -> Connector:
        return RestConnector(self.name, self.options(self.running.url + self.path()), sleep=no_wait)

    def title(self, record: SourceRecord) -> str:
        return str(record.payload["ten_nhiem_vu"])

    def place(self) -> str:
        return self.running.url + self.path()

    def unreachable(self) -> tuple[Connector, str]:
        url = f"http://127.0.0.1:{closed_port()}{self.path()}"
        return RestConnector(self.name, self.options(url, retries=1), sleep=no_wait), url

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        self.fill(with_second_page(good))
        self.board.broken = True
        return self.connector(), "(page 2)"

    def hanging(self, timeout: float) -> Connector:
        url = self.silent_url(self.path())
        return RestConnector(
            self.name, self.options(url, timeout=timeout, retries=1), sleep=no_wait
        )


def _json(row: Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "ten_nhiem_vu": row.title,
        "updated_at": row.modified.isoformat(timespec="seconds"),
    }


# oaipmh --------------------------------------------------------------------------------------

DC = "http://purl.org/dc/elements/1.1/"
OAI_PREFIX = "oai:so-khcn.test:"


class Repository:
    """Records behind the `oaipmh` package's server interface (naive UTC datetimes)."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    def identify(self) -> common.Identify:
        return common.Identify(
            "Kho nhiệm vụ KH&CN",
            "http://so-khcn.test/oai",
            "2.0",
            ["kho@so-khcn.test"],
            EARLIEST,
            "persistent",
            "YYYY-MM-DDThh:mm:ssZ",
            ["identity"],
            toolkit_description=False,
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return [
            (
                "oai_dc",
                "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
            )
        ]

    def listSets(self) -> list[Any]:
        return []

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[Any, Any, None]]:
        rows = sorted(self.rows.values(), key=lambda r: (r.modified, r.id))
        return [
            self._record(r)
            for r in rows
            if (from_ is None or _utc(r.modified) >= from_)
            and (until is None or _utc(r.modified) <= until)
        ]

    def _record(self, row: Row) -> tuple[Any, Any, None]:
        header = common.Header(None, OAI_PREFIX + row.id, _utc(row.modified), [], False)
        fields = {"title": [row.title], "identifier": [row.id]}
        return header, common.Metadata(None, fields), None


def _utc(when: datetime) -> datetime:
    """The package reads and writes datestamps as naive UTC datetimes."""
    return when.astimezone(timezone.utc).replace(tzinfo=None)


EARLIEST = _utc(datetime(2020, 1, 1, tzinfo=timezone.utc))


def oai_repository() -> tuple[BackgroundServer, Switchboard, Repository]:
    repo = Repository()
    registry = metadata.MetadataRegistry()
    registry.registerWriter("oai_dc", server.oai_dc_writer)
    oai = server.Server(repo, registry, resumption_batch_size=2)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        body = oai.handleRequest(query)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]

    board = Switchboard(
        app,
        broken_body=b"<OAI-PMH><ListRecords><record><header>",
        content_type="text/xml; charset=utf-8",
    )
    return start_background(board), board, repo


class OaiPmhHarness(ServerHarness):
    """A repository of oai_dc records, two per page. A harvest from `since` asks from
    `since - overlap` (one hour here), in whole seconds."""

    OVERLAP = timedelta(hours=1)
    since = SinceGuarantee(earlier_by=OVERLAP, granularity=timedelta(seconds=1))

    def __init__(self, running: BackgroundServer, board: Switchboard, repo: Repository):
        super().__init__(running, board)
        self.repo = repo
        repo.rows = {}

    def url(self) -> str:
        return self.running.url + "/oai"

    def options(self, url: str, **more: Any) -> dict[str, Any]:
        return {"url": url, "overlap": "1h", **more}

    def fill(self, rows: Sequence[Row]) -> None:
        self.repo.rows = {r.id: r for r in rows}

    def change(self, rows: Sequence[Row]) -> None:
        self.repo.rows.update({r.id: r for r in rows})

    def connector(self) -> Connector:
        return OaiPmhConnector(self.name, self.options(self.url()), sleep=no_wait)

    def record_id(self, row: Row) -> str:
        return OAI_PREFIX + row.id

    def title(self, record: SourceRecord) -> str:
        element = etree.fromstring(record.payload["_xml"].encode("utf-8"))
        return str(element.findtext(f"{{{DC}}}title"))

    def place(self) -> str:
        return self.url()

    def unreachable(self) -> tuple[Connector, str]:
        url = f"http://127.0.0.1:{closed_port()}/oai"
        return OaiPmhConnector(self.name, self.options(url, retries=1), sleep=no_wait), url

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        self.fill(with_second_page(good))
        self.board.broken = True
        return self.connector(), "(page 2)"

    def hanging(self, timeout: float) -> Connector:
        url = self.silent_url("/oai")
        return OaiPmhConnector(
            self.name, self.options(url, timeout=timeout, retries=1), sleep=no_wait
        )


# xml with url ----------------------------------------------------------------------------------


class Published:
    """An XML export published at /nhiem-vu.xml; `body` is what is served."""

    def __init__(self) -> None:
        self.body = export([])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/nhiem-vu.xml":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [self.body]


def xml_publisher() -> tuple[BackgroundServer, Switchboard, Published]:
    published = Published()
    board = Switchboard(published, broken_body=b"", content_type="application/xml")
    return start_background(board), board, published


class XmlUrlHarness(ServerHarness):
    """An XML export downloaded from a provincial server."""

    since = EXACT

    def __init__(self, running: BackgroundServer, board: Switchboard, published: Published):
        super().__init__(running, board)
        self.published = published
        self.rows: dict[str, Row] = {}
        published.body = export([])

    def url(self) -> str:
        return self.running.url + "/nhiem-vu.xml"

    def fill(self, rows: Sequence[Row]) -> None:
        self.rows = {r.id: r for r in rows}
        self.published.body = export(rows)

    def change(self, rows: Sequence[Row]) -> None:
        self.rows.update({r.id: r for r in rows})
        self.published.body = export(list(self.rows.values()))

    def connector(self) -> Connector:
        return XmlConnector(self.name, {"url": self.url(), **XML_OPTIONS}, sleep=no_wait)

    def title(self, record: SourceRecord) -> str:
        return xml_title(record)

    def place(self) -> str:
        return self.url()

    def unreachable(self) -> tuple[Connector, str]:
        url = f"http://127.0.0.1:{closed_port()}/nhiem-vu.xml"
        return XmlConnector(
            self.name, {"url": url, **XML_OPTIONS, "retries": 1}, sleep=no_wait
        ), url

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        self.published.body = export(good, tail=BROKEN)
        return self.connector(), f"{self.url()}, line {3 + len(good)}"

    def hanging(self, timeout: float) -> Connector:
        url = self.silent_url("/nhiem-vu.xml")
        return XmlConnector(
            self.name, {"url": url, **XML_OPTIONS, "timeout": timeout, "retries": 1}, sleep=no_wait
        )
