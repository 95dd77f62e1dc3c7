"""Faults the simulator injects on demand: refusals, slowness, rejections, outages, lost answers,
and the network faults of a write stored nationally whose answer never arrives whole."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_RATE_LIMITED = 429
_UNAVAILABLE = 503
# The faults of a stored write's answer, in the order they are taken (FaultController.take_network).
NETWORK_FAULTS = ("reset", "partial_body", "slow_answers")


class FaultConfigError(ValueError):
    """A fault setting is unknown or has the wrong type or range; `key` names it."""

    def __init__(self, key: str, message: str):
        super().__init__(f"fault {key!r} {message}")
        self.key = key


@dataclass(frozen=True)
class Faults:
    """What to break, and how often.

    `failure_rate`: share of requests answered 429 or 503 with `Retry-After: retry_after`
    (as an HTTP-date instead of delta-seconds when `retry_after_http_date`).
    `latency`: seconds slept before answering each request. `reject_ids`: local_ids refused as
    invalid whatever their content. `crash_ids`: local_ids the server fails on (500, nothing
    stored), alone or in a batch: a defect of the national side with one record's content,
    which fails the whole batch it travels in. `down`: every request answered 503 without
    Retry-After. `store_then_drop`: how many of the next writes are stored and then answered
    500, as a connection cut after the commit would look to the client. `seed` makes the
    draws repeatable.

    The network faults hit writes (`PUT`/`DELETE` of a task, `POST tasks:batch`) that were
    stored: the client cannot tell what happened and must send them again. `reset`: how many
    of the next are answered by closing the connection without a word. `partial_body`: how
    many get a Content-Length larger than the body sent, and then the connection closed.
    `slow_answers`: how many are answered only after `slow_seconds` (make it longer than the
    client's read timeout). They are applied below Flask, by the server (waitress).
    """

    failure_rate: float = 0.0
    retry_after: int = 1
    retry_after_http_date: bool = False
    latency: float = 0.0
    reject_ids: frozenset[str] = field(default_factory=frozenset)
    crash_ids: frozenset[str] = field(default_factory=frozenset)
    down: bool = False
    store_then_drop: int = 0
    seed: int = 0
    reset: int = 0
    partial_body: int = 0
    slow_answers: int = 0
    slow_seconds: float = 5.0

    def __post_init__(self) -> None:
        for name in ("reject_ids", "crash_ids"):
            if not isinstance(getattr(self, name), frozenset):
                object.__setattr__(self, name, _coerce(name, getattr(self, name)))
        if not 0.0 <= self.failure_rate <= 1.0:
            raise FaultConfigError("failure_rate",
                                   f"must be between 0 and 1, not {self.failure_rate}")
        if self.retry_after < 0:
            raise FaultConfigError("retry_after", f"must be >= 0 seconds, not {self.retry_after}")
        if self.latency < 0:
            raise FaultConfigError("latency", f"must be >= 0 seconds, not {self.latency}")
        for name in ("store_then_drop", *NETWORK_FAULTS, "slow_seconds"):
            if getattr(self, name) < 0:
                raise FaultConfigError(name, f"must be >= 0, not {getattr(self, name)}")

    def replace(self, changes: Mapping[str, Any]) -> Faults:
        """A copy with `changes` applied, each checked for its name and type."""
        known = {f.name for f in dataclasses.fields(self)}
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise FaultConfigError(key, f"is unknown; known faults: {', '.join(sorted(known))}")
            checked[key] = _coerce(key, value)
        return dataclasses.replace(self, **checked)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["reject_ids"] = sorted(self.reject_ids)
        d["crash_ids"] = sorted(self.crash_ids)
        return d


def _coerce(key: str, value: Any) -> Any:
    if key in ("down", "retry_after_http_date"):
        if not isinstance(value, bool):
            raise FaultConfigError(key, f"must be true or false, not {value!r}")
        return value
    if key in ("reject_ids", "crash_ids"):
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise FaultConfigError(key, f"must be a list of local_ids, not {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise FaultConfigError(key, "must hold only strings")
        return frozenset(value)
    if key in ("retry_after", "store_then_drop", "seed", *NETWORK_FAULTS):
        # True would pass as 1 here; `store_then_drop=True` meaning "the next write" is intended.
        if not isinstance(value, int) or (isinstance(value, bool) and key != "store_then_drop"):
            raise FaultConfigError(key, f"must be a whole number, not {value!r}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultConfigError(key, f"must be a number, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Refusal:
    """A request the faults answer instead of the API: status and the Retry-After to send."""

    status: int
    retry_after: int | None
    http_date: bool = False


class FaultController:
    """The live fault settings of one simulator, changed at runtime and read by every request."""

    def __init__(self, initial: Faults | None = None):
        self._initial = initial or Faults()
        self._lock = threading.Lock()
        self._faults = self._initial
        self._rng = random.Random(self._initial.seed)

    @property
    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def update(self, changes: Mapping[str, Any]) -> Faults:
        """Apply `changes` (raises FaultConfigError, leaving the settings as they were)."""
        with self._lock:
            new = self._faults.replace(changes)
            if "seed" in changes:
                self._rng = random.Random(new.seed)
            self._faults = new
            return new

    def reset(self) -> None:
        with self._lock:
            self._faults = self._initial
            self._rng = random.Random(self._initial.seed)

    def refusal(self) -> Refusal | None:
        """Whether this request is refused outright, drawing from the seeded generator."""
        with self._lock:
            f = self._faults
            if f.down:
                return Refusal(_UNAVAILABLE, None)
            if f.failure_rate and self._rng.random() < f.failure_rate:
                status = _RATE_LIMITED if self._rng.random() < 0.5 else _UNAVAILABLE
                return Refusal(status, f.retry_after, f.retry_after_http_date)
            return None

    def rejects(self, local_id: object) -> bool:
        with self._lock:
            return isinstance(local_id, str) and local_id in self._faults.reject_ids

    def crashes(self, local_ids: list[object]) -> str | None:
        """The first of `local_ids` the server fails on (the crash_ids fault), if any."""
        with self._lock:
            crash = self._faults.crash_ids
            return next((i for i in local_ids if isinstance(i, str) and i in crash), None)

    def take_drop(self) -> bool:
        """Whether this write is to be stored and then answered 500; uses up one drop."""
        with self._lock:
            if self._faults.store_then_drop <= 0:
                return False
            self._faults = dataclasses.replace(
                self._faults, store_then_drop=self._faults.store_then_drop - 1
            )
            return True

    def take_network(self) -> str | None:
        """The network fault this stored write's answer suffers ("reset", "partial_body" or
        "slow_answers"), using one of it up; None when none is pending."""
        with self._lock:
            for name in NETWORK_FAULTS:
                left = getattr(self._faults, name)
                if left > 0:
                    self._faults = dataclasses.replace(self._faults, **{name: left - 1})
                    return name
            return None
