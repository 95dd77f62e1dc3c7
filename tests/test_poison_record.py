"""One record the national side fails on by itself (a 5xx on its content, nothing stored) must
not hold up the others: its batch fails, its records are then sent one per request, the one
that fails alone while the side answers the others is `failing` in the quarantine and tried
again each run, and after `dead_after` runs so it is dead, out of the outbox, until an admin
retries it. A national side that is simply down is not taken for a bad record."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sync.state.models import (
    Outcome,
    QuarantineItem,
    QuarantineReason,
    RecordEvent,
    RunStatus,
)
from tests.cli_run import run_cli
from tests.fault_env import Province, province

# One attempt per call keeps the runs fast (no backoff sleeps); the breaker stays as shipped.
FAST = "max_attempts = 1"


def _local_ids(p: Province) -> list[str]:
    return sorted(p.expected())


def _held(p: Province) -> dict[str, QuarantineItem]:
    return dict(p._read(lambda s: {q.record_key: q for q in s.scalars(select(QuarantineItem))}))


def _single_puts(p: Province) -> int:
    routes = p.sim.stats()["requests"]["by_route"]
    return sum(sum(v.values()) for k, v in routes.items() if k.startswith("PUT "))


def _events(p: Province, local_id: str) -> list[Outcome]:
    return list(p._read(lambda s: list(s.scalars(
        select(RecordEvent.outcome).where(RecordEvent.local_id == local_id)
        .order_by(RecordEvent.id)))))


def test_a_record_the_national_side_fails_on_holds_up_no_other_and_dies_after_dead_after(
    tmp_path: Path, state_url: str
) -> None:
    with province(tmp_path, state_url, national=FAST, source="dead_after = 3") as p:
        ids = _local_ids(p)
        poison = ids[6]  # in the second batch of five
        p.sim.set_faults(crash_ids=frozenset({poison}))

        first = p.sync()
        # The first batch went through; the second failed whole on the poison record and the
        # run stopped there, as it must when it cannot tell a bad record from a bad side.
        assert first.status is RunStatus.FAILED
        assert "national API unavailable" in (first.error or "")
        assert sorted(p.sim.tasks()) == ids[:5]
        suspects = {o.local_id: o.attempts for o in p.outbox() if o.attempts}
        assert suspects == dict.fromkeys(ids[5:10], 1)

        second = p.sync()
        # Everything but the poison record is delivered: the suspects one per request.
        assert sorted(p.sim.tasks()) == [i for i in ids if i != poison]
        assert [o.local_id for o in p.outbox()] == [poison]
        assert second.status is RunStatus.FAILED
        assert second.error == "1 record(s) could not be delivered and stay in the outbox"
        held = _held(p)[poison]
        assert held.reason is QuarantineReason.FAILING and held.attempts == 1
        assert held.problems and "simulated crash_ids" in held.problems[0]["message_en"]
        said = held.problems[0]["message_vi"]
        assert "Hệ thống quốc gia gặp lỗi khi nhận riêng hồ sơ này" in said
        assert _events(p, poison) == [Outcome.FAILED]

        # The side answers every run: a new version of another record goes through at once,
        # while the poison record fails alone again.
        p.edit(p.record_ids()[0], "Đề tài sửa trong lúc một hồ sơ khác vẫn lỗi")
        third = p.sync()
        assert third.counts["updated"] == 1
        assert _held(p)[poison].attempts == 2

        fourth = p.sync()
        assert fourth.counts["dead"] == 1
        held = _held(p)[poison]
        assert held.reason is QuarantineReason.DEAD
        assert p.outbox() == []  # out of the outbox: sent no more by itself
        assert _events(p, poison) == [Outcome.FAILED] * 3 + [Outcome.DEAD]
        requests_before = p.sim.stats()["requests"]["total"]
        quiet = p.sync()
        assert quiet.status is RunStatus.SUCCEEDED, quiet.error
        assert p.sim.stats()["requests"]["total"] - requests_before <= 2  # token, report
        assert p.outbox() == []

        # The national side is mended; the admin retries the dead record.
        p.sim.set_faults(crash_ids=frozenset())
        retried = p.stisync("quarantine", "retry", poison)
        assert retried.returncode == 0, retried.stderr
        assert p.sync().status is RunStatus.SUCCEEDED
        p.assert_delivered_once()
        assert poison not in _held(p)


def test_a_lone_failure_that_opens_the_circuit_is_forgiven_and_the_run_goes_on(
    tmp_path: Path, state_url: str
) -> None:
    """With the shipped retry policy the poison record's retries open the circuit (two
    failures in a row here); sent alone right after an answered request, the failures are
    its own: the circuit closes again and the records after it are delivered in that run."""
    national = "circuit_failures = 2\nmax_attempts = 6"
    with province(tmp_path, state_url, national=national, rows=8, batch_size=4) as p:
        ids = _local_ids(p)
        poison = ids[1]
        p.sim.set_faults(crash_ids=frozenset({poison}))
        first = p.sync()
        assert "circuit open after 2 failed requests" in (first.error or "")
        assert p.sim.tasks() == {}  # the first batch held the poison record

        second = p.sync()  # probes with one record, then the suspects alone
        assert sorted(p.sim.tasks()) == [i for i in ids if i != poison]
        assert [o.local_id for o in p.outbox()] == [poison]
        assert "circuit open" not in (second.error or "")
        assert _held(p)[poison].reason is QuarantineReason.FAILING

        # Known to fail alone now: the next run tries it once, without the retries.
        before = _single_puts(p)
        third = p.sync()
        assert _single_puts(p) - before == 1
        assert "circuit open" not in (third.error or "")
        assert _held(p)[poison].attempts == 2


def test_a_national_side_down_is_not_taken_for_a_bad_record(
    tmp_path: Path, state_url: str
) -> None:
    """Down for every request, then failing every write it is sent: no record is counted
    as failing alone (nothing was answered), and once back everything is delivered once."""
    with province(tmp_path, state_url, national=FAST, source="dead_after = 1") as p:
        p.sim.set_faults(failure_rate=1.0, retry_after=0)
        for _ in range(2):
            assert p.sync().status is RunStatus.FAILED
        p.sim.set_faults(failure_rate=0.0, crash_ids=frozenset(_local_ids(p)))
        for _ in range(3):
            assert p.sync().status is RunStatus.FAILED
        assert _held(p) == {}
        p.sim.set_faults(crash_ids=frozenset())
        back = p.sync()
        assert back.status is RunStatus.SUCCEEDED, back.error
        assert back.counts.get("dead", 0) == 0
        p.assert_delivered_once()


def test_quarantine_shows_a_failing_record_with_its_reason(
    tmp_path: Path, state_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with province(tmp_path, state_url, national=FAST, rows=4, batch_size=4) as p:
        poison = _local_ids(p)[2]
        p.sim.set_faults(crash_ids=frozenset({poison}))
        p.sync()
        p.sync()
        listed = run_cli(monkeypatch, capsys, p.config, "quarantine")
        assert listed.returncode == 0
        assert poison in listed.stdout and "lỗi khi nhận" in listed.stdout
        assert "tệp nhiem-vu.csv, dòng 4" in listed.stdout  # its place, in Vietnamese
        assert "national_failure: Hệ thống quốc gia gặp lỗi" in listed.stdout
        assert ": national_failure" not in listed.stdout  # no empty field before the code
        shown = run_cli(monkeypatch, capsys, p.config, "quarantine", "show", poison)
        assert shown.returncode == 0
        assert "simulated crash_ids" in shown.stdout
        english = run_cli(monkeypatch, capsys, p.config, "--lang", "en", "quarantine")
        assert "failing" in english.stdout
        assert "nhiem-vu.csv, row 4" in english.stdout
