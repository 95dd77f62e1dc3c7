"""Request statistics of one simulator: answers, faults sent, and how long clients waited."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

_RETRYABLE_REFUSALS = (429, 503)


@dataclass(frozen=True)
class RetryGap:
    """The time a client let pass between a 429/503 and its next request to the same path."""

    client: str
    method: str
    path: str
    status: int
    retry_after: int | None
    waited: float

    @property
    def honoured(self) -> bool:
        return self.retry_after is None or self.waited >= self.retry_after


class Stats:
    """Counters shared by the request threads; `snapshot()` is what `/_sim/stats` shows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._by_status: Counter[int] = Counter()
        self._by_route: dict[str, Counter[int]] = {}
        self._refusals: Counter[int] = Counter()
        self._retry_after_sent: list[int] = []
        self._gaps: list[RetryGap] = []
        # (client, method, path) -> (time of the refusal, status, Retry-After sent)
        self._pending: dict[tuple[str, str, str], tuple[float, int, int | None]] = {}
        self._delayed = 0
        self._delay_seconds = 0.0
        self._dropped = 0
        self._network: Counter[str] = Counter()

    def arrived(self, client: str, method: str, path: str, now: float) -> None:
        """A request came in: if the last answer to this client and path was a refusal, note
        how long the client waited."""
        with self._lock:
            pending = self._pending.pop((client, method, path), None)
            if pending is not None:
                at, status, retry_after = pending
                self._gaps.append(RetryGap(client, method, path, status, retry_after, now - at))

    def answered(self, client: str, method: str, path: str, *, route: str, status: int,
                 retry_after: int | None, now: float) -> None:
        with self._lock:
            self._by_status[status] += 1
            self._by_route.setdefault(route, Counter())[status] += 1
            if status in _RETRYABLE_REFUSALS:
                self._refusals[status] += 1
                if retry_after is not None:
                    self._retry_after_sent.append(retry_after)
                self._pending[(client, method, path)] = (now, status, retry_after)

    def delayed(self, seconds: float) -> None:
        with self._lock:
            self._delayed += 1
            self._delay_seconds += seconds

    def dropped(self) -> None:
        with self._lock:
            self._dropped += 1

    def network_fault(self, name: str) -> None:
        """A stored write's answer was lost, cut or late (national_sim.faults NETWORK_FAULTS)."""
        with self._lock:
            self._network[name] += 1

    def gaps(self) -> list[RetryGap]:
        with self._lock:
            return list(self._gaps)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {
                    "total": sum(self._by_status.values()),
                    "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                    "by_route": {
                        route: {str(k): v for k, v in sorted(c.items())}
                        for route, c in sorted(self._by_route.items())
                    },
                },
                "refusals": {str(k): v for k, v in sorted(self._refusals.items())},
                "retry_after_sent": list(self._retry_after_sent),
                "retry_gaps": [asdict(g) | {"honoured": g.honoured} for g in self._gaps],
                "latency": {"delayed_requests": self._delayed, "seconds": self._delay_seconds},
                "dropped_after_store": self._dropped,
                "network_faults": dict(sorted(self._network.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._clear()
