"""Delivery details: the per-record fallback, versions superseded in the outbox, duplicate and
missing ids, a write stored before the connection dropped."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors import SourceRecord
from schemas.mapping import parse_mapping
from stisync.demo_data import CSV_MAPPING, make_tasks
from sync.context import RunContext
from sync.deliver import deliver
from sync.extract import check
from sync.national import NationalClient, PermanentError, RetryPolicy, StaticToken
from sync.state.db import StateDB
from sync.state.models import (
    OutboxItem,
    Outcome,
    QuarantineItem,
    RecordEvent,
    Run,
    RunStatus,
    Trigger,
    utcnow,
)
from tests.e2e import e2e_env

BASE = "http://national.test/api"
MAPPING = parse_mapping(CSV_MAPPING.format(namespace="t"), name="t.toml")


def _outbox(db: StateDB, n: int) -> int:
    run = Run(
        run_uid="r",
        source="t",
        trigger=Trigger.MANUAL,
        status=RunStatus.RUNNING,
        started_at=utcnow(),
        counts={},
    )
    with db.session() as s:
        s.add(run)
    with db.session() as s:
        for task in make_tasks("NV", n, seed=3):
            c = check(MAPPING, SourceRecord("t", task.code, None, task.row(), origin={"row": 2}))
            assert not c.problems, c.problems
            s.add(
                OutboxItem(
                    source="t",
                    local_id=c.local_id,
                    record_id=task.code,
                    content_hash=c.content_hash,
                    record=c.record,
                    origin={"row": 2},
                    run_id=run.id,
                    created_at=utcnow(),
                )
            )
    return run.id


def _client() -> NationalClient:
    return NationalClient(
        BASE, "52", StaticToken("t"), policy=RetryPolicy(max_attempts=1), sleep=lambda s: None
    )


@responses.activate
def test_a_batch_refused_whole_is_sent_one_record_at_a_time(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 's.sqlite'}")
    run_id = _outbox(db, 3)
    responses.post(
        f"{BASE}/v1/provinces/52/tasks:batch",
        status=413,
        json={"error": "too_large", "message": "batch too large"},
    )

    def put(request: Any) -> Any:
        body = json.loads(request.body)
        if body["local_id"].endswith("002"):
            return (
                422,
                {},
                json.dumps(
                    {"errors": [{"field": "title", "code": "too_long", "message": "quá dài"}]}
                ),
            )
        return (
            201,
            {},
            json.dumps(
                {
                    "local_id": body["local_id"],
                    "status": "created",
                    "national_id": "VN-52-1",
                    "revision": 1,
                    "content_hash": None,
                    "errors": [],
                }
            ),
        )

    responses.add_callback(
        responses.PUT, re.compile(rf"{re.escape(BASE)}/v1/provinces/52/tasks/.+"), callback=put
    )
    ctx = RunContext(db=db, source="t", run_id=run_id)
    out = deliver(ctx, _client(), batch_size=10)
    assert out.error is None
    assert (ctx.counts["created"], ctx.counts["rejected"]) == (2, 1)
    with db.session() as s:
        assert s.query(OutboxItem).count() == 0
        (q,) = s.query(QuarantineItem).all()
        assert q.local_id == "t:NV-2023-002" and q.problems[0]["path"] == "title"
        outcomes = sorted(e.outcome.value for e in s.query(RecordEvent))
    assert outcomes == ["created", "created", "rejected"]
    db.dispose()


@responses.activate
def test_a_province_refusal_during_the_fallback_stops_delivery_instead_of_quarantining(
    tmp_path: Path,
) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 's.sqlite'}")
    run_id = _outbox(db, 3)
    responses.post(f"{BASE}/v1/provinces/52/tasks:batch", status=413, json={"error": "too_large"})
    for i in (1, 2, 3):
        responses.put(
            f"{BASE}/v1/provinces/52/tasks/t%3ANV-2023-00{i}",
            status=403,
            json={"error": "forbidden", "message": "province 52 not allowed"},
        )
    ctx = RunContext(db=db, source="t", run_id=run_id)
    out = deliver(ctx, _client(), batch_size=10)
    assert isinstance(out.error, PermanentError) and out.error.status == 403
    with db.session() as s:
        assert s.query(OutboxItem).count() == 3  # kept for the next run
        assert s.query(QuarantineItem).count() == 0  # not the records' fault
        # The error is noted on each; no attempt is counted against them (not suspects).
        assert all(o.attempts == 0 and "403" in (o.last_error or "") for o in s.query(OutboxItem))
    db.dispose()


@pytest.mark.parametrize("chunk", [500, 1], ids=["same-chunk", "later-chunk"])
def test_duplicate_and_missing_ids_are_held_back_by_place(
    tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.extract.CHUNK", chunk)
    db = StateDB(f"sqlite:///{tmp_path / 's.sqlite'}")
    tasks = make_tasks("NV", 2, seed=5)
    rows = [
        SourceRecord("t", t.code, None, t.row(), origin={"file": "a.csv", "row": i + 2})
        for i, t in enumerate(tasks)
    ]
    rows.append(
        SourceRecord("t", tasks[0].code, None, tasks[0].row(), origin={"file": "a.csv", "row": 4})
    )
    rows.append(
        SourceRecord(
            "t", "", None, tasks[1].row() | {"Mã số": ""}, origin={"file": "a.csv", "row": 5}
        )
    )

    class Rows:
        name = "t"

        def records(self, since: Any) -> Any:
            return iter(rows)

    from sync.extract import extract

    run_id = _outbox(db, 0)
    ctx = RunContext(db=db, source="t", run_id=run_id, started_at=utcnow())
    extract(ctx, Rows(), MAPPING, None)  # type: ignore[arg-type]
    assert (ctx.counts["queued"], ctx.counts["invalid"]) == (2, 2)
    with db.session() as s:
        held = {q.record_key: q for q in s.query(QuarantineItem)}
    assert set(held) == {"@a.csv, row 4", "@a.csv, row 5"}
    assert held["@a.csv, row 4"].problems[0]["code"] == "duplicate_id"
    assert held["@a.csv, row 5"].problems[0]["path"] == "local_id"
    db.dispose()


@pytest.mark.slow
def test_a_record_changed_twice_while_the_national_side_was_down_arrives_once_in_its_last_version(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, max_attempts=1, max_retry_seconds=1) as env:
        env.sim.set_faults(down=True)
        env.sync("tinh-csv")
        env.edit_csv("NV-2023-004", "Tên nhiệm vụ", "Phiên bản hai")
        env.sync("tinh-csv")
        env.edit_csv("NV-2023-004", "Tên nhiệm vụ", "Phiên bản ba")
        env.sync("tinh-csv")
        assert len(env.outbox()) == 20  # one pending version per record
        env.sim.set_faults(down=False)
        result = env.sync("tinh-csv")["tinh-csv"]
        assert result.counts["created"] == 20
        stored = env.national()["tinh-csv:NV-2023-004"]
        assert (stored.record["title"], stored.revision) == ("Phiên bản ba", 1)
        assert set(env.writes().values()) == {1}


@pytest.mark.slow
def test_a_write_stored_before_the_connection_dropped_is_not_doubled(
    tmp_path: Path, state_url: str
) -> None:
    with e2e_env(tmp_path, state_url, batch_size=5) as env:
        env.sim.set_faults(store_then_drop=2)
        result = env.sync("tinh-csv")["tinh-csv"]
        assert result.status is RunStatus.SUCCEEDED, result.error
        assert env.sim.stats()["dropped_after_store"] == 2
        assert set(env.creates().values()) == {1}
        assert len(env.national()) == 20
        assert env.local_hashes() == {k: t.content_hash for k, t in env.national().items()}


def test_a_stop_request_ends_delivery_after_the_batch_in_flight(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 's.sqlite'}")
    run_id = _outbox(db, 6)
    stop = threading.Event()
    calls = []

    class OneBatch:
        requests_sent = 0

        def put_batch(self, records: Any) -> Any:
            from sync.national import WriteResult, WriteStatus

            calls.append(len(records))
            stop.set()  # the signal arrives mid-batch
            return [
                WriteResult(r["local_id"], WriteStatus.CREATED, "VN-52-1", 1, None) for r in records
            ]

    ctx = RunContext(db=db, source="t", run_id=run_id, stop=stop)
    deliver(ctx, OneBatch(), batch_size=2)  # type: ignore[arg-type]
    assert calls == [2]
    with db.session() as s:
        assert s.query(OutboxItem).count() == 4
        assert s.query(RecordEvent).filter(RecordEvent.outcome == Outcome.CREATED).count() == 2
    db.dispose()


@pytest.mark.slow
def test_records_read_before_the_source_failed_are_delivered_and_the_cursor_stays(
    tmp_path: Path, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.runner
    from connectors import SourceUnavailable, make_connector

    def failing(kind: Any, name: Any, options: Any, *, base_dir: Any = None) -> Any:
        real = make_connector(kind, name, options, base_dir=base_dir)

        class Failing:
            def records(self, since: Any) -> Any:
                for i, rec in enumerate(real.records(since)):
                    if i == 7:
                        raise SourceUnavailable(name, "page 2 cut off (test)")
                    yield rec

            def close(self) -> None:
                real.close()

        return Failing()

    with e2e_env(tmp_path, state_url) as env:
        monkeypatch.setattr(sync.runner, "make_connector", failing)
        broken = env.sync("tinh-api")["tinh-api"]
        assert broken.status is RunStatus.FAILED
        assert broken.error == "source: tinh-api: page 2 cut off (test)"
        assert (broken.counts["fetched"], broken.counts["created"]) == (7, 7)
        assert len(env.national()) == 7
        monkeypatch.undo()
        whole = env.sync("tinh-api")["tinh-api"]
        assert whole.status is RunStatus.SUCCEEDED
        assert whole.counts["fetched"] == 15  # the cursor had not moved: all read again
        assert (whole.counts["created"], whole.counts["unchanged"]) == (8, 7)
        assert set(env.creates().values()) == {1}


@pytest.mark.slow
def test_a_row_without_id_leaves_quarantine_once_it_has_one(tmp_path: Path, state_url: str) -> None:
    with e2e_env(tmp_path, state_url) as env:
        env.edit_csv("NV-2023-009", "Mã số", "")
        first = env.sync("tinh-csv")["tinh-csv"]
        assert (first.counts["created"], first.counts["invalid"]) == (19, 1)
        assert [q.record_key for q in env.quarantine()] == ["@nhiem-vu.csv, row 10"]
        env.edit_csv("", "Mã số", "NV-2023-009")
        second = env.sync("tinh-csv")["tinh-csv"]
        assert (second.counts["created"], second.counts["invalid"]) == (1, 0)
        assert env.quarantine() == []
