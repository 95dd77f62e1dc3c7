"""Two daemons on one PostgreSQL state, killed and restarted at random while the source
changes: the national side ends with exactly the source's records, each created once, and
no two runs of one source ever overlapped. Set STISYNC_TEST_SEED to replay a failure."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from schemas.canonical import content_hash
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus
from tests.e2e import Env, e2e_env

pytestmark = pytest.mark.slow

ROWS = 20
DURATION = 35.0  # seconds of kills and restarts


def _daemon(env: Env) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stisync", "--config", str(env.config), "daemon"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _busy(env: Env, workers: list[subprocess.Popen[bytes]], rnd: random.Random) -> int:
    """Mostly a daemon in the middle of a run (waiting up to 3 s for one), so that kills
    land mid-run; sometimes any daemon."""
    if rnd.random() < 0.25:
        return rnd.randrange(len(workers))
    pids = [w.pid for w in workers]
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        running = [r.pid for r in _runs(env) if r.status is RunStatus.RUNNING and r.pid in pids]
        if running:
            return pids.index(rnd.choice(running))
        time.sleep(0.1)
    return rnd.randrange(len(workers))


def _runs(env: Env) -> list[Run]:
    db = StateDB(env.state_url)
    try:
        with db.session() as s:
            return list(s.scalars(select(Run).order_by(Run.id)))
    finally:
        db.dispose()


def test_two_daemons_killed_at_random_deliver_each_record_once(
    tmp_path: Path, pg_url: str
) -> None:
    seed = int(os.environ.get("STISYNC_TEST_SEED") or random.SystemRandom().randrange(10**6))
    rnd = random.Random(seed)
    print(f"seed {seed} (STISYNC_TEST_SEED={seed} replays it)")
    with e2e_env(tmp_path, pg_url, batch_size=3, csv_schedule="every 1s") as env:
        # Slow enough that a run spans a few seconds and kills land mid-run.
        env.sim.set_faults(latency=0.2)
        workers = [_daemon(env), _daemon(env)]
        kills = edits = 0
        try:
            deadline = time.monotonic() + DURATION
            while time.monotonic() < deadline:
                time.sleep(rnd.uniform(2.5, 5.0))  # a daemon needs ~1-2 s to start
                victim = _busy(env, workers, rnd)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait(timeout=10)
                workers[victim] = _daemon(env)
                kills += 1
                if rnd.random() < 0.5:
                    row = rnd.randint(1, ROWS)
                    env.edit_csv(f"NV-2023-{row:03d}", "Tên nhiệm vụ", f"Sửa lần {kills}")
                    edits += 1
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    w.kill()
        before = _runs(env)
        env.sim.set_faults(latency=0.0)
        final = env.sync()
        assert all(r.status is not RunStatus.FAILED for r in final.values()), (seed, final)

        national = env.national()
        assert len(national) == 50, seed
        assert set(env.creates().values()) == {1}, seed
        assert env.outbox() == [], seed
        assert env.local_hashes() == {k: t.content_hash for k, t in national.items()}, seed
        assert all(t.content_hash == content_hash(t.record) for t in national.values())

        runs = _runs(env)
        assert not [r for r in runs if r.status is RunStatus.RUNNING], seed
        # A run's time is from its start to its end (a crashed run's end is when it was found
        # dead); the runs of one source that were not killed never overlapped.
        finished = [r for r in runs if r.status is not RunStatus.CRASHED and r.finished_at]
        for source in {r.source for r in finished}:
            spans = sorted((r.started_at, r.finished_at) for r in finished if r.source == source)
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end is not None and end <= start, (seed, source, end, start)
        assert kills >= 6, seed
        # The daemons did the work, and some of it was cut short.
        assert len(before) >= 8, (seed, len(before))
        assert any(r.status is RunStatus.CRASHED for r in runs), seed
        print(f"{kills} kills, {edits} edits, {len(runs)} runs, "
              f"{sum(r.status is RunStatus.CRASHED for r in runs)} crashed")
