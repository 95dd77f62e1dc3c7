"""One run's requests to one repository: Identify once, then lists paged by resumption token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import requests
from requests.models import PreparedRequest
from tenacity import Retrying

from connectors.errors import ConnectorError, SourceDataError
from connectors.oaipmh.datestamps import format_datestamp, parse_datestamp
from connectors.oaipmh.document import (
    NS,
    Document,
    Item,
    ListPage,
    Repository,
    read_answer,
    read_identify,
    read_list,
)
from connectors.oaipmh.errors import ResumptionRefused, raise_for
from connectors.oaipmh.options import OaiSettings
from connectors.oaipmh.transport import request

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """A record of a list, with where it was found: the list's request (never its resumption
    token, which is opaque and short-lived), the page and the place on the page."""

    item: Item
    url: str
    page: int
    index: int
    document: Document


class Harvester:
    """Speaks OAI-PMH to one repository over one session, for the length of one run."""

    def __init__(self, source: str, settings: OaiSettings, session: requests.Session,
                 policy: Retrying):
        self.source = source
        self.settings = settings
        self.session = session
        self.policy = policy
        self._repository: Repository | None = None
        self._requests = 0

    def identify(self) -> Repository:
        """Identify, asked once per run: granularity and earliest datestamp."""
        if self._repository is None:
            params = {"verb": "Identify"}
            doc = self._get(params, shown=self.shown(params), verb="Identify")
            self._repository = read_identify(self.source, doc)
            logger.debug("%s: %s, granularity %s, earliest datestamp %s", self.source,
                         self._repository.name, self._repository.granularity,
                         self._repository.earliest)
        return self._repository

    def list_records(self, set_spec: str | None,
                     since: datetime | None = None) -> Iterator[Found]:
        """Every record of ListRecords from `since` on (see `list_pages`)."""
        for page in self.list_pages(set_spec, since):
            yield from page

    def list_pages(self, set_spec: str | None,
                   since: datetime | None = None) -> Iterator[list[Found]]:
        """The records of ListRecords from `since` on, one page at a time. A resumption token
        the repository no longer knows restarts the list once, from the last datestamp seen;
        records already given are not given twice."""
        earliest = self.identify().earliest
        # A `from` before the earliest datestamp selects every record: ask for all plainly.
        start = None if since and earliest and since <= earliest else since
        seen: set[str] = set()
        restarted = False
        while True:
            walk = _Walk()
            try:
                yield from self._walk(set_spec, start, seen, walk)
                return
            except ResumptionRefused as refused:
                if restarted:
                    raise SourceDataError(
                        self.source, f"the repository refused its own resumption token again "
                        f"after a restart ({refused.error})", where=walk.where,
                        message_vi=f"kho dữ liệu lại từ chối chính resumption token nó đã cấp, "
                        f"dù danh sách đã được đọc lại một lần ({refused.error})",
                        where_vi=walk.where_vi) from None
                restarted = True
                start = walk.latest if walk.in_order and walk.latest else start
                logger.warning("%s: %s refused its resumption token (%s); restarting the list "
                               "from %s", self.source, walk.where, refused.error,
                               start.isoformat() if start else "the beginning")

    def get_record(self, identifier: str) -> Found | None:
        """GetRecord of one identifier; None when the answer holds no record."""
        params = {"verb": "GetRecord", "identifier": identifier,
                  "metadataPrefix": self.settings.metadata_prefix}
        shown = self.shown(params)
        doc = self._get(params, shown=shown, verb="GetRecord")
        page = read_list(self.source, doc, "GetRecord")
        return Found(page.items[0], shown, 1, 0, doc) if page.items else None

    def metadata_formats(self) -> list[str]:
        """The metadataPrefixes the repository offers (ListMetadataFormats); [] when it cannot
        say, since this only ever adds a hint to another error."""
        params = {"verb": "ListMetadataFormats"}
        try:
            doc = self._get(params, shown=self.shown(params), verb="ListMetadataFormats")
        except ConnectorError as exc:
            logger.info("%s: ListMetadataFormats failed: %s", self.source, exc)
            return []
        return [p for p in (" ".join((e.text or "").split()) for e in doc.root.iterfind(
            "oai:ListMetadataFormats/oai:metadataFormat/oai:metadataPrefix", NS)) if p]

    def shown(self, params: dict[str, str]) -> str:
        """The request as messages and origins name it."""
        prepared = PreparedRequest()
        prepared.prepare_url(self.settings.url, params)
        return str(prepared.url)

    # -----------------------------------------------------------------------------------------

    def _walk(self, set_spec: str | None, start: datetime | None,
              seen: set[str], walk: _Walk) -> Iterator[list[Found]]:
        s = self.settings
        params = {"verb": "ListRecords", "metadataPrefix": s.metadata_prefix}
        if set_spec:
            params["set"] = set_spec
        if start is not None:
            params["from"] = format_datestamp(start, self.identify().granularity)
        shown = self.shown(params)
        token: str | None = None
        page_no = 0
        while True:
            page_no += 1
            walk.at(shown, page_no)
            if page_no > s.max_pages:
                raise SourceDataError(self.source, f"the list goes on past max_pages = "
                                      f"{s.max_pages}; raise max_pages if that is expected",
                                      where=walk.where,
                                      message_vi=f"danh sách còn dài quá max_pages = "
                                      f"{s.max_pages}; hãy tăng max_pages nếu điều đó là bình "
                                      "thường", where_vi=walk.where_vi)
            ask = {"verb": "ListRecords", "resumptionToken": token} if token else params
            doc = self._get(ask, shown=walk.where, shown_vi=walk.where_vi, verb="ListRecords",
                            set_spec=set_spec, token_sent=token is not None)
            if doc.errors():    # noRecordsMatch: raise_for let it through
                return
            page = read_list(self.source, doc, "ListRecords")
            logger.debug("%s: %s has %s records (of %s)", self.source, walk.where,
                         len(page.items), page.size or "an untold number")
            found: list[Found] = []
            for index, item in enumerate(page.items):
                walk.saw(item.header.datestamp)
                ident = item.header.identifier
                # An identifier is unique in a repository; met twice, the record moved while
                # we paged (or a restart served it again): the next run's overlap re-reads it.
                if ident and ident in seen:
                    logger.info("%s: record %r is in the list again on %s; skipped", self.source,
                                ident, walk.where)
                    continue
                seen.add(ident)
                found.append(Found(item, shown, page_no, index, doc))
            yield found
            token = self._next_token(page, token, walk)
            if token is None:
                return

    def _next_token(self, page: ListPage, previous: str | None, walk: _Walk) -> str | None:
        if page.token is not None and page.token == previous:
            raise SourceDataError(self.source, "the repository gave the same resumption token "
                                  "twice in a row; the list would never end", where=walk.where,
                                  message_vi="kho dữ liệu trả về cùng một resumption token hai "
                                  "lần liên tiếp; danh sách sẽ không bao giờ kết thúc",
                                  where_vi=walk.where_vi)
        if page.token is not None and not page.items:
            logger.warning("%s: %s has no records but a resumption token; following it",
                           self.source, walk.where)
        return page.token

    def _get(self, params: dict[str, str], *, shown: str, verb: str,
             set_spec: str | None = None, token_sent: bool = False,
             shown_vi: str | None = None) -> Document:
        """Ask, read the answer and raise what its OAI-PMH errors mean. `shown` names the
        request in messages; `shown_vi` in Vietnamese, where it differs ("trang 2")."""
        s = self.settings
        self._requests += 1
        answer = request(self.session, s.url, params, source=self.source, shown=shown,
                         shown_vi=shown_vi, policy=self.policy, timeout=s.timeout,
                         verify=s.verify)
        doc = read_answer(self.source, answer, where=shown, where_vi=shown_vi,
                          first=self._requests == 1)
        raise_for(self.source, doc.errors(), verb=verb, where=shown, where_vi=shown_vi,
                  set_spec=set_spec, token_sent=token_sent,
                  formats=self.metadata_formats if verb != "ListMetadataFormats" else None)
        return doc


class _Walk:
    """What one pass over a list has seen, to restart it from the right place."""

    def __init__(self) -> None:
        self.where = ""
        self.where_vi = ""
        self.latest: datetime | None = None
        self.in_order = True

    def at(self, shown: str, page: int) -> None:
        """The walk is now on page `page` of the list `shown`: how messages name it."""
        self.where = f"{shown} (page {page})"
        self.where_vi = f"{shown} (trang {page})"

    def saw(self, datestamp: str) -> None:
        try:
            when = parse_datestamp(datestamp)
        except ValueError:
            return
        # Restarting from the latest datestamp only loses nothing when the list came in order.
        if self.latest is not None and when < self.latest:
            self.in_order = False
        self.latest = when if self.latest is None else max(self.latest, when)
