"""A repository's answer as an OAI-PMH document: its errors, Identify, and one list page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.errors import SourceConfigError, SourceDataError
from connectors.oaipmh.datestamps import DAY, GRANULARITIES, parse_datestamp
from connectors.oaipmh.errors import OaiError
from connectors.oaipmh.repair import strip_illegal
from connectors.oaipmh.transport import Answer
from connectors.xmlsafe import XmlError, XmlMalformed, XmlRefused, parse_bytes

logger = logging.getLogger(__name__)

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI}


@dataclass(frozen=True)
class Document:
    """A parsed answer. `repaired_lines` are the lines illegal characters were taken from;
    `where_vi` names the request in Vietnamese where it differs from `where` ("trang 2")."""

    root: etree._Element
    where: str
    repaired_lines: tuple[int, ...] = ()
    where_vi: str | None = None

    def errors(self) -> list[OaiError]:
        return [OaiError(e.get("code", "").strip() or "(no code)", _text(e))
                for e in self.root.findall("oai:error", NS)]


@dataclass(frozen=True)
class Repository:
    """What Identify says about the repository, as far as a harvest needs it."""

    name: str
    granularity: str            # DAY or SECONDS
    earliest: datetime | None
    deleted_record: str         # no | transient | persistent


@dataclass(frozen=True)
class Header:
    identifier: str
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """One <record> of a list: its header, its metadata's child element, and its line."""

    header: Header
    metadata: etree._Element | None
    line: int | None


@dataclass(frozen=True)
class ListPage:
    items: list[Item]
    token: str | None           # None: the list is complete
    size: int | None            # completeListSize, when the repository says


def read_answer(source: str, answer: Answer, *, where: str, first: bool,
                where_vi: str | None = None) -> Document:
    """Parse an answer with the hardened parser. An answer with illegal XML characters is
    parsed again without them; anything else unreadable is a SourceDataError naming `where`
    (`where_vi` in Vietnamese, when it differs). An HTTP error that carries no OAI-PMH error is
    a SourceConfigError on the first request (the url is wrong) and a SourceDataError after
    it."""
    place_vi = where_vi or where
    repaired_lines: tuple[int, ...] = ()
    try:
        root = parse_bytes(answer.content, where=where)
    except XmlRefused as exc:
        raise SourceDataError(source, f"the answer was refused: {_at(exc)}", where=where,
                              message_vi=f"câu trả lời bị từ chối: {_at(exc, 'vi')}",
                              where_vi=place_vi) from None
    except XmlMalformed as exc:
        repaired = strip_illegal(answer.content)
        root = _reparse(repaired.data, where) if repaired is not None else None
        if root is None or repaired is None:
            _raise_http(source, answer, where, place_vi, first)
            raise SourceDataError(
                source, f"the answer is not well-formed XML ({_at(exc)}): {answer.quote()}",
                where=where,
                message_vi=f"câu trả lời không phải XML đúng cú pháp ({_at(exc, 'vi')}): "
                f"{answer.quote('vi')}", where_vi=place_vi,
            ) from None
        repaired_lines = repaired.lines
        logger.warning("%s: %s: took out %s character(s) that XML 1.0 forbids (line(s) %s)",
                       source, where, repaired.removed, ", ".join(map(str, repaired.lines)))
    if etree.QName(root).text != f"{{{OAI}}}OAI-PMH":
        _raise_http(source, answer, where, place_vi, first)
        name = etree.QName(root).localname
        raise SourceDataError(
            source, f"the answer is not OAI-PMH (its root element is <{name}>): "
            f"{answer.quote()}", where=where,
            message_vi=f"câu trả lời không phải OAI-PMH (phần tử gốc của nó là <{name}>): "
            f"{answer.quote('vi')}", where_vi=place_vi,
        )
    doc = Document(root, where, repaired_lines, place_vi)
    if not doc.errors():
        _raise_http(source, answer, where, place_vi, first)
    return doc


