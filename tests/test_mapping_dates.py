"""Dates as provinces write them become ISO days; impossible or two-way dates are refused."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.dates import to_date, to_timestamp


def cell(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A date-time as a spreadsheet cell holds it: with no zone."""
    return datetime(year, month, day, hour, minute)  # noqa: DTZ001


START = Options()
END = Options(partial="end")


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        pytest.param(cell(2023, 4, 5, 10, 30), "2023-04-05", "2023-04-05", id="cell-datetime"),
        pytest.param(date(2023, 4, 5), "2023-04-05", "2023-04-05", id="cell-date"),
        pytest.param(45021, "2023-04-05", "2023-04-05", id="excel-serial"),
        pytest.param(45021.75, "2023-04-05", "2023-04-05", id="excel-serial-with-time"),
        pytest.param("45021", "2023-04-05", "2023-04-05", id="excel-serial-as-text"),
        pytest.param("05/04/2023", "2023-04-05", "2023-04-05", id="dd/mm/yyyy"),
        pytest.param("5/4/2023", "2023-04-05", "2023-04-05", id="d/m/yyyy"),
        pytest.param("5/4/23", "2023-04-05", "2023-04-05", id="d/m/yy-below-pivot"),
        pytest.param("5/4/98", "1998-04-05", "1998-04-05", id="d/m/yy-above-pivot"),
        pytest.param("05-04-2023", "2023-04-05", "2023-04-05", id="dd-mm-yyyy"),
        pytest.param("05.04.2023", "2023-04-05", "2023-04-05", id="dd.mm.yyyy"),
        pytest.param("05/04/2023 14:30", "2023-04-05", "2023-04-05", id="with-time"),
        pytest.param("2023-04-05", "2023-04-05", "2023-04-05", id="iso"),
        pytest.param("2023-04-05T10:00:00+07:00", "2023-04-05", "2023-04-05", id="iso-datetime"),
        pytest.param(
            "2023-04-04T20:00:00Z", "2023-04-05", "2023-04-05", id="iso-utc-is-next-day-here"
        ),
        pytest.param("2023/04/05", "2023-04-05", "2023-04-05", id="yyyy/mm/dd"),
        pytest.param("Ngày 05 tháng 04 năm 2023", "2023-04-05", "2023-04-05", id="words-day"),
        pytest.param("05 tháng 4 năm 2023", "2023-04-05", "2023-04-05", id="words-no-ngay"),
        pytest.param("05 / 04 / 2023", "2023-04-05", "2023-04-05", id="spaced-separators"),
        pytest.param("04/2023", "2023-04-01", "2023-04-30", id="mm/yyyy"),
        pytest.param("02/2024", "2024-02-01", "2024-02-29", id="leap-february"),
        pytest.param("2023-04", "2023-04-01", "2023-04-30", id="yyyy-mm"),
        pytest.param("tháng 4/2023", "2023-04-01", "2023-04-30", id="thang-4/2023"),
        pytest.param("Tháng 04 năm 2023", "2023-04-01", "2023-04-30", id="thang-nam"),
        pytest.param("tha\u0301ng 12/2024", "2024-12-01", "2024-12-31", id="nfd-thang"),
        pytest.param("T4/2023", "2023-04-01", "2023-04-30", id="t4/2023"),
        pytest.param("Quý II/2023", "2023-04-01", "2023-06-30", id="quarter"),
        pytest.param("năm 2023", "2023-01-01", "2023-12-31", id="nam-2023"),
        pytest.param("2023", "2023-01-01", "2023-12-31", id="year-text"),
        pytest.param(2023, "2023-01-01", "2023-12-31", id="year-number"),
        pytest.param("Quý III/2024", "2024-07-01", "2024-09-30", id="quy-iii"),
        pytest.param("quý 3 năm 2024", "2024-07-01", "2024-09-30", id="quy-3-nam"),
        pytest.param("Q4/2024", "2024-10-01", "2024-12-31", id="q4"),
        pytest.param("Quý IV - 2024", "2024-10-01", "2024-12-31", id="quy-dash"),
        pytest.param("Quý I/24", "2024-01-01", "2024-03-31", id="quarter-two-digit-year"),
        pytest.param("6 tháng đầu năm 2024", "2024-01-01", "2024-06-30", id="first-half"),
        pytest.param("6 tháng cuối năm 2024", "2024-07-01", "2024-12-31", id="second-half"),
        pytest.param("tháng 4/23", "2023-04-01", "2023-04-30", id="thang-m/yy"),
        pytest.param("T12/99", "1999-12-01", "1999-12-31", id="t-m/yy-above-pivot"),
        pytest.param("31/12/49", "2049-12-31", "2049-12-31", id="yy-just-below-pivot"),
        pytest.param("1/1/50", "1950-01-01", "1950-01-01", id="yy-at-pivot"),
        pytest.param(36526, "2000-01-01", "2000-01-01", id="excel-serial-y2k"),
    ],
)
def test_dates_read(value: Any, start: str, end: str) -> None:
    assert to_date(value, START) == start
    assert to_date(value, END) == end


