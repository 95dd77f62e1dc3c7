"""Dates and timestamps: whatever a province wrote, as `YYYY-MM-DD` or RFC 3339 with offset."""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import ascii_fold, clean

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Outside these years a value is a wrong column or a typo, not an S&T task date.
YEAR_MIN, YEAR_MAX = 1945, 2100
# Excel's 1900 date system, counted from 1899-12-30 because Excel believes 1900 was a leap year.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2958465  # 9999-12-31

_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = re.compile(r"^(?:quy|q)\s*\.?\s*(iv|i{1,3}|[1-4])\s*(?:[/.-]|nam)?\s*(\d{4}|\d{2})$")
# "6 tháng đầu năm 2024": the half-years of Vietnamese reporting.
_HALF = re.compile(r"^6 thang (dau|cuoi) nam (\d{4})$")
# "tháng 4/23", "T4/23": the word says month, so the two digits after it are a year.
_MONTH_YY = re.compile(r"^(?:thang\s*|t)(\d{1,2})\s*[/.-]\s*(\d{2})$")
# "09 tháng", "2 năm", "90 ngày": a length of time, not a date. A number right after the word
# makes it a date again ("05 tháng 4 năm 2023").
DURATION = re.compile(r"(?<![\d/.,-])(\d{1,3}(?:[.,]\d{1,2})?)\s*(thang|nam|ngay)\b(?!\s*[\d/])")
_WORD_DAY = re.compile(r"\bngay\b")
_WORD_SEP = re.compile(r"\b(?:thang|nam)\b")
_SEP_SPACE = re.compile(r"\s*([/.-])\s*")
_T_MONTH = re.compile(r"^t(?=\d)")
_LETTER = re.compile(r"[a-z]")

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?$"
)
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$")
_DMY = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_MY = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_YM = re.compile(r"^(\d{4})[/.-](\d{1,2})$")
_Y = re.compile(r"^(\d{4})$")
_NO_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}$")
_SERIAL = re.compile(r"^\d+(?:[.,]\d+)?$")
_YEARS = re.compile(r"(?<!\d)\d{4}(?!\d)")


class Unreadable(Refused):
    """No single date could be read: the text is no date form, several dates or a duration
    (unlike a date that is wrong, such as 31/02). A period cell may still read it."""


def _bad(value: Any, vi: str, en: str, code: str = "bad_date") -> Refused:
    return Refused(code, vi, en, value)


def _year(yy: str, opts: Options) -> int:
    """A year as written; two digits below the mapping's pivot are 20yy, the others 19yy."""
    y = int(yy)
    if len(yy) == 2:
        y += 2000 if y < opts.two_digit_year_pivot else 1900
    return y


def _day(value: Any, y: int, m: int, d: int) -> date:
    if not 1 <= m <= 12:
        raise _bad(
            value,
            f"không có tháng {m} (ngày được đọc theo thứ tự ngày/tháng/năm)",
            f"there is no month {m} (dates are read day/month/year)",
        )
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise _bad(
            value,
            f"năm {y} nằm ngoài khoảng {YEAR_MIN}–{YEAR_MAX}",
            f"year {y} is outside {YEAR_MIN}–{YEAR_MAX}",
        )
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise _bad(
            value,
            f"ngày {d}/{m}/{y} không tồn tại (tháng {m}/{y} có {last} ngày)",
            f"{d}/{m}/{y} does not exist (month {m} of {y} has {last} days)",
        )
    return date(y, m, d)


def _partial(value: Any, y: int, first: int, last: int, opts: Options) -> date:
    """A month, quarter or year alone: its first day for start-like fields, its last for ends."""
    if opts.partial == "end":
        _day(value, y, last, 1)
        return date(y, last, calendar.monthrange(y, last)[1])
    return _day(value, y, first, 1)


def _from_number(value: Any, number: float, opts: Options) -> date:
    if math.isnan(number) or math.isinf(number) or number < 1:
        raise _bad(value, "không phải một ngày", "is not a date")
    if number.is_integer() and YEAR_MIN <= number <= YEAR_MAX:
        # As an Excel day count this would fall in 1905; a typed year is what people mean.
        return _partial(value, int(number), 1, 12, opts)
    days = int(number)
    if days > _EXCEL_MAX:
        raise _bad(value, "không phải một ngày", "is not a date")
    when = _EXCEL_EPOCH + timedelta(days=days)
    if not YEAR_MIN <= when.year <= YEAR_MAX:
        day, span = when.isoformat(), f"{YEAR_MIN}–{YEAR_MAX}"
        raise _bad(
            value,
            f"là số ngày Excel của {day}, ngoài khoảng {span}",
            f"as an Excel day number this is {day}, outside {span}",
        )
    return when


def _fold(text: str) -> str:
    """Lower case, single spaces, no tone marks; cells of digits and signs pass straight on."""
    return " ".join((text.lower() if text.isascii() else ascii_fold(text)).split())


def _canonical(folded: str) -> str:
    """ "ngay 05 thang 04 nam 2023" -> "05/04/2023"; "thang 4 nam 2023" -> "4/2023"."""
    if _LETTER.search(folded):
        folded = _T_MONTH.sub("", _WORD_SEP.sub("/", _WORD_DAY.sub(" ", folded)))
    if " " in folded:
        folded = _SEP_SPACE.sub(r"\1", folded)
    return folded.strip(" /")


