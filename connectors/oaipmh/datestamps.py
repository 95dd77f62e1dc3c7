"""OAI-PMH datestamps: UTC days or seconds, read from headers and written into `from`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

DAY = "day"
SECONDS = "seconds"
# Identify's <granularity> values (protocol §3.3.2); every repository supports days.
GRANULARITIES = {"YYYY-MM-DD": DAY, "YYYY-MM-DDThh:mm:ssZ": SECONDS}

# Strictly the protocol allows only "Z"; DSpace writes fractions of a second, and a few servers
# an explicit +00:00, so both are read too.
_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?")


def parse_datestamp(text: str) -> datetime:
    """A datestamp as an aware UTC datetime; a day alone is its first second.

    Raises ValueError for anything that is not a date or a UTC time of the protocol's form.
    """
    m = _STAMP.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text.strip()!r} is not an OAI-PMH datestamp (YYYY-MM-DD or "
                         "YYYY-MM-DDThh:mm:ssZ)")
    year, month, day, hour, minute, second, zone = m.groups()
    if hour is not None and zone is None:
        raise ValueError(f"{text.strip()!r} has a time but no time zone (a datestamp is UTC, "
                         "written with Z)")
    try:
        when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(second or 0), tzinfo=timezone.utc)
    except ValueError as exc:
        raise ValueError(f"{text.strip()!r} is not a real date or time ({exc})") from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return when


def format_datestamp(when: datetime, granularity: str) -> str:
    """`when` as the repository's granularity asks, in UTC. A day is the day `when` falls on,
    so that `from` never starts after `when` (the protocol's `from` is inclusive)."""
    if when.tzinfo is None:
        raise ValueError(f"{when.isoformat()} is naive; pass a timezone-aware datetime")
    utc = when.astimezone(timezone.utc)
    if granularity == DAY:
        return utc.strftime("%Y-%m-%d")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
