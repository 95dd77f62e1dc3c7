"""Column values made plain for a payload: numbers, texts, dates and the deleted flag."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

# Provincial databases keep local time in columns without an offset.
VIETNAM = timezone(timedelta(hours=7), "ICT")

_TRUE = frozenset({"1", "true", "t", "yes", "y", "x", "có", "co", "đã xóa", "da xoa"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "", "không", "khong"})


class BinaryValue(ValueError):
    """A column held bytes: a file or an image, not something a task record can carry.
    `str()` says so in English, `vi` in Vietnamese."""

    def __init__(self, size: int):
        super().__init__(f"holds {size} bytes of binary data")
        self.vi = f"chứa {size} byte dữ liệu nhị phân"


def plain(value: Any) -> Any:
    """A value the mapping can read: Decimal -> int when whole, else text with '.';
    naive datetimes in Vietnamese time; date and time kept; UUID -> text.

    Raises BinaryValue for bytes.
    """
    if value is None or isinstance(value, (bool, int, float, str, date)):
        return _aware(value) if isinstance(value, datetime) else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)  # "NaN": mapping reports it as a bad number
        if value == value.to_integral_value():
            return int(value)
        # format "f" and not str(): str(Decimal("1E-7")) is "1E-7".
        return format(value.normalize(), "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise BinaryValue(len(value))
    if isinstance(value, (time, timedelta)):
        # MySQL TIME arrives as timedelta; both mean a time of day or a duration, kept as text.
        return value.isoformat() if isinstance(value, time) else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def moment(value: Any) -> datetime | None:
    """A row's modification time as an aware datetime; a date is that day's midnight.

    Raises ValueError for anything that is not a date or time.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=VIETNAM)
    if isinstance(value, str):
        try:
            return _aware(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date or time")


def is_deleted(value: Any) -> bool:
    """Whether the deleted column says the row is gone: true, non-zero, or yes/có/x.

    Raises ValueError for a value that says neither, so the caller can name the row.
    """
    if value is None:
        return False
    if isinstance(value, (bool, int, Decimal, float)):
        return bool(value)
    if isinstance(value, (date, datetime)):
        return True  # a deletion time: the row was deleted then
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is neither true nor false")


def since_for_column(since: datetime, date_only: bool, aware: bool) -> datetime | date:
    """`since` as a column of that kind compares it: a date for a DATE column, aware for a
    column with a time zone, else Vietnamese wall-clock time."""
    local = since.astimezone(VIETNAM)
    if date_only:
        # A row dated the day `since` falls in may have changed after it.
        return local.date()
    return since if aware else local.replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)
