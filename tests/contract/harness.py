"""What every connector kind's harness offers the contract suite, and the pieces they share.

A harness builds sources of one kind in the kind's own format (a CSV file, a JSON API on
loopback, a database table...) from the same `Row`s, so that one test can state one promise and
check it against every kind. Modelled on Airbyte's connector acceptance tests.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar, Protocol

from connectors.base import Connector, SourceRecord
from connectors.errors import ConnectorError

VIETNAM = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Row:
    """A task record as a test writes it into a source: whole seconds, Vietnamese time."""

    id: str
    title: str
    modified: datetime


@dataclass(frozen=True)
class SinceGuarantee:
    """What a kind documents about `records(since)`.

    Every record modified at or after `since` is returned. Besides those, a kind may return
    records modified from `since - earlier_by`, rounded down to `granularity` (an overlap
    window, a parameter sent in whole seconds); and a kind that cannot filter (`reads_all`)
    returns every record, change detection then being by content.
    """

    earlier_by: timedelta = timedelta(0)
    granularity: timedelta = timedelta(0)
    reads_all: bool = False

    def bounds(self, rows: Sequence[Row], since: datetime) -> tuple[list[Row], list[Row]]:
        """The rows a read from `since` must return, and those it may return."""
        if self.reads_all:
            return list(rows), list(rows)
        start = since - self.earlier_by
        if self.granularity:
            start -= (start - datetime(1970, 1, 1, tzinfo=timezone.utc)) % self.granularity
        return [r for r in rows if r.modified >= since], [r for r in rows if r.modified >= start]


EXACT = SinceGuarantee()


class Harness(Protocol):
    """A connector kind as the contract suite drives it. `fill` and `change` write the source;
    `connector` only builds a connector, which must not touch the source before `next()`.
    A method that the kind cannot support calls `pytest.skip` saying why."""

    name: ClassVar[str]  # the configured source name in every connector made
    since: SinceGuarantee
    has_modified: bool  # whether records carry their modification time
    unreachable_error: type[ConnectorError]

    def fill(self, rows: Sequence[Row]) -> None:
        """Make the source hold exactly `rows` ([] makes an empty source)."""

    def change(self, rows: Sequence[Row]) -> None:
        """Replace the rows with the same ids and add the others, as the source's users do."""

    def connector(self) -> Connector:
        """A connector for the filled source."""

    def touches(self) -> int:
        """How often the source has been read so far: requests, opened files, connections."""

    def record_id(self, row: Row) -> str:
        """The record id the kind gives `row`."""

    def title(self, record: SourceRecord) -> str:
        """The row's title, as the record's payload holds it."""

    def place(self) -> str:
        """What a record's `where()` must name: the file, URL or table."""

    def unreachable(self) -> tuple[Connector, str]:
        """A connector for a source that is not there, and what its error must name."""

    def malformed(self, good: Sequence[Row]) -> tuple[Connector, str]:
        """A connector for a source holding `good`, then something unreadable; and the place
        the error must name."""

    def hanging(self, timeout: float) -> Connector:
        """A connector, set to give up after `timeout` seconds, for a source that never
        answers."""

    def close(self) -> None:
        """Release servers, connections and listeners."""


# Noticing file opens ----------------------------------------------------------------------
# Audit hooks cannot be removed, so one is installed on first use and calls what is watching.
_watchers: list[Callable[[str], None]] = []
_hook_lock = threading.Lock()
_hooked: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _watchers or event not in ("open", "sqlite3.connect"):
        return
    target = args[0] if args else None
    if isinstance(target, (str, bytes, os.PathLike)):
        path = os.path.abspath(os.fsdecode(target))
        for watcher in list(_watchers):
            watcher(path)


class OpenCounter:
    """Counts the files opened (and SQLite databases connected to) under `folder`."""

    def __init__(self, folder: Path):
        self.folder = str(folder.resolve())
        self.count = 0
        with _hook_lock:
            if not _hooked:
                sys.addaudithook(_audit)
                _hooked.append(True)
        _watchers.append(self._seen)

    def _seen(self, path: str) -> None:
        if path.startswith(self.folder + os.sep):
            self.count += 1

    def close(self) -> None:
        if self._seen in _watchers:
            _watchers.remove(self._seen)


# Network places that are not there, or never answer --------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (bound a moment ago, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class SilentServer:
    """A loopback port that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port: int = self.listener.getsockname()[1]

    def close(self) -> None:
        self.listener.close()
