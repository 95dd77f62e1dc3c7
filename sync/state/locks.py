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
from sqlalchemy.exc import IntegrityError

from sync.state.db import StateDB, rowcount
from sync.state.models import SourceLock, utcnow

logger = logging.getLogger(__name__)


class SourceBusy(Exception):
    """Another run holds the source."""

    def __init__(self, source: str, owner: str, since: datetime):
        super().__init__(
            f"source {source!r} is being synced by another run ({owner}, since "
            f"{since:%Y-%m-%d %H:%M:%S} UTC); wait for it to finish or try again later"
        )
        self.source = source
        self.owner = owner
        self.since = since


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
            taken = rowcount(
                s.execute(
                    update(SourceLock)
                    .where(SourceLock.source == self.source, SourceLock.expires_at < now)
                    .values(owner=self.owner, acquired_at=now, heartbeat_at=now, expires_at=expires)
                )
            )
        if taken:
            logger.warning(
                "source %s: took over a lease left by a process that stopped", self.source
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

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.db.session() as s:
            s.execute(
                delete(SourceLock).where(
                    SourceLock.source == self.source, SourceLock.owner == self.owner
                )
            )

    def __enter__(self) -> SourceLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
