"""Periods: one cell holding a task's whole time span ("01/2023 - 12/2024", "2023-2025",
"Quý III/2024", a start and "09 tháng"), read as its first and its last day.

A mapping reads both ends from the same column, each field taking its end with `period`::

    start_date = { from = "Thời gian thực hiện", period = "start" }
    end_date = { from = "Thời gian thực hiện", period = "end" }
    # a start date in one column and the duration in another:
    end_date = { concat = ["Ngày bắt đầu", "Thời gian (tháng)"], period = "end" }

A period is a range (two dates joined by "-", "–", "~", "đến" or "tới", with an optional "từ"),
a month, quarter, half-year or year alone, or a start followed by a duration; a range may also
carry its duration ("24 tháng (từ 01/2023 đến 12/2024)"), which must then agree with it. A month
or year at the start of a range counts from its first day, at the end up to its last day.

Durations count the way S&T contracts write them ("thời gian thực hiện 09 tháng, từ 01/3/2023
đến 30/11/2023"): the start day is the first day of the task, so N months from day d end on
day d−1 of the N-th month after, or on the last day of that month when it has no day d−1
(from 31/01, one month ends on 28/02 or 29/02); from the 1st, they end on the last day of the
(N−1)-th month after. N days end on the N-th day counted from the start; years are 12 months.

Nothing is guessed: a single day (only one end known), a duration without a start, an end
before the start, and a duration that disagrees with its range are refused with the value.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.dates import (
    DURATION,
    YEAR_MAX,
    Unreadable,
    read_text,
    to_date,
)
from schemas.mapping.transforms.text import ascii_fold, clean

# Longer than any S&T task: a duration beyond it is a wrong column.
MAX_MONTHS = 50 * 12

_RANGE_SEP = re.compile(r"\s*(?:->|→|[-–—~])\s*|\s+(?:den|toi)\s+")
_FILLER = re.compile(
    r"\b(?:thoi gian thuc hien|thoi gian|thuc hien|ke tu ngay|ke tu|tinh tu|"
    r"bat dau tu|bat dau|tu ngay|tu|trong|la)\b|[()\[\],;:]"
)
_BARE_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_BARE_YEAR = re.compile(r"^\d{4}$")
_TRIM = " -–—~/.,;:"


def _refuse(value: Any, vi: str, en: str, code: str = "bad_date") -> Refused:
    return Refused(code, vi, en, value)


def end_after(start: date, months: int = 0, days: int = 0) -> date:
    """The last day of a task that starts on `start` and lasts `months` months or `days` days
    (the rule in the module docstring)."""
    if days:
        return start + timedelta(days=days - 1)
    index = start.year * 12 + start.month - 1 + months
    if start.day == 1:
        index -= 1
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    day = last if start.day == 1 else min(start.day - 1, last)
    return date(year, month + 1, day)


class _Duration:
    """A length of time as written ("09 tháng"), in whole months or days."""

    def __init__(self, value: Any, number: str, unit: str):
        self.text = f"{number} {unit}"
        amount = Decimal(number.replace(",", "."))
        scale = {"thang": 1, "nam": 12, "ngay": 1}[unit]
        whole = amount * scale
        if whole != whole.to_integral_value() or whole <= 0:
            raise _refuse(
                value,
                f"“{self.text}” không phải một số nguyên tháng hoặc ngày dương",
                f"“{self.text}” is not a positive whole number of months or days",
            )
        self.months = int(whole) if unit != "ngay" else 0
        self.days = int(whole) if unit == "ngay" else 0
        if self.months > MAX_MONTHS or self.days > MAX_MONTHS * 31:
            raise _refuse(
                value,
                f"“{self.text}” dài quá {MAX_MONTHS // 12} năm",
                f"“{self.text}” is longer than {MAX_MONTHS // 12} years",
            )

    def end(self, value: Any, start: date) -> date:
        end = end_after(start, self.months, self.days)
        if end.year > YEAR_MAX:
            raise _refuse(value, f"kết thúc sau năm {YEAR_MAX}", f"ends after {YEAR_MAX}")
        return end

    def agrees(self, start: date, end: date) -> bool:
        """Whether a range written beside this duration says the same: the same last month,
        or a day apart (people also write 01/03–01/12 for nine months)."""
        implied = end_after(start, self.months, self.days)
        same_month = (implied.year, implied.month) == (end.year, end.month)
        return same_month or abs((implied - end).days) <= 1


def _sides(opts: Options) -> tuple[Options, Options]:
    return replace(opts, partial="start", period=None), replace(opts, partial="end", period=None)


def _one(value: Any, text: str, first: Options, last: Options) -> tuple[date, date]:
    """One date form read as a span: a day is a span of one day."""
    return read_text(value, text, first), read_text(value, text, last)


def _span(value: Any, text: str, first: Options, last: Options) -> tuple[date, date]:
    """One month, quarter, half-year or year; a single day is refused (its other end is
    unknown)."""
    start, end = _one(value, text, first, last)
    if start == end:
        raise _refuse(
            value,
            "chỉ là một ngày; một khoảng thời gian cần cả ngày kết thúc "
            "(một khoảng như 01/2023 - 12/2024, hoặc ngày bắt đầu kèm số tháng)",
            "is a single day; a period needs its end too (a range such as "
            "01/2023 - 12/2024, or a start date with a number of months)",
        )
    return start, end


def _range(value: Any, text: str, first: Options, last: Options) -> tuple[date, date]:
    """Two dates joined by a range separator; refused unless exactly one split reads."""
    found: list[tuple[date, date]] = []
    errors: list[Refused] = []
    for m in _RANGE_SEP.finditer(text):
        left, right = text[: m.start()].strip(_TRIM), text[m.end() :].strip(_TRIM)
        if not left or not right:
            continue
        # Halves are dates as people write them, not Excel day numbers ("1 - 12/2024").
        if any(_BARE_NUMBER.match(s) and not _BARE_YEAR.match(s) for s in (left, right)):
            continue
        try:
            found.append((read_text(value, left, first), read_text(value, right, last)))
        except Refused as exc:
            errors.append(exc)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise _refuse(
            value,
            "đọc được thành nhiều khoảng thời gian khác nhau",
            "reads as more than one period",
            "ambiguous_date",
        )
    # Report what is wrong with a half that is a date form ("31/02/2024 - 12/2024").
    telling = [e for e in errors if not isinstance(e, Unreadable)]
    if telling:
        raise telling[0]
    raise Unreadable(
        "bad_date",
        "không đọc được khoảng thời gian (ví dụ hợp lệ: 01/2023 - "
        "12/2024, 2023-2025, Quý III/2024, 01/03/2023 và 09 tháng)",
        "is not a period we can read (valid examples: 01/2023 - 12/2024, "
        "2023-2025, Quý III/2024, 01/03/2023 with 09 tháng)",
        value,
    )


def read_period(value: Any, opts: Options) -> tuple[date, date] | None:
    """A period cell as (first day, last day); None when the cell is empty."""
    text = clean(value)
    if text is None:
        return None
    first, last = _sides(opts)
    folded = " ".join(ascii_fold(text).split())
    try:
        start, end = _span(value, folded, first, last)
    except Unreadable:
        start, end = _parts(value, folded, first, last)
    if end < start:
        raise _refuse(
            value,
            f"kết thúc ({end:%d/%m/%Y}) trước khi bắt đầu ({start:%d/%m/%Y})",
            f"ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y})",
            "date_order",
        )
    return start, end


def _parts(value: Any, folded: str, first: Options, last: Options) -> tuple[date, date]:
    """A range, a start and a duration, or both, once the cell is no single date."""
    durations = list(DURATION.finditer(folded))
    if len(durations) > 1:
        raise _refuse(
            value, "có nhiều hơn một thời lượng", "holds more than one duration", "ambiguous_date"
        )
    duration = _Duration(value, durations[0][1], durations[0][2]) if durations else None
    rest = DURATION.sub(" ", folded) if duration else folded
    rest = " ".join(_FILLER.sub(" ", rest).split()).strip(_TRIM)
    if duration is None:
        try:
            return _span(value, rest, first, last)  # "Thời gian thực hiện: Quý III/2024"
        except Unreadable:
            return _range(value, rest, first, last)
    if not rest:
        raise _refuse(
            value,
            "là thời lượng nhưng thiếu ngày bắt đầu; ghép cột ngày bắt đầu "
            'vào trước: { concat = ["<cột ngày bắt đầu>", "<cột này>"], '
            'period = "end" }',
            "is a duration without its start; put the start date column in front: "
            '{ concat = ["<start column>", "<this column>"], period = "end" }',
        )
    try:
        start, _ = _one(value, rest, first, last)
    except Unreadable:
        try:
            start, end = _range(value, rest, first, last)
        except Unreadable:
            raise _refuse(
                value,
                f"có thời lượng “{duration.text}” nhưng không đọc được ngày bắt đầu đi kèm",
                f"has a duration (“{duration.text}”) but no start date we can read beside it",
            ) from None
        if not duration.agrees(start, end):
            implied = end_after(start, duration.months, duration.days)
            raise _refuse(
                value,
                f"“{duration.text}” không khớp với khoảng thời gian ghi kèm "
                f"(từ {start:%d/%m/%Y} thì kết thúc {implied:%d/%m/%Y})",
                f"“{duration.text}” disagrees with the period written beside it "
                f"(from {start:%d/%m/%Y} it ends {implied:%d/%m/%Y})",
                "ambiguous_date",
            ) from None
        return start, end
    return start, duration.end(value, start)


def to_date_or_period(value: Any, opts: Options) -> str | None:
    """The `date` transform: one date, or the chosen end of a period with `period`."""
    if opts.period is None:
        return to_date(value, opts)
    found = read_period(value, opts)
    if found is None:
        return None
    return (found[0] if opts.period == "start" else found[1]).isoformat()
