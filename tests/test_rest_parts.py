"""The rest connector's small parts: timestamps, Retry-After, dotted paths, the retry policy."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from connectors.errors import SourceAuthError
from connectors.http import TransientResponse, retry_after_seconds, retry_policy
from connectors.rest.pagination import with_params
from connectors.rest.paths import MISSING, DottedPath
from connectors.rest.timestamps import format_since, parse_timestamp

VN = timezone(timedelta(hours=7))
UTC = timezone.utc

TIMESTAMPS = {
    "iso-offset": ("2024-03-05T14:30:00+07:00", datetime(2024, 3, 5, 14, 30, tzinfo=VN)),
    "iso-z": ("2024-03-05T07:30:00Z", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
    "iso-naive-is-vietnam": ("2024-03-05 14:30:00", datetime(2024, 3, 5, 14, 30, tzinfo=VN)),
    "iso-date": ("2024-03-05", datetime(2024, 3, 5, tzinfo=VN)),
    "iso-fraction": ("2024-03-05T07:30:00.123Z", datetime(2024, 3, 5, 7, 30, 0, 123000, UTC)),
    "day-first": ("05/03/2024", datetime(2024, 3, 5, tzinfo=VN)),
    "day-first-minutes": ("5/3/2024 14:30", datetime(2024, 3, 5, 14, 30, tzinfo=VN)),
    "day-first-seconds": (" 05/03/2024 14:30:15 ", datetime(2024, 3, 5, 14, 30, 15, tzinfo=VN)),
    "epoch-seconds": (1709623800, datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
    "epoch-milliseconds": (1709623800000, datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
}


@pytest.mark.parametrize("raw,expected", TIMESTAMPS.values(), ids=TIMESTAMPS.keys())
def test_parse_timestamp(raw: Any, expected: datetime) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("raw", ["", "tháng 4/2023", "31/02/2024", "2024-13-01", True, None,
                                 {"ngay": 1}], ids=["empty", "words", "no-such-day",
                                                    "no-such-month", "bool", "null", "object"])
def test_parse_timestamp_refuses(raw: Any) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(repr(raw))):
        parse_timestamp(raw)


SINCE = datetime(2024, 3, 4, 18, 30, 59, 999999, tzinfo=UTC)  # 2024-03-05 01:30:59 in Vietnam


@pytest.mark.parametrize("fmt,expected", [
    ("iso", "2024-03-05T01:30:59+07:00"),
    ("dd/mm/yyyy", "05/03/2024"),
    ("epoch", "1709577059"),
], ids=["iso", "dd/mm/yyyy", "epoch"])
def test_format_since_never_moves_later(fmt: str, expected: str) -> None:
    assert format_since(SINCE, fmt) == expected
    assert parse_timestamp(expected if fmt != "epoch" else int(expected)) <= SINCE


NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("header,seconds", [
    ("120", 120.0),
    (" 0 ", 0.0),
    ("Sat, 01 Mar 2025 08:01:30 GMT", 90.0),
    ("Sat, 01 Mar 2025 07:00:00 GMT", 0.0),
    ("soon", None),
    ("-5", None),
    ("", None),
    (None, None),
], ids=["seconds", "zero", "http-date", "http-date-past", "garbage", "negative", "empty", "absent"])
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


BODY = {"data": {"items": [{"id": 7}], "next": None}, "list": [{"ma": "A"}]}


@pytest.mark.parametrize("path,expected", [
    ("", BODY),
    ("data.items", [{"id": 7}]),
    ("data.next", None),
    ("data.total", MISSING),
    ("list.0.ma", "A"),
    ("list.1.ma", MISSING),
    ("data.items.id", MISSING),
], ids=["whole-body", "nested", "null-is-found", "absent", "list-index", "index-past-end",
        "key-into-list"])
def test_dotted_path_find(path: str, expected: Any) -> None:
    found = DottedPath(path).find(BODY)
    assert found is MISSING if expected is MISSING else found == expected


def test_dotted_path_deepest_names_where_it_stopped() -> None:
    assert DottedPath("data.rows.id").deepest(BODY) == ("data", BODY["data"])


def test_with_params_encodes_like_requests() -> None:
    url = with_params("https://qlkh.example/api?nam=2024", {"tu_khoa": "lúa chịu mặn", "page": 2})
    assert url == ("https://qlkh.example/api?nam=2024&tu_khoa=l%C3%BAa+ch%E1%BB%8Bu+m%E1%BA%B7n"
                   "&page=2")


def test_retry_policy_retries_transient_failures_only() -> None:
    sleeps: list[float] = []
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("reset")
        return "ok"

    assert retry_policy(5, sleep=sleeps.append)(flaky) == "ok"
    assert len(calls) == 3
    assert len(sleeps) == 2

    calls.clear()

    def refused() -> str:
        calls.append(1)
        raise SourceAuthError("qlkh", "refused")

    with pytest.raises(SourceAuthError):
        retry_policy(5, sleep=sleeps.append)(refused)
    assert len(calls) == 1


def test_retry_policy_waits_at_least_retry_after_and_reraises() -> None:
    sleeps: list[float] = []

    def busy() -> None:
        raise TransientResponse(429, "Too Many Requests", "chậm lại", retry_after=45)

    with pytest.raises(TransientResponse, match="HTTP 429 Too Many Requests: chậm lại"):
        retry_policy(3, sleep=sleeps.append)(busy)
    assert len(sleeps) == 2
    assert all(s >= 45 for s in sleeps)