def read_text(value: Any, text: str, opts: Options) -> date:
    """One date written as text (a month, quarter or year alone per `opts.partial`)."""
    folded = _fold(text)
    if m := _QUARTER.match(folded):
        q = _QUARTERS[m[1]]
        return _partial(value, _year(m[2], opts), 3 * q - 2, 3 * q, opts)
    if m := _HALF.match(folded):
        first = 1 if m[1] == "dau" else 7
        return _partial(value, int(m[2]), first, first + 5, opts)
    if m := _MONTH_YY.match(folded):
        month = int(m[1])
        return _partial(value, _year(m[2], opts), month, month, opts)
    if DURATION.search(folded):
        raise Unreadable(
            "bad_date",
            "là một khoảng thời gian (số tháng, năm hoặc ngày), không phải một ngày; "
            "để tính ngày kết thúc từ ngày bắt đầu và thời gian thực hiện, dùng { concat = "
            '["<cột ngày bắt đầu>", "<cột này>"], period = "end" }',
            "is a length of time (months, years or days), not a date; to compute an end date "
            'from a start date and a duration use { concat = ["<start column>", "<this '
            'column>"], period = "end" }',
            value,
        )
    s = _canonical(folded)
    if m := _ISO.match(s):
        if len(s) > 10:
            return _from_datetime(value, _parse_iso(value, text))
        return _day(value, int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(s):
        return _day(value, _year(m[4], opts), int(m[3]), int(m[1]))
    if m := _YMD.match(s):
        return _day(value, int(m[1]), int(m[3]), int(m[4]))
    if (m := _MY.match(s)) or (m := _YM.match(s)):
        year, month = (int(m[2]), int(m[1])) if m.re is _MY else (int(m[1]), int(m[2]))
        return _partial(value, year, month, month, opts)
    if m := _Y.match(s):
        return _partial(value, int(m[1]), 1, 12, opts)
    if _SERIAL.match(s):
        return _from_number(value, float(s.replace(",", ".")), opts)
    if _NO_YEAR.match(s):
        raise _bad(
            value,
            "có thể là ngày/tháng không có năm hoặc tháng/năm hai chữ số",
            "could be day/month without a year or month/two-digit year",
            "ambiguous_date",
        )
    if len(_YEARS.findall(folded)) >= 2:
        raise Unreadable(
            "ambiguous_date",
            "chứa nhiều ngày (một khoảng thời gian?); nếu cột ghi cả thời gian "
            'thực hiện, đặt period = "start" cho ngày bắt đầu và period = "end" cho ngày kết thúc',
            "holds more than one date (a period?); if the column holds the whole period, set "
            'period = "start" on the start date and period = "end" on the end date',
            value,
        )
    raise Unreadable(
        "bad_date",
        "không đọc được ngày (dùng dd/mm/yyyy, yyyy-mm-dd, mm/yyyy hoặc năm)",
        "is not a date we can read (use dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or a year)",
        value,
    )


def _parse_iso(value: Any, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise _bad(
            value, "không phải ngày giờ ISO 8601 hợp lệ", "is not a valid ISO 8601 date-time"
        ) from None


def _from_datetime(value: Any, when: datetime) -> date:
    if when.tzinfo is not None and YEAR_MIN <= when.year <= YEAR_MAX:
        when = when.astimezone(VIETNAM)
    return _day(value, when.year, when.month, when.day)


def to_date(value: Any, opts: Options) -> str | None:
    """A date field as `YYYY-MM-DD`; None when the cell is empty."""
    if isinstance(value, datetime):
        return _from_datetime(value, value).isoformat()
    if isinstance(value, date):
        return _day(value, value.year, value.month, value.day).isoformat()
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if isinstance(value, Decimal) and value.is_nan():
            return None
        try:
            number = float(value)
        except OverflowError:
            raise _bad(value, "không phải một ngày", "is not a date") from None
        return None if math.isnan(number) else _from_number(value, number, opts).isoformat()
    text = clean(value)
    if text is None:
        return None
    return read_text(value, text, opts).isoformat()


def to_timestamp(value: Any, opts: Options) -> str | None:
    """A timestamp as RFC 3339; a value without an offset is Vietnamese local time."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time())
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        raise _bad(
            value,
            "là một con số, cần ngày giờ (yyyy-mm-dd hh:mm:ss)",
            "is a number, expected a date-time (yyyy-mm-dd hh:mm:ss)",
        )
    else:
        text = clean(value)
        if text is None:
            return None
        m = _DMY.match(_canonical(_fold(text)))
        if m and len(m[4]) == 4:
            d = _day(value, int(m[4]), int(m[3]), int(m[1]))
            hh, mm, ss = int(m[5] or 0), int(m[6] or 0), int(m[7] or 0)
            if hh > 23 or mm > 59 or ss > 59:
                raise _bad(value, "giờ không hợp lệ", "has an impossible time of day")
            when = datetime.combine(d, time(hh, mm, ss))
        else:
            when = _parse_iso(value, text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    _day(value, when.year, when.month, when.day)
    offset = when.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        # RFC 3339 offsets have no seconds; the instant is kept, written in UTC.
        when = when.astimezone(timezone.utc)
    return when.isoformat()
