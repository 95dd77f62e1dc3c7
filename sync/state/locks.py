"""Per-source leases in the state database, so that two runs of one source never overlap,
even from two processes or two hosts sharing a PostgreSQL state."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from sync.state.db import StateDB, describe_db_error, rowcount
from sync.state.models import SourceLock, utcnow

logger = logging.getLogger(__name__)


class SourceBusy(Exception):
    """Another run holds the source. `str()` is English, `text("vi")` Vietnamese."""

    def __init__(self, source: str, owner: str, since: datetime):
        super().__init__(
            f"source {source!r} is being synced by another run ({owner}, since "
            f"{since:%Y-%m-%d %H:%M:%S} UTC); wait for it to finish or try again later"
        )
        self.source = source
        self.owner = owner
        self.since = since

    def text(self, lang: str = "vi") -> str:
        if lang == "en":
            return str(self)
        return (
            f"nguồn {self.source!r} đang được một lượt khác đồng bộ ({self.owner}, từ "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC); hãy đợi lượt đó xong hoặc thử lại sau"
        )


# Owners of leases this process gave up but could not delete: their runs are over.
_ABANDONED: set[str] = set()


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SourceLease:
    """A lease with a heartbeat. A lease whose holder died expires after `ttl` seconds and is
    then taken over; `lost` turns true if the heartbeat finds that happened to us."""

    def __init__(
        self,
        db: StateDB,
        source: str,
        *,
        ttl: float = 120.0,
        heartbeat: float = 15.0,
        owner: str | None = None,
    ):
        self.db = db
        self.source = source
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.owner = owner or make_owner()
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=self.ttl)
        try:
            with self.db.session() as s:
                s.add(
                    SourceLock(
                        source=self.source,
                        owner=self.owner,
                        acquired_at=now,
                        heartbeat_at=now,
                        expires_at=expires,
                    )
                )
            return True
        except IntegrityError:
            pass
        with self.db.session() as s:
            stale = SourceLock.expires_at < now
            holder = s.scalar(select(SourceLock.owner).where(SourceLock.source == self.source))
            if holder is not None and (holder in _ABANDONED or _dead_here(holder)):
                # Its run is over (this process could not release it), or its process on this
                # host is gone (killed, or the host rebooted): no need to wait for expiry.
                stale = stale | (SourceLock.owner == holder)
            taken = rowcount(
                s.execute(
                    update(SourceLock)
                    .where(SourceLock.source == self.source, stale)
                    .values(owner=self.owner, acquired_at=now, heartbeat_at=now, expires_at=expires)
                )
            )
        if taken:
            logger.warning(
                "source %s: took over a lease left by a run that stopped", self.source
            )
        return bool(taken)

    def holder(self) -> SourceLock | None:
        with self.db.session() as s:
            return s.scalar(select(SourceLock).where(SourceLock.source == self.source))

    def acquire(
        self,
        *,
        wait: float = 0.0,
        poll: float = 1.0,
        on_wait: Callable[[SourceLock], None] | None = None,
    ) -> None:
        """Take the lease, waiting up to `wait` seconds for the holder to finish."""
        deadline = time.monotonic() + wait
        announced = False
        while not self.try_acquire():
            holder = self.holder()
            if holder is None:
                continue
            if time.monotonic() >= deadline:
                raise SourceBusy(self.source, holder.owner, holder.acquired_at)
            if on_wait and not announced:
                on_wait(holder)
                announced = True
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        self._thread = threading.Thread(target=self._beat, name=f"lease:{self.source}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                now = utcnow()
                with self.db.session() as s:
                    kept = rowcount(
                        s.execute(
                            update(SourceLock)
                            .where(SourceLock.source == self.source, SourceLock.owner == self.owner)
                            .values(heartbeat_at=now, expires_at=now + timedelta(seconds=self.ttl))
                        )
                    )
                if not kept:
                    logger.error("source %s: the lease was taken over by another run", self.source)
                    self.lost = True
                    return
            except Exception:  # the heartbeat must never kill the run; the next beat retries
                logger.warning("source %s: lease heartbeat failed", self.source, exc_info=True)

    def release(self, attempts: int = 3) -> None:
        """Give the lease back. When the state database cannot be written (locked, disk
        full, connection lost) the lease is left to expire, or to be taken over at once by
        the next run on this host, and the run's own error says why."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for attempt in range(attempts):
            try:
                with self.db.session() as s:
                    s.execute(
                        delete(SourceLock).where(
                            SourceLock.source == self.source, SourceLock.owner == self.owner
                        )
                    )
                return
            except SQLAlchemyError as exc:
                if attempt + 1 == attempts:
                    _ABANDONED.add(self.owner)
                    logger.warning("source %s: could not release its lease (%s); the next run "
                                   "takes it over", self.source, describe_db_error(exc))
                    return
                time.sleep(1.0)

    def __enter__(self) -> SourceLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lease_alive(lock: SourceLock, now: datetime | None = None) -> bool:
    """Whether a lease row may still stand for a living run: not expired, not given up by
    this process, and not held by a process of this host that no longer exists (a daemon
    restarted after a kill finds its own dead lease at once, not after the TTL)."""
    return (
        lock.expires_at >= (now or utcnow())
        and lock.owner not in _ABANDONED
        and not _dead_here(lock.owner)
    )


def _dead_here(owner: str) -> bool:
    """Whether a lease owner ("host:pid:nonce") is a process of this host that no longer
    exists. Only asked on POSIX: elsewhere a lease of a dead process waits out its TTL."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if os.name != "posix" or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:             # alive, under another user
        return False
    return False
