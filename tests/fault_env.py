"""A small province for the fault tests (crash matrix, network faults, backing off): one CSV
source of Vietnamese task records, the national simulator on loopback, and the checks that
say nothing was lost and nothing doubled.

The checks compare the simulator with what the CSV maps to *now*, computed here from the
file and the mapping alone, never from the state database the run under test wrote.

The seed: `seed()` is random per test session unless STISYNC_TEST_SEED fixes it; a test
prints it first, so that a failure shows it (pytest shows a failing test's output) and
`STISYNC_TEST_SEED=N python -m pytest ...` repeats the same choices.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from connectors import make_connector
from schemas.mapping import load_mapping
from stisync.demo_data import CSV_MAPPING, make_tasks, write_csv
from sync import faults
from sync.extract import check
from sync.runner import RunResult, run_source
from sync.state.db import StateDB
from sync.state.models import OutboxItem, Run, RunStatus
from tests.sim_fixtures import RunningSim, running_sim

SEED_ENV = "STISYNC_TEST_SEED"
SOURCE = "tinh-csv"
ID_COLUMN = "Mã số"

CONFIG = """
province = "52"
state_url = "{state_url}"
log_dir = "logs"

[national]
url = "{national_url}"
client_id = "{client_id}"
client_secret_file = "national-secret"
batch_size = {batch_size}
{national}

[sources.{source}]
kind = "spreadsheet"
schedule = "{schedule}"
mapping = "csv.toml"
connector = {{ path = "nhiem-vu.csv", id_column = "{id_column}" }}
{source_extra}
"""


@cache
def seed() -> int:
    """This session's seed: STISYNC_TEST_SEED, else drawn once."""
    fixed = os.environ.get(SEED_ENV)
    return int(fixed) if fixed else random.SystemRandom().randrange(1, 1_000_000)


def rng(*labels: object) -> random.Random:
    """A generator of its own for each test (and label), repeatable from the session seed."""
    return random.Random(":".join(str(x) for x in (seed(), *labels)))


def announce(what: str) -> None:
    """Printed first by each test: shown only when it fails."""
    print(f"seed {seed()} (repeat with {SEED_ENV}={seed()}): {what}")


