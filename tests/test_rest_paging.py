"""The rest connector against a provincial API on loopback: paging, records_path, guards."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask, jsonify, request

from connectors import make_connector
from connectors.errors import SourceConfigError, SourceDataError, SourceUnavailable
from connectors.rest import RestConnector
from stisync.provincial_api import ProvincialApi, create_app
from stisync.wsgi import start_background

VN = timezone(timedelta(hours=7))


def tasks(n: int) -> list[dict[str, Any]]:
    """`n` provincial task records, one a day from 2024-01-01 08:00 +07:00."""
    return [{
        "id": 1000 + i,
        "ten_nhiem_vu": f"Nghiên cứu giống lúa chịu mặn, giai đoạn {i}",
        "cap_quan_ly": {"id": 2, "ten": "Cấp tỉnh"},
        "updated_at": datetime(2024, 1, i, 8, 0, tzinfo=VN).isoformat(),
    } for i in range(1, n + 1)]


def rest(url: str, **options: Any) -> RestConnector:
    return RestConnector("qlkh", {"url": url, **options}, sleep=lambda _: None)


def odd_servers_app() -> Flask:
    """Servers that page wrongly, each on its own path."""
    app = Flask(__name__)

    @app.get("/loop")
    def loop() -> Any:
        cursor = int(request.args.get("cursor", "0"))
        return jsonify({"items": [{"id": cursor}], "next": "/loop?cursor=1"})

    @app.get("/elsewhere")
    def elsewhere() -> Any:
        return jsonify({"items": [{"id": 1}], "next": "https://elsewhere.example/p?2"})

    @app.get("/total")
    def total() -> Any:
        first = request.args["page"] == "1"
        return jsonify({"total": 9, "items": [{"id": i} for i in range(5)] if first else []})

    @app.get("/ids")
    def ids() -> Any:
        return jsonify({"items": [{"id": 1}, 17]})

    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ProvincialApi, str, str]]:
    app = create_app([])
    with start_background(app) as provincial, start_background(odd_servers_app()) as odd:
        yield app, provincial.url, odd.url
        # Failed requests kept alive in tracebacks hold keep-alive sockets the servers wait for.
        gc.collect()


@pytest.fixture
def api(servers: tuple[ProvincialApi, str, str]) -> tuple[ProvincialApi, str]:
    app, url, _ = servers
    app.reset(tasks(7), page_size=3, envelope=True, token=None)
    return app, url


@pytest.fixture
def odd(servers: tuple[ProvincialApi, str, str]) -> str:
    return servers[2]


# name: (endpoint, options, requests made for 7 records in pages of 3)
PAGINATIONS = {
    "page": ("/api/nhiem-vu", {"pagination": "page"}, 4),  # the 4th page is empty
    "page-with-total": ("/api/nhiem-vu", {"pagination": "page", "total_path": "data.total"}, 3),
    "offset": ("/api/nhiem-vu-offset", {"pagination": "offset"}, 4),
    "next-link-body": ("/api/nhiem-vu-links", {"pagination": "next_link",
                                               "next_link_path": "links.next"}, 3),
    "next-link-header": ("/api/nhiem-vu-links", {"pagination": "next_link",
                                                 "next_link_path": "header:Link"}, 3),
}


@pytest.mark.parametrize("path,options,requests", PAGINATIONS.values(), ids=PAGINATIONS.keys())
def test_every_pagination_reads_every_record_once(
        api: tuple[ProvincialApi, str], path: str, options: dict[str, Any], requests: int) -> None:
    app, url = api
    connector = rest(url + path, page_size=3, records_path="data.items",
                     modified_field="updated_at", **options)
    got = list(connector.records())
    assert [r.record_id for r in got] == [str(1000 + i) for i in range(1, 8)]
    assert got[0].payload["cap_quan_ly"] == {"id": 2, "ten": "Cấp tỉnh"}
    assert got[0].modified_at == datetime(2024, 1, 1, 8, 0, tzinfo=VN)
    assert len(app.requests_seen()) == requests


def test_origin_names_page_url_and_index(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    got = list(rest(url + "/api/nhiem-vu", pagination="page", page_size=3,
                    records_path="data.items").records())
    fifth = got[4]
    assert fifth.origin == {"url": f"{url}/api/nhiem-vu?page=2&page_size=3", "page": 2, "index": 1}
    assert fifth.where() == f"{url}/api/nhiem-vu?page=2&page_size=3, page 2, item 1"


def test_static_params_and_headers_are_sent(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    list(rest(url + "/api/nhiem-vu", pagination="page", records_path="data.items",
              params={"nam": 2024, "ca_nam": True}).records())
    assert app.requests_seen()[0]["args"] == {"nam": "2024", "ca_nam": "true", "page": "1",
                                              "page_size": "100"}


def test_server_capping_the_limit_still_reads_everything(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.reset(tasks(25) + [{**t, "id": t["id"] + 100} for t in tasks(25)] * 4)
    got = list(rest(url + "/api/nhiem-vu-offset", pagination="offset", page_size=500,
                    records_path="data.items").records())
    assert len(got) == 125
    # The server sends at most 100 whatever we ask; offsets follow what came back.
    assert [s["args"]["offset"] for s in app.requests_seen()] == ["0", "100", "125"]


def test_empty_source_yields_nothing(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.reset([])
    got = list(rest(url + "/api/nhiem-vu", pagination="page", records_path="data.items",
                    total_path="data.total").records())
    assert got == []


# name: (envelope?, records_path, None or the error it raises: (class, message pattern))
RECORDS_PATHS = {
    "envelope": (True, "data.items", None),
    "bare-list": (False, "", None),
    "path-missing": (True, "data.rows", (SourceDataError, "records_path 'data.rows' is not in "
                                         "the answer; 'data' has keys 'items', 'total', 'page'")),
    "path-not-a-list": (True, "data", (SourceDataError, "records_path 'data' holds a JSON "
                                       "object, not a list of records")),
    "no-path-for-envelope": (True, "", (SourceDataError, "the body is a JSON object (keys "
                                        "'success', 'data'), not a list of records; "
                                        "set records_path")),
}


@pytest.mark.parametrize("envelope,records_path,error", RECORDS_PATHS.values(),
                         ids=RECORDS_PATHS.keys())
def test_records_path(api: tuple[ProvincialApi, str], envelope: bool, records_path: str,
                      error: tuple[type[Exception], str] | None) -> None:
    app, url = api
    app.reset(tasks(4), envelope=envelope)
    connector = rest(url + "/api/nhiem-vu", pagination="page", page_size=3,
                     records_path=records_path)
    if error is None:
        assert [r.record_id for r in connector.records()] == ["1001", "1002", "1003", "1004"]
        return
    with pytest.raises(error[0]) as caught:
        list(connector.records())
    assert str(caught.value) == f"qlkh: {url}/api/nhiem-vu?page=1&page_size=3 (page 1): {error[1]}"


def test_record_without_id_is_yielded_with_an_empty_id(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    rows = tasks(3)
    del rows[1]["id"]
    rows[2]["id"] = None
    app.reset(rows)
    got = list(rest(url + "/api/nhiem-vu", pagination="none", records_path="data.items").records())
    assert [r.record_id for r in got] == ["1001", "", ""]
    assert got[1].payload["ten_nhiem_vu"].endswith("giai đoạn 2")


def test_nested_id_and_dd_mm_yyyy_modified_time(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    app.reset([{"ma": {"so": "ĐT-07"}, "cap_nhat": {"luc": "05/03/2024 14:30"}},
               {"ma": {"so": 8}, "cap_nhat": {"luc": "không rõ"}}])
    got = list(rest(url + "/api/nhiem-vu", pagination="none", records_path="data.items",
                    id_field="ma.so", modified_field="cap_nhat.luc").records())
    assert [(r.record_id, r.modified_at) for r in got] == [
        ("ĐT-07", datetime(2024, 3, 5, 14, 30, tzinfo=VN)),
        ("8", None),  # unreadable: passed on without a time rather than dropped
    ]


def test_no_request_before_first_next(api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    connector = make_connector("rest", "qlkh", {"url": url + "/api/nhiem-vu",
                                                "pagination": "page", "page_size": 3,
                                                "records_path": "data.items"})
    assert isinstance(connector, RestConnector)
    stream = connector.records()
    assert app.requests_seen() == []
    next(stream)
    assert len(app.requests_seen()) == 1
    stream.close()
    connector.close()


def test_records_yielded_before_a_failure_on_page_3_stay_yielded(
        api: tuple[ProvincialApi, str]) -> None:
    app, url = api
    got: list[str] = []
    connector = rest(url + "/api/nhiem-vu", pagination="page", page_size=3,
                     records_path="data.items", retries=2)
    with pytest.raises(SourceUnavailable, match=r"page=3&page_size=3 answered HTTP 503"):
        for record in connector.records():
            got.append(record.record_id)
            if len(got) == 6:
                app.fail_next(2, 503)
    assert got == ["1001", "1002", "1003", "1004", "1005", "1006"]


def test_server_ignoring_the_page_parameter_is_caught(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    connector = rest(url + "/api/nhiem-vu", pagination="page", page_param="trang", page_size=3,
                     records_path="data.items")
    got: list[str] = []
    with pytest.raises(SourceDataError, match="page 2 repeats page 1 exactly"):
        got.extend(r.record_id for r in connector.records())
    assert got == ["1001", "1002", "1003"]


def test_next_link_loop_is_caught(odd: str) -> None:
    connector = rest(odd + "/loop", pagination="next_link", records_path="items",
                     next_link_path="next")
    with pytest.raises(SourceDataError, match=r"page 3 would fetch .*/loop\?cursor=1 again"):
        list(connector.records())


def test_next_link_to_another_host_is_not_followed(odd: str) -> None:
    connector = rest(odd + "/elsewhere", pagination="next_link", records_path="items",
                     next_link_path="next")
    with pytest.raises(SourceDataError, match=r"points to https://elsewhere\.example/p"):
        list(connector.records())


def test_max_pages_stops_a_runaway_source(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    connector = rest(url + "/api/nhiem-vu", pagination="page", page_size=1,
                     records_path="data.items", max_pages=4)
    with pytest.raises(SourceDataError, match="max_pages = 4"):
        list(connector.records())


def test_total_that_does_not_match_is_reported_after_every_record(odd: str) -> None:
    got: list[str] = []
    connector = rest(odd + "/total", pagination="page", records_path="items", total_path="total")
    with pytest.raises(SourceDataError, match=r"announced 9 records \(total\) but sent 5"):
        got.extend(r.record_id for r in connector.records())
    assert got == ["0", "1", "2", "3", "4"]


def test_non_object_records_are_refused_naming_the_item(odd: str) -> None:
    connector = rest(odd + "/ids", pagination="none", records_path="items")
    with pytest.raises(SourceDataError, match=r"/ids \(page 1\): item 1 is int 17, not a JSON"):
        list(connector.records())


def test_wrong_url_is_a_config_error(api: tuple[ProvincialApi, str]) -> None:
    _, url = api
    with pytest.raises(SourceConfigError, match=r"(?i)'url' is refused: .*/api/nhiem-vuu\?page=1"
                       r"&page_size=100 answered HTTP 404 NOT FOUND: Không tìm thấy tài nguyên; "
                       r"is the url right\?") as caught:
        list(rest(url + "/api/nhiem-vuu", pagination="page").records())
    assert caught.value.key == "url"
