"""The `rest` connector: task records read from a provincial JSON task-management API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import requests

from connectors.base import Connector, SourceRecord
from connectors.errors import SourceDataError
from connectors.http import retry_policy
from connectors.rest.auth import build_auth
from connectors.rest.envelope import Page, read_page
from connectors.rest.http import get
from connectors.rest.options import read_settings
from connectors.rest.pagination import walk_pages
from connectors.rest.timestamps import format_since, parse_timestamp

logger = logging.getLogger(__name__)


class RestConnector(Connector):
    """Pages through one list endpoint and yields each JSON object in it as a SourceRecord.

    Options are checked and secrets read in the constructor; nothing goes over the network
    until the first `next()` on `records()`. `sleep` is what retries wait with (tests pass a
    recorder, so they never wait).
    """

    kind: ClassVar[str] = "rest"

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(name, options, base_dir=base_dir)
        self.settings = read_settings(name, self.options, self.base_dir)
        self.auth = build_auth(self, self.settings)
        self.policy = retry_policy(self.settings.retries, sleep=sleep)
        self._session: requests.Session | None = None

    def records(self, since: datetime | None = None) -> Generator[SourceRecord, None, None]:
        s = self.settings
        if since is not None and since.tzinfo is None:
            raise ValueError(f"since {since.isoformat()} is naive; pass a timezone-aware datetime")
        params = dict(s.params)
        if since is not None and s.since_param:
            params[s.since_param] = format_since(since, s.since_format)
        # Without a server-side filter the contract (changed at or after `since`) is kept here.
        keep_after = since if since is not None and not s.since_param else None
        session = self._open()
        try:
            for page in walk_pages(self.name, s, params, partial(self._fetch, session)):
                for index, item in enumerate(page.items):
                    record = self._record(page, index, item)
                    if keep_after and record.modified_at and record.modified_at < keep_after:
                        continue
                    yield record
        finally:
            session.close()
            self._session = None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _open(self) -> requests.Session:
        self.close()
        session = requests.Session()
        session.auth = self.auth
        session.headers.update({"Accept": "application/json", **self.settings.headers})
        self._session = session
        return session

    def _fetch(self, session: requests.Session, url: str, number: int) -> Page:
        s = self.settings
        response = get(session, url, source=self.name, page=number, policy=self.policy,
                       timeout=s.timeout, verify=s.verify, message_path=s.message_path)
        page = read_page(self.name, response, number=number, url=url, settings=s)
        logger.debug("%s: page %s has %s records (%s)", self.name, number, len(page.items), url)
        return page

    def _record(self, page: Page, index: int, item: Any) -> SourceRecord:
        s = self.settings
        if not isinstance(item, Mapping):
            got = f"{type(item).__name__} {item!r:.60}"
            raise SourceDataError(
                self.name, f"item {index} is {got}, not a JSON object; does records_path point "
                "at the list of records?", where=page.where,
                message_vi=f"mục {index} là {got}, không phải đối tượng JSON; records_path có "
                "trỏ đúng vào danh sách bản ghi không?", where_vi=page.where_vi,
            )
        origin = {"url": page.url, "page": page.number, "index": index}
        raw_id = s.id_field.get(item)
        record_id = "" if raw_id is None or isinstance(raw_id, (Mapping, list)) else str(raw_id)
        if not record_id.strip():
            # Passed on rather than dropped: the run reports it as a record without an id.
            logger.warning("%s: item %s on %s has no id at %r", self.name, index, page.where,
                           s.id_field.text)
            record_id = ""
        modified_at = None
        raw_time = s.modified_field.get(item) if s.modified_field else None
        if raw_time not in (None, ""):
            try:
                modified_at = parse_timestamp(raw_time)
            except ValueError as exc:
                logger.warning("%s: record %r (%s): %s %s; its modification time is unknown",
                               self.name, record_id, page.where, s.modified_field, exc)
        return SourceRecord(self.name, record_id, modified_at, item, origin=origin)
