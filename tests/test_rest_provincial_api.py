"""The demo provincial API itself, through Flask's test client: paging, filters, faults, auth."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from stisync.provincial_api import create_app

VN = timezone(timedelta(hours=7))


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "cap_quan_ly": {"id": 2, "ten": "Cấp tỉnh"},
             "updated_at": datetime(2024, 1, i, 8, 0, tzinfo=VN).isoformat()}
            for i in range(1, n + 1)]


def test_page_envelope_keeps_order_and_nested_codes() -> None:
    client = create_app(rows(25)).test_client()
    body = client.get("/api/nhiem-vu?page=2").get_json()
    assert body["success"] is True
    assert (body["data"]["total"], body["data"]["page"]) == (25, 2)
    assert [r["id"] for r in body["data"]["items"]] == list(range(21, 26))
    assert body["data"]["items"][0]["cap_quan_ly"] == {"id": 2, "ten": "Cấp tỉnh"}


def test_links_carry_the_filter_and_end_with_null() -> None:
    client = create_app(rows(5), page_size=2).test_client()
    first = client.get("/api/nhiem-vu-links?updated_since=02/01/2024")
    body = first.get_json()
    assert [r["id"] for r in body["data"]["items"]] == [2, 3]
    assert body["links"]["next"] == ("http://localhost/api/nhiem-vu-links?"
                                      "updated_since=02%2F01%2F2024&cursor=2")
    assert first.headers["Link"] == f'<{body["links"]["next"]}>; rel="next"'
    last = client.get(body["links"]["next"]).get_json()
    assert ([r["id"] for r in last["data"]["items"]], last["links"]["next"]) == ([4, 5], None)


def test_bare_list_without_envelope() -> None:
    client = create_app(rows(3), envelope=False).test_client()
    assert [r["id"] for r in client.get("/api/nhiem-vu-offset?offset=1").get_json()] == [2, 3]


@pytest.mark.parametrize("query,message", [
    ("page=0", "Tham số page không hợp lệ: '0'"),
    ("page_size=abc", "Tham số page_size không hợp lệ: 'abc'"),
    ("updated_since=hôm qua", "Tham số updated_since không hợp lệ: 'hôm qua'"),
], ids=["page-zero", "size-text", "since-words"])
def test_bad_query_is_a_400_envelope(query: str, message: str) -> None:
    answer = create_app(rows(3)).test_client().get(f"/api/nhiem-vu?{query}")
    assert answer.status_code == 400
    assert answer.get_json() == {"success": False, "message": message}


def test_fail_next_then_recover() -> None:
    app = create_app(rows(3))
    app.fail_next(2, 429, retry_after="5")
    client = app.test_client()
    first = client.get("/api/nhiem-vu")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "5")
    assert client.get("/api/nhiem-vu").status_code == 429
    assert client.get("/api/nhiem-vu").status_code == 200
    assert len(app.requests_seen()) == 3


def test_bearer_token_is_checked() -> None:
    client = create_app(rows(1), token="t0k").test_client()
    refused = client.get("/api/nhiem-vu", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert refused.get_json()["message"] == "Token không hợp lệ hoặc đã hết hạn"
    assert client.get("/api/nhiem-vu", headers={"Authorization": "Bearer t0k"}).status_code == 200


def test_records_change_at_runtime() -> None:
    app = create_app(rows(3))
    app.put_record({"id": 9, "updated_at": "2024-02-01T00:00:00+07:00"})
    app.remove_record(1)
    changed = app.touch(2, {"ten_nhiem_vu": "Đổi tên"}, at=datetime(2024, 3, 1, tzinfo=VN))
    assert changed["updated_at"] == "2024-03-01T00:00:00+07:00"
    assert [r["id"] for r in app.records()] == [2, 3, 9]
    client = app.test_client()
    newer = client.get("/api/nhiem-vu?updated_since=2024-02-01T00:00:00%2B07:00").get_json()
    assert [r["id"] for r in newer["data"]["items"]] == [2, 9]
    with pytest.raises(KeyError):
        app.touch(404)


def test_reset_refuses_unknown_settings() -> None:
    with pytest.raises(TypeError, match="unknown settings"):
        create_app([]).reset(envelop=False)
