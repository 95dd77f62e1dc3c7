"""Column values as the sql connector passes them on: plain numbers, aware times, deleted flags."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from connectors.sql.values import VIETNAM, BinaryValue, is_deleted, moment, plain, since_for_column


def wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A DATETIME value as drivers return it: wall-clock time, no offset."""
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM).replace(tzinfo=None)


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1500000000.00"), 1500000000),
    (Decimal("12.50"), "12.5"),
    (Decimal("0.0000001"), "0.0000001"),
    (Decimal("-3.000"), -3),
    (Decimal("NaN"), "NaN"),
    (date(2024, 1, 15), date(2024, 1, 15)),
    (wall(2024, 5, 1, 8, 30), datetime(2024, 5, 1, 8, 30, tzinfo=VIETNAM)),
    (datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc),
     datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc)),
    (time(8, 30), "08:30:00"),
    (timedelta(hours=2, minutes=5), "2:05:00"),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ("Nghiên cứu cà phê", "Nghiên cứu cà phê"),
    (None, None),
    (True, True),
    ({"kinh_phi": Decimal("2.0")}, {"kinh_phi": 2}),
    ([Decimal("1.5"), None], ["1.5", None]),
], ids=["decimal-whole", "decimal-fraction", "decimal-tiny-no-exponent", "decimal-negative",
        "decimal-nan", "date", "naive-datetime-is-vietnam-time", "aware-datetime-kept",
        "time", "mysql-time-as-timedelta", "uuid", "vietnamese-text", "null", "bool",
        "json-object", "array"])
def test_values_are_made_plain(value: Any, expected: Any) -> None:
    got = plain(value)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize("value", [b"\x89PNG", bytearray(b"ab"), memoryview(b"abc")],
                         ids=["bytes", "bytearray", "memoryview"])
def test_binary_values_are_refused(value: Any) -> None:
    with pytest.raises(BinaryValue, match="bytes of binary data"):
        plain(value)


@pytest.mark.parametrize(("value", "expected"), [
    (wall(2024, 5, 1, 8, 30), datetime(2024, 5, 1, 8, 30, tzinfo=VIETNAM)),
    (date(2024, 5, 1), datetime(2024, 5, 1, tzinfo=VIETNAM)),
    ("2024-05-01T08:30:00+00:00", datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)),
    ("2024-05-01 08:30", datetime(2024, 5, 1, 8, 30, tzinfo=VIETNAM)),
    (None, None),
    ("", None),
], ids=["naive-datetime", "date", "iso-text-with-offset", "iso-text-naive", "null", "empty"])
def test_modification_times_are_aware(value: Any, expected: datetime | None) -> None:
    assert moment(value) == expected


@pytest.mark.parametrize("value", ["hôm qua", 20240501, Decimal("1.5")],
                         ids=["words", "number", "decimal"])
def test_a_modification_time_that_is_not_one_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="is not a date or time"):
        moment(value)


@pytest.mark.parametrize(("value", "deleted"), [
    (True, True), (False, False), (1, True), (0, False), (Decimal("1"), True), (None, False),
    ("Có", True), ("x", True), ("Y", True), ("không", False), ("N", False), ("", False),
    (wall(2024, 5, 1, 8, 30), True),
], ids=["true", "false", "one", "zero", "decimal-one", "null", "co", "x", "y", "khong", "n",
        "empty", "deletion-time"])
def test_the_deleted_flag_is_read(value: Any, deleted: bool) -> None:
    assert is_deleted(value) is deleted


def test_a_deleted_flag_that_says_neither_is_refused() -> None:
    with pytest.raises(ValueError, match="'có lẽ' is neither true nor false"):
        is_deleted("có lẽ")


SINCE = datetime(2024, 5, 30, 17, 30, tzinfo=timezone.utc)  # 31/05 00:30 in Vietnam


@pytest.mark.parametrize(("date_only", "aware", "expected"), [
    (False, False, wall(2024, 5, 31, 0, 30)),
    (True, False, date(2024, 5, 31)),
    (False, True, SINCE),
], ids=["datetime-column-wall-clock", "date-column-by-day", "column-with-offset"])
def test_since_is_bound_as_the_column_holds_time(date_only: bool, aware: bool,
                                                 expected: datetime | date) -> None:
    assert since_for_column(SINCE, date_only, aware) == expected
