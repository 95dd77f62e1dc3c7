"""The national simulator for tests: started in-process on a free loopback port.

Use the `national_sim` fixture: `from tests import sim_fixtures` and, at module level,
`national_sim = sim_fixtures.national_sim` (this form keeps ruff's F811 quiet), then request
`national_sim` by name. Use `running_sim(data_dir, ...)` when a test needs its own clock,
tokens or faults at start.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from national_sim import Client, SimConfig, create_app, sim_state
from national_sim.faults import Faults
from national_sim.store import StoredTask
from stisync.wsgi import BackgroundServer, start_background

PROVINCE = "52"


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningSim:
    """A simulator serving on loopback. `url` is the API base URL (token URL: url/oauth/token)."""

    url: str
    client_id: str
    client_secret: str
    province: str
    staff_token: str
    app: Flask
    server: BackgroundServer

    def set_faults(self, **changes: Any) -> Faults:
        """Change faults at runtime, e.g. `set_faults(failure_rate=1.0, retry_after=0)`."""
        return sim_state(self.app).faults.update(changes)

    def stats(self) -> dict[str, Any]:
        """What `GET /_sim/stats` shows: requests by status and route, refusals, Retry-After
        values sent, retry gaps, latency applied, and `writes[province][local_id]` counts."""
        st = sim_state(self.app)
        return st.stats.snapshot() | {"writes": st.store.write_counts()}

    def tasks(self, province: str | None = None) -> dict[str, StoredTask]:
        """Every live record of `province` (the fixture's by default), keyed by local_id."""
        stored = sim_state(self.app).store.tasks(province or self.province)
        return {t.local_id: t for t in stored}

    def token(self) -> str:
        """A fresh access token for the fixture's client."""
        r = requests.post(f"{self.url}/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret})
        r.raise_for_status()
        return str(r.json()["access_token"])

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}


def stop_server(server: BackgroundServer) -> None:
    """Stop a background server at once (kept for the tests that call it by this name)."""
    server.stop()


@contextmanager
def running_sim(data_dir: Path, *, province: str = PROVINCE, **config: Any) -> Iterator[RunningSim]:
    """Start a simulator over `data_dir` with one client for `province` and one staff token;
    `config` overrides SimConfig fields (clock, faults, token_ttl, more clients...)."""
    client = Client(f"tinh-{province}-test", secrets.token_urlsafe(16), province)
    staff = secrets.token_urlsafe(16)
    clients = (client, *config.pop("clients", ()))
    tokens = {staff: "*", **config.pop("static_tokens", {})}
    app = create_app(SimConfig(data_dir=data_dir, clients=clients, static_tokens=tokens, **config))
    server = start_background(app)
    try:
        yield RunningSim(f"{server.url}/api", client.client_id, client.client_secret, province,
                         staff, app, server)
    finally:
        stop_server(server)
        sim_state(app).store.close()


@pytest.fixture
def national_sim(tmp_path: Path) -> Iterator[RunningSim]:
    """A fresh simulator for one test, with one client credential for province 52."""
    with running_sim(tmp_path / "national-sim") as sim:
        yield sim
