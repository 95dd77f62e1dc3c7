"""The simulator's runtime context: its configuration, its parts, the checks routes share."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import current_app, request

from national_sim.auth import Authenticator, AuthError, Client, Principal
from national_sim.faults import FaultController, Faults
from national_sim.stats import Stats
from national_sim.store import Store
from schemas.codelists import current_provinces

EXTENSION = "national_sim"


@dataclass(frozen=True)
class SimConfig:
    """How to start one simulator. `static_tokens` maps token -> province (`*` for national
    staff). The API answers at the root and under `base_path`, as a real base URL carries a
    path. `clock` (epoch seconds) and `sleep` are injectable so tests never wait on the wall."""

    data_dir: Path
    clients: tuple[Client, ...] = ()
    static_tokens: Mapping[str, str] = field(default_factory=dict)
    token_ttl: int = 3600
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    base_path: str = "/api"


@dataclass
class SimState:
    """The parts of one running simulator, reachable from a request as `current()`."""

    config: SimConfig
    store: Store
    auth: Authenticator
    faults: FaultController
    stats: Stats

    @classmethod
    def build(cls, config: SimConfig) -> SimState:
        return cls(
            config=config,
            store=Store(config.data_dir),
            auth=Authenticator(config.clients, config.static_tokens, ttl=config.token_ttl,
                               clock=config.clock),
            faults=FaultController(config.faults),
            stats=Stats(),
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.config.clock(), tz=timezone.utc)

    def reset(self) -> None:
        """Back to the state at start: no data, no statistics, the starting faults."""
        self.store.clear()
        self.stats.reset()
        self.faults.reset()


def current() -> SimState:
    state: SimState = current_app.extensions[EXTENSION]
    return state


class ApiError(Exception):
    """An error answered as `{"error": code, "message": ...}` with `status`."""

    def __init__(self, status: int, code: str, message: str,
                 headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bearer_token() -> str | None:
    auth = request.authorization
    if auth is None or auth.type != "bearer":
        return None
    return auth.token


def require_principal() -> Principal:
    """The caller of this request; 401 with a reason when the token is missing or invalid."""
    try:
        return current().auth.principal(bearer_token())
    except AuthError as exc:
        challenge = f'Bearer realm="national", error="{exc.code}"'
        raise ApiError(401, exc.code, f"{request.method} {request.path}: {exc.message}",
                       {"WWW-Authenticate": challenge}) from exc


def check_province(principal: Principal, province: str, *, write: bool) -> None:
    """404 for a code that is not a current province, 403 for a province not the caller's."""
    if province not in current_provinces():
        raise ApiError(404, "unknown_province",
                       f"province code {province!r} is not one of the 34 current provinces "
                       "(Decision 19/2025/QĐ-TTg)")
    if principal.is_staff:
        if write:
            raise ApiError(403, "forbidden", f"{principal.name} is a national staff "
                                             "credential: it may read, not write")
        return
    if principal.province != province:
        raise ApiError(403, "forbidden", f"{principal.name} may only use province "
                                         f"{principal.province}, not {province}")


def json_body() -> Any:
    """The request body as JSON; 400 naming the position of the first syntax error."""
    raw = request.get_data(cache=True)
    where = f"{request.method} {request.path}"
    if not raw:
        raise ApiError(400, "bad_request", f"{where}: the body is empty; a JSON body is required")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant(where))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad_request",
                       f"{where}: the body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "bad_request", f"{where}: the body is not valid JSON: {exc.msg} "
                                           f"at line {exc.lineno} column {exc.colno}") from exc


def _no_constant(where: str) -> Callable[[str], Any]:
    def refuse(name: str) -> Any:
        raise ApiError(400, "bad_request", f"{where}: {name} is not a JSON value")
    return refuse
