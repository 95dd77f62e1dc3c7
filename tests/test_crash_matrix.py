"""The crash matrix: `stisync sync` and the daemon killed outright (SIGKILL, as a power cut
would) at each crash point of a run (sync.faults) — at the first record, mid-batch, at a batch
boundary or at the last record — then run again. Afterwards the national side holds exactly
the source's records at their latest content (rows are edited between the kill and the next
run), each created once; the outbox is empty; the killed run is marked crashed and none is
left running; SQLite's integrity check is ok.

Which positions a session tries is drawn from its seed (tests/fault_env.py): three sessions
with three seeds try different ones. 12 records in batches of 5: batches of 5, 5 and 2."""

from __future__ import annotations

import random
import signal
import sys
from pathlib import Path

import pytest

from national_sim.faults import Faults
from sync import faults
from sync.state.models import RunStatus, Trigger
from tests import fault_env
from tests.fault_env import Province, announce, daemon_here, province, rng, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

ROWS, BATCH = 12, 5
BATCHES = -(-ROWS // BATCH)
POSITIONS = ("first", "mid-batch", "boundary", "last")

# How often a point is reached in a run of ROWS new records: once per record queued, once
# per batch, or once.
PER_RECORD = {"extract.after_outbox_insert"}
PER_BATCH = {"deliver.after_claim", "deliver.before_http", "deliver.after_http",
             "deliver.after_mark"}
ONCE = {"extract.after_commit", "runner.before_finish"}
# Positions tried per point and session (each costs an interpreter start): the points on
# either side of marking a batch delivered get two.
SLOTS = {"extract.after_outbox_insert": 1, "extract.after_commit": 1, "deliver.after_claim": 1,
         "deliver.before_http": 1, "deliver.after_http": 2, "deliver.after_mark": 2,
         "runner.before_finish": 1}
CASES = [(point, slot) for point, n in SLOTS.items() for slot in range(n)]


def record_at(position: str, r: random.Random) -> int:
    """The 1-based record (in outbox order) a position names, drawn where there is a choice."""
    if position == "first":
        return 1
    if position == "last":
        return ROWS
    if position == "boundary":  # the last record of a batch, or the first of the next
        return r.choice([k for b in range(BATCH, ROWS, BATCH) for k in (b, b + 1)])
    inside = [k for k in range(2, ROWS) if (k - 1) % BATCH not in (0, BATCH - 1)]
    return r.choice(inside)


def choose(point: str, slot: int) -> tuple[str, int, int]:
    """(position, record, nth hit of `point`) for this session's `slot` of `point`."""
    if point in ONCE:
        return "once", ROWS, 1
    r = rng("crash", point)
    position = r.sample(POSITIONS, SLOTS[point])[slot]
    record = record_at(position, r)
    nth = record if point in PER_RECORD else (record - 1) // BATCH + 1
    return position, record, nth


def left_after_kill(point: str, nth: int) -> tuple[int, int]:
    """(records the national side holds, rows in the outbox) right after the kill: where each
    point sits between the transactions of a run."""
    if point == "extract.after_outbox_insert":
        return 0, 0  # the chunk was never committed
    if point == "extract.after_commit":
        return 0, ROWS
    if point == "runner.before_finish":
        return ROWS, 0
    sent_before = min((nth - 1) * BATCH, ROWS)
    sent = min(nth * BATCH, ROWS)
    if point in ("deliver.after_claim", "deliver.before_http"):
        return sent_before, ROWS - sent_before
    if point == "deliver.after_http":  # stored nationally, not yet marked here
        return sent, ROWS - sent_before
    return sent, ROWS - sent  # deliver.after_mark


def edit_after_kill(p: Province, tag: str) -> None:
    """New versions of two rows, one of which may have been delivered before the kill."""
    ids = p.record_ids()
    for record_id in rng("edit", tag).sample(ids, 2):
        p.edit(record_id, f"Nghiên cứu sau sự cố ({tag}) của {record_id}")


def test_every_crash_point_is_known_and_a_bad_setting_is_refused() -> None:
    assert set(SLOTS) | {"daemon.tick"} == set(faults.POINTS)
    assert faults.parse(None) is None and faults.parse("") is None
    armed = faults.parse("deliver.after_http:3")
    assert armed is not None and (armed.point, armed.nth) == ("deliver.after_http", 3)
    for bad in ("deliver.after_http", "deliver.after_http:0", "deliver.after_htp:1",
                "deliver.after_http:x"):
        with pytest.raises(ValueError, match=faults.ENV):
            faults.parse(bad)
    with pytest.raises(ValueError, match="not a crash point"):
        armed.hit("deliver.aftr_http")  # a typo in the code is found by the first armed test
    armed.hit("deliver.after_claim")  # another point: not counted, not killed
    assert armed.hits == 0


@pytest.mark.parametrize(
    "point, slot", CASES, ids=[f"{p}-{s + 1}" for p, s in CASES]
)
def test_a_sync_killed_at_a_crash_point_loses_and_doubles_nothing(
    tmp_path: Path, state_url: str, point: str, slot: int
) -> None:
    position, record, nth = choose(point, slot)
    if point in ONCE:
        announce(f"{point}, reached once per run")
    else:
        announce(f"{point} at the {position} record ({record} of {ROWS}): hit {nth}")
    with province(tmp_path, state_url, rows=ROWS, batch_size=BATCH) as p:
        killed = p.stisync("sync", fault_env.SOURCE, crash=f"{point}:{nth}")
        assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
        assert f"at {point} (hit {nth})" in killed.stderr
        national, waiting = left_after_kill(point, nth)
        assert (len(p.sim.tasks()), len(p.outbox())) == (national, waiting)

        edit_after_kill(p, f"{point}-{slot}")
        again = p.sync()
        assert again.status is RunStatus.SUCCEEDED, again.error
        p.assert_delivered_once()
        assert [r.status for r in p.runs()] == [RunStatus.CRASHED, RunStatus.SUCCEEDED]
        if point == "deliver.after_http":
            # The batch stored before the kill came back "unchanged" when sent again.
            assert p.unchanged_writes() >= 1


def test_the_daemon_killed_mid_run_runs_the_owed_run_at_restart(
    tmp_path: Path, state_url: str
) -> None:
    """Killed while delivering its scheduled run, the restarted daemon runs it again at once
    (the schedule is hourly: only a run owed for the crash starts now)."""
    point = rng("daemon").choice(sorted(PER_BATCH))
    nth = rng("daemon", point).randint(1, BATCHES)
    announce(f"daemon killed at {point}, hit {nth}")
    with province(tmp_path, state_url, rows=ROWS, batch_size=BATCH) as p:
        daemon = p.daemon(crash=f"{point}:{nth}")
        try:
            assert daemon.wait(timeout=90) == -signal.SIGKILL
        finally:
            daemon.kill()
            output = daemon.stdout.read() if daemon.stdout else ""
        assert f"at {point} (hit {nth})" in output, output
        edit_after_kill(p, "daemon")
        with daemon_here(p):
            wait_for(lambda: _finished_after_crash(p), 60, "the owed run after the crash")
        p.assert_delivered_once()
        runs = p.runs()
        assert [r.status for r in runs] == [RunStatus.CRASHED, RunStatus.SUCCEEDED]
        assert {r.trigger for r in runs} == {Trigger.SCHEDULE}


def test_the_daemon_killed_at_a_random_moment_leaves_nothing_lost_or_doubled(
    tmp_path: Path, state_url: str
) -> None:
    """A kill at a tick of the daemon's main loop lands wherever its run happens to be (or
    before it started, or after it ended): whatever it hit, the restarted daemon ends with
    every record delivered once."""
    nth = rng("daemon-tick").randint(1, 6)
    announce(f"daemon killed at daemon.tick, hit {nth} (about {nth / 2:.1f} s in)")
    # Each answer takes 0.2 s, so that the run spans several ticks; every 2 s, so that the
    # restarted daemon runs again whatever the kill left behind.
    with province(tmp_path, state_url, rows=ROWS, batch_size=BATCH, schedule="every 2s",
                  sim_config={"faults": Faults(latency=0.2)}) as p:
        daemon = p.daemon(crash=f"daemon.tick:{nth}")
        try:
            assert daemon.wait(timeout=90) == -signal.SIGKILL
        finally:
            daemon.kill()
        edit_after_kill(p, "tick")
        with daemon_here(p):
            wait_for(lambda: _finished_after_crash(p, edited=True), 60,
                     "a run after the restart that delivers the edited rows")
        p.assert_delivered_once()
        assert [r.status for r in p.runs()].count(RunStatus.CRASHED) <= 1


def _finished_after_crash(p: Province, *, edited: bool = False) -> bool:
    """A scheduled run finished successfully after the last crashed one (after any run, for
    a kill that crashed none); with `edited`, the national side also holds the edits."""
    runs = p.runs()
    crashed = [r.id for r in runs if r.status is RunStatus.CRASHED]
    after = [r for r in runs if not crashed or r.id > crashed[-1]]
    done = any(r.status is RunStatus.SUCCEEDED for r in after)
    if not done or not edited:
        return done
    national = {k: t.content_hash for k, t in p.sim.tasks().items()}
    return national == p.expected()
