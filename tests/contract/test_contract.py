"""The connector contract, checked against every kind: what the sync layer may rely on whatever
the source is. Each test states one promise; `harness` (see conftest.py) builds the source."""

from __future__ import annotations

import time
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from connectors.base import SourceRecord
from connectors.errors import SourceDataError, SourceUnavailable
from tests.contract.harness import VIETNAM, Harness, Row

T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=VIETNAM)
ROWS = [
    Row(f"NV-2024-{n:03d}", title, T0 + timedelta(hours=n, minutes=7 * n))
    for n, title in enumerate(
        [
            "Nghiên cứu giống cà phê chè vùng Tây Nguyên",
            "Ứng dụng công nghệ sinh học trong chăn nuôi bò",
            "Số hóa di sản Hán Nôm của tỉnh",
            "Xây dựng mô hình nông thôn mới thông minh",
            "Đánh giá tài nguyên nước dưới đất",
            "Phát triển du lịch cộng đồng vùng biên giới",
        ],
        start=1,
    )
]
# A record's own time ("at or after" must include it), in UTC as a cursor may be kept, while
# the sources write Vietnamese time.
SINCE = ROWS[3].modified.astimezone(timezone.utc)
HANG_TIMEOUT = 1.0
HANG_BOUND = 10.0


def by_id(records: list[SourceRecord]) -> dict[str, SourceRecord]:
    return {r.record_id: r for r in records}


def ids(harness: Harness, rows: list[Row]) -> set[str]:
    return {harness.record_id(r) for r in rows}


def test_nothing_is_read_before_the_first_record_is_asked_for(harness: Harness) -> None:
    harness.fill(ROWS)
    before = harness.touches()

    connector = harness.connector()
    records = connector.records()

    assert harness.touches() == before
    next(records)
    assert harness.touches() > before  # the probe sees reads, so the first assert means it
    connector.close()


def test_records_are_frozen_and_say_where_they_came_from(harness: Harness) -> None:
    harness.fill(ROWS)

    got = list(harness.connector().records())

    assert [r.record_id for r in got] == [harness.record_id(r) for r in ROWS]
    for record, row in zip(got, ROWS, strict=True):
        assert isinstance(record, SourceRecord)
        assert record.source == harness.name
        assert isinstance(record.record_id, str) and record.record_id.strip()
        assert harness.title(record) == row.title
        if harness.has_modified:
            assert record.modified_at == row.modified
            assert record.modified_at is not None and record.modified_at.utcoffset() is not None
        assert isinstance(record.payload, MappingProxyType)
        with pytest.raises(TypeError):
            record.payload["ten"] = "sửa"  # type: ignore[index]
        with pytest.raises(FrozenInstanceError):
            record.record_id = "khác"  # type: ignore[misc]
        assert harness.place() in record.where()


def test_since_returns_what_the_kind_promises(harness: Harness) -> None:
    harness.fill(ROWS)

    got = {r.record_id for r in harness.connector().records(SINCE)}

    must, may = harness.since.bounds(ROWS, SINCE)
    assert ids(harness, must) <= got <= ids(harness, may)


def test_two_full_reads_agree(harness: Harness) -> None:
    harness.fill(ROWS)
    connector = harness.connector()

    first, second = list(connector.records()), list(connector.records())

    assert [r.record_id for r in first] == [r.record_id for r in second]
    assert [dict(r.payload) for r in first] == [dict(r.payload) for r in second]


def test_a_read_from_saved_state_misses_no_change(harness: Harness) -> None:
    harness.fill(ROWS)
    first = list(harness.connector().records())
    cursor = max(
        (r.modified_at for r in first if r.modified_at is not None), default=ROWS[-1].modified
    ).astimezone(timezone.utc)
    changes = [
        Row(ROWS[1].id, ROWS[1].title + " (đã sửa tên)", cursor + timedelta(minutes=5)),
        Row("NV-2024-007", "Nhiệm vụ mới thêm sau lần đọc trước", cursor + timedelta(minutes=6)),
    ]
    harness.change(changes)

    second = by_id(list(harness.connector().records(cursor)))

    for row in changes:
        assert harness.title(second[harness.record_id(row)]) == row.title
    must, may = harness.since.bounds([ROWS[0], *changes, *ROWS[2:]], cursor)
    assert ids(harness, must) <= set(second) <= ids(harness, may)


def test_an_empty_source_yields_nothing(harness: Harness) -> None:
    harness.fill([])

    assert list(harness.connector().records()) == []


def test_an_unreachable_source_is_named_in_the_error(harness: Harness) -> None:
    connector, place = harness.unreachable()

    with pytest.raises(harness.unreachable_error) as caught:
        list(connector.records())

    assert caught.value.source == harness.name
    assert str(caught.value).startswith(f"{harness.name}: ")
    assert place in str(caught.value)


def test_a_malformed_source_fails_naming_the_place_after_the_good_records(harness: Harness) -> None:
    good = ROWS[:2]
    connector, place = harness.malformed(good)
    got: list[SourceRecord] = []

    with pytest.raises(SourceDataError) as caught:
        for record in connector.records():
            got.append(record)

    assert [r.record_id for r in got] == [harness.record_id(r) for r in good]
    assert caught.value.source == harness.name
    assert place in str(caught.value)


def test_a_source_that_hangs_is_given_up_on_in_time(harness: Harness) -> None:
    connector = harness.hanging(HANG_TIMEOUT)
    started = time.monotonic()

    with pytest.raises(SourceUnavailable) as caught:
        list(connector.records())

    # At least half the timeout, or the source did not hang and the test proves nothing.
    assert HANG_TIMEOUT / 2 <= time.monotonic() - started < HANG_BOUND
    assert caught.value.source == harness.name
    assert caught.value.retriable
