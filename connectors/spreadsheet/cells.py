"""Cell values: emptiness, their text for ids and headers, and modification dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.utils.datetime import from_excel

# Sheets are filled in by people in the province, so a time without a zone is local time.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_DMY = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_SERIAL_TEXT = re.compile(r"\d{5,7}(?:\.\d+)?")
# 1 Jan 1900 .. 31 Dec 9999 in Excel's 1900 date system.
_SERIAL_RANGE = (1, 2958465)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as the text a person reads in it: 12.0 is "12", text is NFC and trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


def parse_moment(value: Any) -> tuple[datetime, bool] | None:
    """A modification date cell as an aware datetime, and whether it held a date only (the
    row then changed at some time that day, not at midnight).

    None for an empty cell; ValueError when the cell holds something that is not a date.
    """
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        # A date-formatted cell comes back as a naive midnight.
        return aware(value), value.tzinfo is None and value.time() == time()
    if isinstance(value, date):
        return datetime.combine(value, time(), LOCAL_TZ), True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value), float(value).is_integer()
    if isinstance(value, str):
        return _parse_text(value.strip())
    raise ValueError(f"{value!r} is not a date")


def _parse_text(text: str) -> tuple[datetime, bool]:
    m = _DMY.fullmatch(text)
    if m:
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in m.groups())
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid dd/mm/yyyy date ({exc})") from None
        return moment, m.group(4) is None
    if _SERIAL_TEXT.fullmatch(text):
        return _serial(float(text)), float(text).is_integer()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (expected dd/mm/yyyy, ISO 8601 or an "
                         "Excel serial number)") from None
    return aware(parsed), parsed.tzinfo is None and len(text) <= 10


def _serial(value: float) -> datetime:
    if not _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        raise ValueError(f"{value!r} is not an Excel date serial number")
    moment = from_excel(value)
    if not isinstance(moment, datetime):
        raise ValueError(f"{value!r} is not an Excel date serial number")
    return aware(moment)
