"""Incremental reads: `since` sent in the source's format, and only newer records come back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from connectors.rest import RestConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import start_background

VN = timezone(timedelta(hours=7))


def tasks(n: int) -> list[dict[str, Any]]:
    """`n` provincial task records, one a day from 2024-01-01 08:00 +07:00."""
    return [{
        "id": 1000 + i,
        "ten_nhiem_vu": f"Nghiên cứu giống lúa chịu mặn, giai đoạn {i}",
        "updated_at": datetime(2024, 1, i, 8, 0, tzinfo=VN).isoformat(),
    } for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ProvincialApi, str]]:
    app = create_app([])
    with start_background(app) as running:
        yield app, running.url + "/api/nhiem-vu"
        gc.collect()  # failed responses kept by tracebacks hold sockets the server waits for


@pytest.fixture
def api(server: tuple[ProvincialApi, str]) -> tuple[ProvincialApi, str]:
    app, url = server
    app.reset(tasks(8), page_size=3)
    return app, url


def rest(url: str, **options: Any) -> RestConnector:
    return RestConnector("qlkh", {"url": url, "pagination": "page", "page_size": 3,
                                  "records_path": "data.items", "modified_field": "updated_at",
                                  **options}, sleep=lambda _: None)


# The 5th record was changed at 2024-01-05 08:00 +07:00, the same instant in every form.
SINCE = datetime(2024, 1, 5, 1, 0, tzinfo=timezone.utc)
FORMATS = {
    "iso": ("iso", "2024-01-05T08:00:00+07:00"),
    "dd/mm/yyyy": ("dd/mm/yyyy", "05/01/2024"),
    "epoch": ("epoch", "1704416400"),
}


@pytest.mark.parametrize("since_format,sent", FORMATS.values(), ids=FORMATS.keys())
def test_since_is_sent_in_the_chosen_format(api: tuple[ProvincialApi, str], since_format: str,
                                            sent: str) -> None:
    app, url = api
    connector = rest(url, since_param="updated_since", since_format=since_format)
    got = [r.record_id for r in connector.records(SINCE)]
    assert got == ["1005", "1006", "1007", "1008"]
    assert {s["args"]["updated_since"] for s in app.requests_seen()} == {sent}


def test_without_since_everything_comes_back(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    assert len(list(rest(url, since_param="updated_since").records())) == 8
    assert all("updated_since" not in s["args"] for s in app.requests_seen())


def test_a_changed_record_is_the_only_one_to_come_back(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    connector = rest(url, since_param="updated_since")
    first = list(connector.records())
    cursor = max(r.modified_at for r in first if r.modified_at) + timedelta(seconds=1)
    assert list(connector.records(cursor)) == []

    app.touch(1003, {"ten_nhiem_vu": "Tên mới sau thẩm định"}, at=cursor + timedelta(hours=2))
    again = list(connector.records(cursor))
    assert [(r.record_id, r.payload["ten_nhiem_vu"]) for r in again] == [
        ("1003", "Tên mới sau thẩm định")
    ]
    assert again[0].modified_at == cursor + timedelta(hours=2)


def test_without_a_since_param_the_connector_filters(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    rows = tasks(8)
    rows[1]["updated_at"] = None  # unknown: kept, because it may be newer
    app.reset(rows)
    got = [r.record_id for r in rest(url).records(SINCE)]
    assert got == ["1002", "1005", "1006", "1007", "1008"]
    assert all("updated_since" not in s["args"] for s in app.requests_seen())


def test_naive_since_is_refused(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    with pytest.raises(ValueError, match="naive"):
        next(rest(url, since_param="updated_since").records(datetime(2024, 1, 5)))  # noqa: DTZ001