@dataclass
class Province:
    folder: Path
    config: Path
    state_url: str
    sim: RunningSim

    @property
    def csv(self) -> Path:
        return self.folder / "nhiem-vu.csv"

    def edit(self, record_id: str, title: str) -> None:
        """Give one row a new title: a new version of that record."""
        import csv

        with self.csv.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        hit = [r for r in rows if r[ID_COLUMN] == record_id]
        assert hit, record_id
        hit[0]["Tên nhiệm vụ"] = title
        with self.csv.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)

    def record_ids(self) -> list[str]:
        import csv

        with self.csv.open(encoding="utf-8-sig", newline="") as f:
            return [r[ID_COLUMN] for r in csv.DictReader(f)]

    def sync(self, **kw: Any) -> RunResult:
        """A manual sync in this process (no interpreter to start)."""
        kw.setdefault("trigger", "manual")
        return run_source(str(self.config), SOURCE, **kw)

    def stisync(
        self, *args: str, crash: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`python -m stisync ARGS` as an admin runs it; `crash` arms a crash point."""
        return subprocess.run(
            [sys.executable, "-m", "stisync", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
            env=command_env(crash),
        )

    def daemon(self, *, crash: str | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "stisync", "--config", str(self.config), "daemon"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env=command_env(crash),
        )

    def db(self) -> StateDB:
        return StateDB(self.state_url)

    def _read(self, fn: Callable[[Any], Any]) -> Any:
        db = self.db()
        try:
            with db.session() as s:
                return fn(s)
        finally:
            db.dispose()

    def runs(self) -> list[Run]:
        return list(self._read(lambda s: list(s.scalars(select(Run).order_by(Run.id)))))

    def outbox(self) -> list[OutboxItem]:
        return list(self._read(lambda s: list(s.scalars(select(OutboxItem)))))

    def expected(self) -> dict[str, str]:
        """local_id -> content hash of each row of the CSV as it is now, mapped and hashed
        the way a sync does it, without the state database."""
        connector = make_connector(
            "spreadsheet", SOURCE, {"path": str(self.csv), "id_column": ID_COLUMN}
        )
        mapping = load_mapping(self.folder / "csv.toml")
        try:
            out = {}
            for rec in connector.records():
                c = check(mapping, rec)
                assert not c.problems and c.local_id and c.content_hash, c.problems
                out[c.local_id] = c.content_hash
            return out
        finally:
            connector.close()

    def creates(self) -> dict[str, int]:
        counts = self.sim.stats()["writes"].get(self.sim.province, {})
        return {k: c["created"] for k, c in counts.items()}

    def unchanged_writes(self) -> int:
        counts = self.sim.stats()["writes"].get(self.sim.province, {})
        return sum(c["unchanged"] for c in counts.values())

    def integrity(self) -> str | None:
        """SQLite's `PRAGMA integrity_check` ("ok"), or None for another database."""
        url = make_url(self.state_url)
        if url.get_backend_name() != "sqlite":
            return None
        con = sqlite3.connect(str(url.database))
        try:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])
        finally:
            con.close()

    def assert_delivered_once(self) -> None:
        """The national side holds exactly the source's records at their latest content, each
        created once; nothing is left in the outbox and no run is left running."""
        expected = self.expected()
        national = {k: t.content_hash for k, t in self.sim.tasks().items()}
        assert sorted(national) == sorted(expected), "national and source record sets differ"
        stale = sorted(k for k in expected if national[k] != expected[k])
        assert not stale, f"not at their latest content nationally: {stale}"
        doubled = {k: n for k, n in self.creates().items() if n != 1}
        assert not doubled, f"created more than once: {doubled}"
        assert self.outbox() == []
        running = [r.id for r in self.runs() if r.status is RunStatus.RUNNING]
        assert not running, f"runs left running: {running}"
        assert self.integrity() in (None, "ok")


def command_env(crash: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != faults.ENV}
    env.pop("STISYNC_CONFIG", None)
    env.pop("STISYNC_STATE_URL", None)
    if crash:
        env[faults.ENV] = crash
    return env


@contextmanager
def province(
    tmp_path: Path,
    state_url: str,
    *,
    rows: int = 12,
    batch_size: int = 5,
    national: str = "",
    source: str = "",
    schedule: str = "every 1h",
    sim_config: dict[str, Any] | None = None,
) -> Iterator[Province]:
    """`rows` task records in a CSV; `national` adds lines to the [national] table, `source`
    to the source's."""
    folder = tmp_path / "province"
    folder.mkdir(parents=True)
    write_csv(folder / "nhiem-vu.csv", make_tasks("NV", rows, seed=11, year=2023))
    (folder / "csv.toml").write_text(CSV_MAPPING.format(namespace=SOURCE), encoding="utf-8")
    with running_sim(tmp_path / "national", **(sim_config or {})) as sim:
        (folder / "national-secret").write_text(sim.client_secret, encoding="utf-8")
        config = folder / "stisync.toml"
        config.write_text(
            CONFIG.format(
                state_url=state_url,
                national_url=sim.url,
                client_id=sim.client_id,
                batch_size=batch_size,
                national=national,
                source=SOURCE,
                schedule=schedule,
                id_column=ID_COLUMN,
                source_extra=source,
            ),
            encoding="utf-8",
        )
        yield Province(folder, config, state_url, sim)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def daemon_here(p: Province) -> Iterator[threading.Event]:
    """The daemon in this process, on a thread, stopped (as SIGTERM would) on leaving."""
    import scheduler
    from sync.config import load_config

    # The schema first: a new SQLite file opened by the daemon and by the test's polling at
    # the same instant can refuse one of them ("database is locked" switching it to WAL).
    p.db().dispose()
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler.run_daemon, args=(load_config(p.config),), kwargs={"stop": stop}
    )
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the daemon did not stop"
