"""A period in one cell gives a start and an end; durations count as contracts count them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping import MappingConfigError, map_record, parse_mapping
from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.periods import end_after, read_period, to_date_or_period

START = Options(period="start")
END = Options(period="end")


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        pytest.param("01/2023 - 12/2024", "2023-01-01", "2024-12-31", id="mm/yyyy-range"),
        pytest.param("01/2023-12/2024", "2023-01-01", "2024-12-31", id="no-spaces"),
        pytest.param("01/2023 – 12/2024", "2023-01-01", "2024-12-31", id="en-dash"),
        pytest.param("2023-2025", "2023-01-01", "2025-12-31", id="years"),
        pytest.param("2023 - 2025", "2023-01-01", "2025-12-31", id="years-spaced"),
        pytest.param("Năm 2023 - 2025", "2023-01-01", "2025-12-31", id="nam-years"),
        pytest.param(
            "Từ tháng 01/2023 đến tháng 12/2024",
            "2023-01-01",
            "2024-12-31",
            id="tu-thang-den-thang",
        ),
        pytest.param("từ 01/03/2023 đến 30/11/2023", "2023-03-01", "2023-11-30", id="tu-den-days"),
        pytest.param("05/04/2023 - 04/04/2024", "2023-04-05", "2024-04-04", id="day-range"),
        pytest.param("05-04-2023 - 04-04-2024", "2023-04-05", "2024-04-04", id="dashed-days"),
        pytest.param("2023-01-05 - 2024-01-04", "2023-01-05", "2024-01-04", id="iso-range"),
        pytest.param("T3/2023 ~ T2/2024", "2023-03-01", "2024-02-29", id="tilde-t-months"),
        pytest.param("tháng 4/23 - tháng 3/25", "2023-04-01", "2025-03-31", id="two-digit-years"),
        pytest.param("Quý III/2024", "2024-07-01", "2024-09-30", id="quarter-alone"),
        pytest.param("Quý I/2023 - Quý IV/2024", "2023-01-01", "2024-12-31", id="quarters"),
        pytest.param("Q3/2024 → Q2/2025", "2024-07-01", "2025-06-30", id="arrow"),
        pytest.param("6 tháng đầu năm 2024", "2024-01-01", "2024-06-30", id="half-year"),
        pytest.param("tháng 4/2023", "2023-04-01", "2023-04-30", id="month-alone"),
        pytest.param("2023", "2023-01-01", "2023-12-31", id="year-alone"),
        pytest.param(2024, "2024-01-01", "2024-12-31", id="year-number"),
        pytest.param("01/03/2023 09 tháng", "2023-03-01", "2023-11-30", id="start-and-months"),
        pytest.param("01/03/2023, 09 tháng", "2023-03-01", "2023-11-30", id="comma"),
        pytest.param("15/03/2023 9 tháng", "2023-03-15", "2023-12-14", id="mid-month-start"),
        pytest.param("31/01/2023 1 tháng", "2023-01-31", "2023-02-28", id="no-day-30-in-february"),
        pytest.param("31/01/2024 1 tháng", "2024-01-31", "2024-02-29", id="leap-february"),
        pytest.param("tháng 3/2023 9 tháng", "2023-03-01", "2023-11-30", id="start-month"),
        pytest.param("2023 24 tháng", "2023-01-01", "2024-12-31", id="start-year"),
        pytest.param("01/03/2023 2 năm", "2023-03-01", "2025-02-28", id="years-duration"),
        pytest.param("01/03/2023 1,5 năm", "2023-03-01", "2024-08-31", id="year-and-a-half"),
        pytest.param("01/03/2023 90 ngày", "2023-03-01", "2023-05-29", id="days"),
        pytest.param(
            "9 tháng kể từ ngày 01/03/2023", "2023-03-01", "2023-11-30", id="duration-first"
        ),
        pytest.param(
            "Thời gian thực hiện: 24 tháng (từ 01/2023 đến 12/2024)",
            "2023-01-01",
            "2024-12-31",
            id="duration-with-agreeing-range",
        ),
        pytest.param(
            "15/03/2023 - 15/12/2023 (9 tháng)",
            "2023-03-15",
            "2023-12-15",
            id="range-one-day-past-the-duration",
        ),
        pytest.param("2023-2023", "2023-01-01", "2023-12-31", id="same-year"),
        pytest.param(
            "Thời gian thực hiện: Quý III/2024", "2024-07-01", "2024-09-30", id="label-and-quarter"
        ),
    ],
)
def test_periods_read(value: Any, start: str, end: str) -> None:
    assert to_date_or_period(value, START) == start
    assert to_date_or_period(value, END) == end


@pytest.mark.parametrize(
    ("value", "code", "says"),
    [
        pytest.param("2023-2021", "date_order", "before it starts", id="years-reversed"),
        pytest.param("12/2024 - 01/2023", "date_order", "before it starts", id="months-reversed"),
        pytest.param("05/04/2023", "bad_date", "single day", id="one-day-is-no-period"),
        pytest.param("Từ ngày 05/04/2023", "bad_date", "single day", id="from-one-day"),
        pytest.param(45021, "bad_date", "single day", id="excel-serial-is-one-day"),
        pytest.param(date(2023, 4, 5), "bad_date", "single day", id="date-cell"),
        pytest.param("09 tháng", "bad_date", "duration without its start", id="duration-alone"),
        pytest.param(
            "12 tháng kể từ ngày ký hợp đồng",
            "bad_date",
            "no start date we can read",
            id="start-is-an-event",
        ),
        pytest.param(
            "01/2023 - 12/2024 (18 tháng)",
            "ambiguous_date",
            "ends 30/06/2024",
            id="duration-disagrees",
        ),
        pytest.param(
            "01/03/2023, 9 tháng, 2 năm",
            "ambiguous_date",
            "more than one duration",
            id="two-durations",
        ),
        pytest.param("2023-12-2024", "ambiguous_date", "more than one period", id="two-readings"),
        pytest.param("31/02/2024 - 12/2024", "bad_date", "does not exist", id="impossible-start"),
        pytest.param("01/2023 - 13/2024", "bad_date", "no month 13", id="impossible-end"),
        pytest.param("03/04 - 05/06", "ambiguous_date", "without a year", id="no-years"),
        pytest.param("1899 - 1901", "bad_date", "year 1899", id="year-1899"),
        pytest.param("01/03/2023 0 tháng", "bad_date", "positive whole number", id="zero-months"),
        pytest.param("01/03/2023 1,3 năm", "bad_date", "whole number of months", id="odd-fraction"),
        pytest.param("01/03/2023 999 năm", "bad_date", "longer than 50 years", id="too-long"),
        pytest.param("2023 - 25", "bad_date", "no month 25", id="two-digit-end-year"),
        pytest.param("1 - 12/2024", "bad_date", "not a period we can read", id="bare-number-half"),
        pytest.param("sắp tới", "bad_date", "not a period we can read", id="words"),
    ],
)
def test_periods_refused(value: Any, code: str, says: str) -> None:
    for opts in (START, END):
        with pytest.raises(Refused) as err:
            to_date_or_period(value, opts)
        assert err.value.code == code
        assert says in err.value.reason_en
        assert err.value.reason_vi
        assert err.value.value == value


@pytest.mark.parametrize("value", ["", " ", "-", None])
def test_empty_period_is_nothing(value: Any) -> None:
    assert read_period(value, START) is None
    assert to_date_or_period(value, END) is None


@pytest.mark.parametrize(
    ("start", "months", "days", "end"),
    [
        pytest.param(date(2023, 3, 1), 9, 0, date(2023, 11, 30), id="from-the-1st"),
        pytest.param(date(2023, 3, 15), 9, 0, date(2023, 12, 14), id="mid-month"),
        pytest.param(date(2023, 1, 31), 1, 0, date(2023, 2, 28), id="short-month"),
        pytest.param(date(2023, 3, 31), 1, 0, date(2023, 4, 30), id="day-before-day-31"),
        pytest.param(date(2023, 11, 1), 2, 0, date(2023, 12, 31), id="year-end"),
        pytest.param(date(2023, 12, 2), 1, 0, date(2024, 1, 1), id="across-the-year"),
        pytest.param(date(2023, 3, 1), 0, 1, date(2023, 3, 1), id="one-day"),
        pytest.param(date(2023, 12, 31), 0, 2, date(2024, 1, 1), id="two-days"),
    ],
)
def test_contract_end_rule(start: date, months: int, days: int, end: date) -> None:
    assert end_after(start, months, days) == end


@given(
    st.dates(min_value=date(1945, 1, 1), max_value=date(2049, 12, 31)),
    st.integers(min_value=1, max_value=600),
)
def test_a_duration_covers_its_months(start: date, months: int) -> None:
    end = end_after(start, months)
    # the next period starts the day after and is as long again: nothing lost, nothing doubled
    assert start <= end
    lo, hi = months * 28 - 3, months * 31 + 1
    assert lo <= (end - start).days + 1 <= hi


MAPPING = """
[mapping]
schema_version = "1"
namespace = "p"
[fields]
start_date = { from = "Thời gian thực hiện", period = "start" }
end_date = { from = "Thời gian thực hiện", period = "end" }
"approval.decision_date" = "Ngày quyết định"
"acceptance.date" = { concat = ["Ngày quyết định", "Số tháng"], period = "end" }
"""


def test_one_column_feeds_start_and_end() -> None:
    mapping = parse_mapping(MAPPING, name="p.toml")
    row = {
        "Thời gian thực hiện": "01/2023 - 12/2024",
        "Ngày quyết định": "01/03/2023",
        "Số tháng": "09 tháng",
    }
    result = map_record(mapping, row, "1")
    assert result.problems == []
    assert result.record["start_date"] == "2023-01-01"
    assert result.record["end_date"] == "2024-12-31"
    assert result.record["acceptance"] == {"date": "2023-11-30"}
    assert result.sources["end_date"] == "Thời gian thực hiện"


def test_a_reversed_period_is_a_problem_on_both_fields() -> None:
    mapping = parse_mapping(MAPPING, name="p.toml")
    row = {"Thời gian thực hiện": "2023-2021", "Ngày quyết định": "", "Số tháng": "9 tháng"}
    result = map_record(mapping, row, "1")
    found = {p.path: p for p in result.problems}
    assert {p: found[p].code for p in found} == {
        "start_date": "date_order",
        "end_date": "date_order",
        "acceptance.date": "bad_date",
    }
    assert found["end_date"].value == "2023-2021"
    assert "Thời gian thực hiện" in found["end_date"].message_vi
    assert "duration without its start" in found["acceptance.date"].message_en
    assert "start_date" not in result.record and "end_date" not in result.record


@pytest.mark.parametrize(
    ("line", "says"),
    [
        pytest.param(
            'start_date = { from = "T", period = "begin" }',
            'period must be "start"',
            id="bad-value",
        ),
        pytest.param(
            'start_date = { from = "T", period = "start", partial = "end" }',
            "partial does not go with period",
            id="with-partial",
        ),
        pytest.param(
            'title = { from = "T", period = "start" }',
            "period only applies to date",
            id="not-a-date",
        ),
    ],
)
def test_period_option_mistakes_name_the_key(line: str, says: str) -> None:
    text = f'[mapping]\nschema_version = "1"\nnamespace = "p"\n[fields]\n{line}\n'
    with pytest.raises(MappingConfigError) as err:
        parse_mapping(text, name="p.toml")
    assert "p.toml" in str(err.value)
    assert says in str(err.value)