def read_identify(source: str, doc: Document) -> Repository:
    """The granularity and earliest datestamp a harvest needs. Both are forgiven when
    unreadable: every repository must support day granularity, and the earliest datestamp only
    saves sending a `from` older than the repository."""
    ident = doc.root.find("oai:Identify", NS)
    if ident is None:
        raise SourceDataError(source, "the answer to Identify has no <Identify> element",
                              where=doc.where,
                              message_vi="câu trả lời cho Identify không có phần tử <Identify>",
                              where_vi=doc.where_vi)
    said = _text(ident.find("oai:granularity", NS))
    granularity = GRANULARITIES.get(said)
    if granularity is None:
        logger.warning("%s: %s: granularity %r is not one of %s; using days, which every "
                       "repository supports", source, doc.where, said, ", ".join(GRANULARITIES))
        granularity = DAY
    earliest = None
    stamp = _text(ident.find("oai:earliestDatestamp", NS))
    if stamp:
        try:
            earliest = parse_datestamp(stamp)
        except ValueError as exc:
            logger.warning("%s: %s: earliestDatestamp %s; ignored", source, doc.where, exc)
    return Repository(_text(ident.find("oai:repositoryName", NS)), granularity, earliest,
                      _text(ident.find("oai:deletedRecord", NS)) or "no")


def read_list(source: str, doc: Document, verb: str) -> ListPage:
    """The records and the resumption token of one page of a ListRecords (or a GetRecord)."""
    holder = doc.root.find(f"oai:{verb}", NS)
    if holder is None:
        raise SourceDataError(source, f"the answer has neither <{verb}> nor <error>",
                              where=doc.where,
                              message_vi=f"câu trả lời không có <{verb}> mà cũng không có <error>",
                              where_vi=doc.where_vi)
    items = [_item(r) for r in holder.findall("oai:record", NS)]
    token_el = holder.find("oai:resumptionToken", NS)
    token = (token_el.text or "").strip() if token_el is not None else ""
    size = token_el.get("completeListSize") if token_el is not None else None
    return ListPage(items, token or None, int(size) if size and size.isdigit() else None)


def _item(record: etree._Element) -> Item:
    header = record.find("oai:header", NS)
    head = header if header is not None else etree.Element("header")
    metadata = record.find("oai:metadata", NS)
    payload = None
    if metadata is not None:
        payload = next((c for c in metadata if isinstance(c.tag, str)), None)
    return Item(
        Header(_text(head.find("oai:identifier", NS)), _text(head.find("oai:datestamp", NS)),
               head.get("status") == "deleted",
               tuple(dict.fromkeys(t for e in head.findall("oai:setSpec", NS)
                                   if (t := _text(e))))),
        payload, record.sourceline)


def _raise_http(source: str, answer: Answer, where: str, where_vi: str, first: bool) -> None:
    if 200 <= answer.status < 300:
        return
    status = f"HTTP {answer.status} {answer.reason}"
    said, said_vi = f"{status}: {answer.quote()}", f"{status}: {answer.quote('vi')}"
    if first:
        hint, hint_vi = (
            ("; is the url right?", "; url có đúng không?") if answer.status == 404 else ("", "")
        )
        raise SourceConfigError(source, "url", f"is refused: {where} answered {said}{hint}",
                                f"bị từ chối: {where_vi} trả lời {said_vi}{hint_vi}")
    raise SourceDataError(source, said, where=where, message_vi=said_vi, where_vi=where_vi)


def _reparse(data: bytes, where: str) -> etree._Element | None:
    try:
        return parse_bytes(data, where=where)
    except XmlError:
        return None


def _at(exc: XmlError, lang: str = "en") -> str:
    """The parser's reason, with its line, in `lang`."""
    if lang == "vi":
        return f"dòng {exc.line}: {exc.reason_vi}" if exc.line else exc.reason_vi
    return f"line {exc.line}: {exc.reason}" if exc.line else exc.reason


def _text(element: etree._Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""