@pytest.mark.parametrize(
    ("value", "code", "says"),
    [
        pytest.param("31/02/2023", "bad_date", "does not exist", id="31-february"),
        pytest.param("29/02/2023", "bad_date", "has 28 days", id="29-february-common-year"),
        pytest.param("04/13/2023", "bad_date", "no month 13", id="month-first-us"),
        pytest.param("00/04/2023", "bad_date", "does not exist", id="day-zero"),
        pytest.param("13/2023", "bad_date", "no month 13", id="month-13"),
        pytest.param("2023-02-30", "bad_date", "does not exist", id="iso-impossible"),
        pytest.param("2023-04-05T25:00", "bad_date", "ISO 8601", id="iso-impossible-hour"),
        pytest.param("01/01/1900", "bad_date", "outside", id="too-old"),
        pytest.param(100, "bad_date", "1900-04-09", id="small-serial"),
        pytest.param(-5, "bad_date", "not a date", id="negative-number"),
        pytest.param(10**30, "bad_date", "not a date", id="huge-number"),
        pytest.param("sắp tới", "bad_date", "not a date we can read", id="words"),
        pytest.param(True, "bad_type", "true/false", id="bool"),
        pytest.param("05/04", "ambiguous_date", "without a year", id="no-year"),
        pytest.param("4/23", "ambiguous_date", "two-digit year", id="m/yy"),
        pytest.param("01/2023 - 12/2024", "ambiguous_date", "period", id="period"),
        pytest.param("2023-2024", "ambiguous_date", "period", id="year-range"),
        pytest.param("từ 5/2023 đến 12/2024", "ambiguous_date", "period", id="tu-den"),
        pytest.param(
            "2023-2021", "ambiguous_date", 'period = "start"', id="period-names-the-option"
        ),
        pytest.param("31/02/2024", "bad_date", "has 29 days", id="31-february-leap-year"),
        pytest.param("29/02/2100", "bad_date", "has 28 days", id="2100-is-not-leap"),
        pytest.param("03/04", "ambiguous_date", "without a year", id="day-month-no-year"),
        pytest.param("1899", "bad_date", "year 1899 is outside", id="year-1899"),
        pytest.param(1899, "bad_date", "outside", id="year-1899-number"),
        pytest.param("01/01/1899", "bad_date", "year 1899 is outside", id="dd/mm/1899"),
        pytest.param("09 tháng", "bad_date", "length of time", id="duration-is-not-a-date"),
        pytest.param("2 năm", "bad_date", "length of time", id="years-duration"),
        pytest.param("Quý V/2024", "bad_date", "not a date we can read", id="quarter-five"),
        pytest.param("tháng 13/24", "bad_date", "no month 13", id="thang-13/yy"),
    ],
)
def test_dates_refused(value: Any, code: str, says: str) -> None:
    with pytest.raises(Refused) as err:
        to_date(value, START)
    assert err.value.code == code
    assert says in err.value.reason_en
    assert err.value.reason_vi


@pytest.mark.parametrize("value", ["", "  ", "-", None, float("nan")])
def test_empty_date_is_nothing(value: Any) -> None:
    assert to_date(value, START) is None


def test_two_digit_year_pivot_is_configurable() -> None:
    assert to_date("1/1/60", Options(two_digit_year_pivot=60)) == "1960-01-01"
    assert to_date("1/1/59", Options(two_digit_year_pivot=60)) == "2059-01-01"


PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(cell(2024, 1, 2, 10, 0), "2024-01-02T10:00:00+07:00", id="naive-is-vietnam"),
        pytest.param(
            datetime(2024, 1, 2, 10, 0, tzinfo=PLUS_TWO),
            "2024-01-02T10:00:00+02:00",
            id="aware-kept",
        ),
        pytest.param(date(2024, 1, 2), "2024-01-02T00:00:00+07:00", id="date-midnight"),
        pytest.param("2024-01-02 10:00:00", "2024-01-02T10:00:00+07:00", id="iso-naive"),
        pytest.param("2024-01-02T03:00:00Z", "2024-01-02T03:00:00+00:00", id="iso-utc"),
        pytest.param(
            "2024-01-02T10:00:00.250+07:00", "2024-01-02T10:00:00.250000+07:00", id="fraction"
        ),
        pytest.param("02/01/2024 10:30", "2024-01-02T10:30:00+07:00", id="dd/mm/yyyy-hh:mm"),
        pytest.param(
            datetime(2024, 1, 2, tzinfo=timezone(timedelta(seconds=30))),
            "2024-01-01T23:59:30+00:00",
            id="second-offset-as-utc",
        ),
    ],
)
def test_timestamps_read(value: Any, expected: str) -> None:
    assert to_timestamp(value, START) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(45021, id="number"),
        pytest.param("yesterday", id="words"),
        pytest.param("02/01/2024 25:00", id="hour-25"),
        pytest.param("1800-01-01T00:00:00", id="too-old"),
    ],
)
def test_timestamps_refused(value: Any) -> None:
    with pytest.raises(Refused) as err:
        to_timestamp(value, START)
    assert err.value.code == "bad_date"


@given(st.dates(min_value=date(1945, 1, 1), max_value=date(2100, 12, 31)))
def test_a_mapped_date_reads_back_as_itself(day: date) -> None:
    iso = to_date(day, START)
    assert iso == day.isoformat()
    assert to_date(iso, START) == iso
    assert to_date(day.strftime("%d/%m/%Y"), END) == iso


@given(st.one_of(st.text(), st.integers(), st.floats(), st.datetimes()))
def test_dates_only_ever_refuse(value: Any) -> None:
    for transform in (to_date, to_timestamp):
        with contextlib.suppress(Refused):
            transform(value, START)
