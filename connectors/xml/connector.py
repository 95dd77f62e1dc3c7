"""XmlConnector: the records of XML exports (a file, a glob of files or a download) as a source."""

from __future__ import annotations

import glob
import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from lxml import etree

from connectors.base import Connector, SourceRecord, cannot_open, describe_origin
from connectors.errors import SourceDataError, SourceUnavailable
from connectors.http import retry_policy
from connectors.rest.timestamps import VIETNAM, parse_timestamp
from connectors.xml.download import download
from connectors.xml.options import XmlSettings, read_settings
from connectors.xmlsafe import Readable, XmlError, XmlRefused, iterparse

logger = logging.getLogger(__name__)


class XmlConnector(Connector):
    """Streams the record elements of XML exports, one SourceRecord each, in constant memory.

    The payload is {"_xml": the record element as text}; mapping files read it with XPath.
    Options are checked and XPaths compiled in the constructor; no file is touched and no
    request made until the first `next()` on `records()`. `sleep` is what download retries wait
    with (tests pass a recorder, so they never wait).
    """

    kind: ClassVar[str] = "xml"

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(name, options, base_dir=base_dir)
        self.settings: XmlSettings = read_settings(name, self.options, self.base_dir)
        self.policy = retry_policy(self.settings.retries, sleep=sleep)

    def records(self, since: datetime | None = None) -> Iterator[SourceRecord]:
        """Every record, or with `modified` set, those modified at or after `since` (records
        whose time is missing or unreadable are always yielded)."""
        self._check_since(since)
        return self._track(self._read(since))

    def _read(self, since: datetime | None) -> Generator[SourceRecord, None, None]:
        s = self.settings
        if s.url is not None:
            with download(self.name, s.url, timeout=s.timeout, policy=self.policy) as body:
                yield from self._document(body, {"url": s.url}, since)
            return
        for path in self._files():
            shown = self._shown(path)
            with self._open(path, shown) as stream:
                yield from self._document(stream, {"file": shown}, since)

    def _files(self) -> list[Path]:
        s = self.settings
        if s.glob is None:
            assert s.path is not None
            if not s.path.is_file():
                what, what_vi = ("is not a file", "không phải là tệp") if s.path.exists() else \
                    ("does not exist", "không tồn tại")
                raise SourceUnavailable(self.name, f"file {s.path} {what}",
                                        f"tệp {s.path} {what_vi}")
            return [s.path]
        found = sorted(glob.glob(s.glob, root_dir=s.base_dir))
        paths = [p for p in (s.base_dir / f for f in found) if p.is_file()]
        if not paths:
            raise SourceUnavailable(self.name, f"no file matches {s.glob} (in {s.base_dir})",
                                    f"không có tệp nào khớp với {s.glob} (trong {s.base_dir})")
        logger.debug("%s: %s file(s) match %s", self.name, len(paths), s.glob)
        return paths

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.base_dir).as_posix()
        except ValueError:
            return str(path)

    def _open(self, path: Path, shown: str) -> AbstractContextManager[BinaryIO]:
        try:
            return path.open("rb")
        except OSError as exc:
            raise cannot_open(self.name, shown, exc) from exc

    def _document(self, stream: Readable, place: dict[str, Any],
                  since: datetime | None) -> Generator[SourceRecord, None, None]:
        s = self.settings
        where = str(place.get("file") or place.get("url"))
        events = iterparse(stream, tag=s.record, where=where, encoding=s.encoding,
                           max_bytes=s.max_bytes, max_depth=s.max_depth)
        index = 0
        try:
            for _, element in events:
                index += 1
                record = self._record(element, where, place, index)
                if since and record.modified_at and record.modified_at < since:
                    continue
                yield record
        except XmlError as exc:
            at = {**place, "line": exc.line}
            said, said_vi = exc.reason, exc.reason_vi
            if isinstance(exc, XmlRefused):
                said, said_vi = f"refused: {said}", f"bị từ chối: {said_vi}"
            raise SourceDataError(self.name, said, where=describe_origin(at),
                                  message_vi=said_vi,
                                  where_vi=describe_origin(at, "vi")) from None
        except OSError as exc:
            reason = exc.strerror or exc
            raise SourceUnavailable(self.name, f"cannot read {where}: {reason}",
                                    f"không đọc được {describe_origin(place, 'vi')}: "
                                    f"{reason}") from exc
        finally:
            events.close()
        if index == 0:
            root = events.root.tag if events.root is not None else "?"
            logger.warning("%s: %s has no %s element (its root element is %s); check the record "
                           "and namespaces options", self.name, where, s.record_label, root)

    def _record(self, element: etree._Element, where: str, place: dict[str, Any],
                index: int) -> SourceRecord:
        s = self.settings
        origin = {**place, "line": element.sourceline, "index": index}
        record_id = self._text(s.id, element, where, index, s.id_label)
        if not record_id:
            # Passed on rather than dropped: the run reports it as a record without an id.
            logger.warning("%s: record %s (%s, line %s) has no id at %r", self.name, index,
                           where, element.sourceline, s.id_label)
        modified_at = None
        if s.modified is not None:
            raw = self._text(s.modified, element, where, index, s.modified_label)
            try:
                modified_at = _timestamp(raw) if raw else None
            except ValueError as exc:
                logger.warning("%s: record %r (%s, line %s): %s %s; its modification time is "
                               "unknown", self.name, record_id, where, element.sourceline,
                               s.modified_label, exc)
        deleted = False
        if s.deleted is not None:
            try:
                deleted = bool(s.deleted(element))
            except etree.XPathError as exc:
                logger.warning("%s: record %r (%s, line %s): deleted cannot be read: %s",
                               self.name, record_id, where, element.sourceline, exc)
        xml = etree.tostring(element, encoding="unicode", with_tail=False)
        return SourceRecord(self.name, record_id, modified_at, {"_xml": xml}, deleted=deleted,
                            origin=origin)

    def _text(self, xpath: etree.XPath, element: etree._Element, where: str, index: int,
              label: str | None) -> str:
        try:
            return str(xpath(element))
        except etree.XPathError as exc:
            logger.warning("%s: record %s (%s, line %s): %r cannot be read: %s", self.name,
                           index, where, element.sourceline, label, exc)
            return ""


def _timestamp(text: str) -> datetime:
    """Exports mostly write ISO 8601, so that is tried first; then every form the rest
    connector reads (dd/mm/yyyy...), Vietnamese time when the offset is missing."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return parse_timestamp(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)
