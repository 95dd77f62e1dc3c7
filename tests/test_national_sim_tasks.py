"""The simulator's task routes: writes and their revision rules, batches, reads, deletes, lists."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from schemas.canonical import content_hash
from tests import sim_fixtures
from tests.records import valid_record
from tests.sim_fixtures import RunningSim, running_sim

national_sim = sim_fixtures.national_sim  # the shared fixture, requested by name below

T = 10


class Api:
    """The province's calls with a token fetched once, as the client under test would."""

    def __init__(self, sim: RunningSim):
        self.sim = sim
        self.base = f"{sim.url}/v1/provinces/{sim.province}"
        self.headers = sim.headers()

    def task_url(self, local_id: str) -> str:
        return f"{self.base}/tasks/{quote(local_id, safe='')}"

    def put(self, record: Any, local_id: str | None = None) -> requests.Response:
        lid = local_id if local_id is not None else record["local_id"]
        return requests.put(self.task_url(lid), json=record, headers=self.headers, timeout=T)

    def batch(self, body: Any) -> requests.Response:
        return requests.post(f"{self.base}/tasks:batch", json=body, headers=self.headers,
                             timeout=T)

    def get(self, local_id: str) -> requests.Response:
        return requests.get(self.task_url(local_id), headers=self.headers, timeout=T)

    def delete(self, local_id: str) -> requests.Response:
        return requests.delete(self.task_url(local_id), headers=self.headers, timeout=T)

    def list(self, **params: Any) -> requests.Response:
        return requests.get(f"{self.base}/tasks", params=params, headers=self.headers, timeout=T)


@pytest.fixture
def api(national_sim: RunningSim) -> Api:
    return Api(national_sim)


def _rec(n: int, **changes: Any) -> dict[str, Any]:
    return valid_record(local_id=f"so-khcn:{n}", **changes)


def test_health_needs_no_token(national_sim: RunningSim) -> None:
    r = requests.get(f"{national_sim.url}/v1/health", timeout=T)
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"


def test_api_answers_at_the_root_as_well_as_under_the_base_path(national_sim: RunningSim) -> None:
    root = national_sim.url.removesuffix("/api")
    assert requests.get(f"{root}/v1/health", timeout=T).json() == {"status": "ok"}


def test_create_then_unchanged_then_updated(api: Api) -> None:
    record = _rec(1)
    created = api.put(record)
    assert created.status_code == 201
    assert created.json() == {"local_id": "so-khcn:1", "status": "created",
                              "national_id": "VN-52-1", "revision": 1,
                              "content_hash": content_hash(record), "errors": []}
    again = api.put(record)
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert again.json()["revision"] == 1
    changed = _rec(1, title="Nghiên cứu chọn tạo giống lúa chịu mặn cho vùng ven biển")
    updated = api.put(changed)
    assert updated.status_code == 200
    assert updated.json()["status"] == "updated"
    assert updated.json()["revision"] == 2
    assert updated.json()["national_id"] == "VN-52-1"
    assert updated.json()["content_hash"] == content_hash(changed)
    stored = api.sim.tasks()["so-khcn:1"]
    assert (stored.revision, stored.record) == (2, changed)
    assert api.sim.stats()["writes"]["52"]["so-khcn:1"] == {"created": 1, "updated": 1,
                                                             "unchanged": 1}


def test_key_order_alone_is_not_a_change(api: Api) -> None:
    record = _rec(1)
    api.put(record)
    reordered = dict(reversed(list(record.items())))
    assert api.put(reordered).json()["status"] == "unchanged"


def test_national_ids_follow_creation_order_and_never_change(api: Api) -> None:
    ids = [api.put(_rec(n)).json()["national_id"] for n in (1, 2, 3)]
    assert ids == ["VN-52-1", "VN-52-2", "VN-52-3"]
    assert api.put(_rec(2, title="Một tên khác hẳn")).json()["national_id"] == "VN-52-2"


def test_get_returns_the_record_with_its_identity(api: Api) -> None:
    record = _rec(1)
    api.put(record)
    r = api.get("so-khcn:1")
    assert r.status_code == 200
    assert r.json() == record
    assert r.headers["ETag"] == f'"{content_hash(record)}"'
    assert r.headers["X-National-Id"] == "VN-52-1"
    assert r.headers["X-Revision"] == "1"
    missing = api.get("so-khcn:404")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


@pytest.mark.parametrize("local_id", [
    "binhdinh-qlkh:1234", "gialai/2024/07", "a.b_c-d:e/f", "qlkh//7", "/7", "7/",
], ids=["colon", "slashes", "every-allowed-sign", "double-slash", "leading-slash",
        "trailing-slash"])
def test_local_ids_with_colons_and_slashes_round_trip(api: Api, local_id: str) -> None:
    record = valid_record(local_id=local_id)
    assert api.put(record).status_code == 201
    assert api.get(local_id).json()["local_id"] == local_id
    assert set(api.sim.tasks()) == {local_id}


def test_invalid_single_put_is_422_and_not_stored(api: Api) -> None:
    r = api.put(_rec(1, start_date="2024-06-01", end_date="2023-12-31"))
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == "rejected"
    assert body["content_hash"] is None
    assert any(e["code"] == "date_order" for e in body["errors"])
    for e in body["errors"]:
        assert set(e) == {"field", "code", "message"}
        assert e["message"]
    assert api.sim.tasks() == {}


def test_rejected_update_keeps_the_stored_version(api: Api) -> None:
    api.put(_rec(1))
    r = api.put(_rec(1, start_date="2024-06-01", end_date="2023-12-31"))
    assert r.status_code == 422
    assert (r.json()["national_id"], r.json()["revision"]) == ("VN-52-1", 1)
    assert api.sim.tasks()["so-khcn:1"].record == _rec(1)


def test_body_local_id_must_equal_the_path(api: Api) -> None:
    r = api.put(_rec(1), local_id="so-khcn:2")
    assert r.status_code == 422
    assert ("local_id", "mismatch") in {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert api.sim.tasks() == {}


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"{not json", 400, "bad_request"),
    (b"", 400, "bad_request"),
    (b"\xff\xfe{}", 400, "bad_request"),
    (b'{"local_id": NaN}', 400, "bad_request"),
], ids=["syntax-error", "empty", "not-utf8", "nan"])
def test_unreadable_bodies_are_400_with_a_reason(api: Api, body: bytes, status: int,
                                                 error: str) -> None:
    r = requests.put(api.task_url("so-khcn:1"), data=body, timeout=T,
                     headers={**api.headers, "Content-Type": "application/json"})
    assert r.status_code == status
    assert r.json()["error"] == error
    assert "tasks/so-khcn:1" in r.json()["message"]


@pytest.mark.parametrize("body", [[1, 2], "a record", 42], ids=["array", "string", "number"])
def test_a_body_that_is_not_an_object_is_rejected(api: Api, body: Any) -> None:
    r = api.put(body, local_id="so-khcn:1")
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "bad_type"


@pytest.mark.parametrize("envelope", ["array", "records-object"])
def test_batch_stores_valid_records_and_rejects_the_others(api: Api, envelope: str) -> None:
    good = [_rec(1), _rec(2)]
    bad = _rec(3, start_date="2024-06-01", end_date="2023-12-31")
    records = [good[0], bad, good[1], "not a record"]
    r = api.batch(records if envelope == "array" else {"records": records})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [(x["local_id"], x["status"]) for x in results] == [
        ("so-khcn:1", "created"), ("so-khcn:3", "rejected"), ("so-khcn:2", "created"),
        (None, "rejected")]
    assert results[0]["content_hash"] == content_hash(good[0])
    assert results[1]["errors"] and results[0]["errors"] == []
    assert set(api.sim.tasks()) == {"so-khcn:1", "so-khcn:2"}
    again = api.batch(records)
    assert [x["status"] for x in again.json()["results"]] == [
        "unchanged", "rejected", "unchanged", "rejected"]


def test_batch_of_201_records_is_413_and_nothing_is_stored(api: Api) -> None:
    r = api.batch([_rec(n) for n in range(201)])
    assert r.status_code == 413
    assert r.json()["error"] == "too_many_records"
    assert "201" in r.json()["message"]
    assert api.sim.tasks() == {}
    assert api.batch([_rec(n) for n in range(200)]).status_code == 200


def test_body_over_10_mb_is_413(api: Api) -> None:
    # 200 records with long texts (valid lengths, escaped to ~84 kB of JSON each): within the
    # count limit, over the size limit
    text = "Nội dung " * 2_200
    records = [_rec(n, summary=text, objectives=text) for n in range(200)]
    huge = json.dumps(records).encode()
    assert len(huge) > 10 * 1024 * 1024
    r = requests.post(f"{api.base}/tasks:batch", data=huge, timeout=30,
                      headers={**api.headers, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"
    assert api.sim.tasks() == {}


@pytest.mark.parametrize("body", [{"items": []}, {"records": "x"}, 5],
                         ids=["wrong-key", "records-not-array", "number"])
def test_batch_body_of_the_wrong_shape_is_400(api: Api, body: Any) -> None:
    r = api.batch(body)
    assert r.status_code == 400
    assert "array of records" in r.json()["message"]


def test_delete_is_204_then_404_and_a_resend_keeps_the_national_id(api: Api) -> None:
    api.put(_rec(1))
    assert api.delete("so-khcn:1").status_code == 204
    assert api.get("so-khcn:1").status_code == 404
    assert api.sim.tasks() == {}
    second = api.delete("so-khcn:1")
    assert (second.status_code, second.json()["error"]) == (404, "not_found")
    assert api.delete("so-khcn:never").status_code == 404
    back = api.put(_rec(1))
    assert (back.status_code, back.json()["status"]) == (201, "created")
    assert back.json()["national_id"] == "VN-52-1"
    assert api.put(_rec(2)).json()["national_id"] == "VN-52-2"


def test_list_pages_through_every_record_with_their_hashes(api: Api) -> None:
    records = {f"so-khcn:{n}": _rec(n) for n in range(7)}
    api.batch(list(records.values()))
    seen: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        r = api.list(page_size=3, **({"page_token": token} if token else {}))
        assert r.status_code == 200
        pages += 1
        seen += r.json()["items"]
        token = r.json().get("next_page_token")
        if not token:
            break
    assert pages == 3
    assert [i["local_id"] for i in seen] == sorted(records)
    for item in seen:
        assert set(item) == {"local_id", "revision", "content_hash", "updated_at"}
        assert item["content_hash"] == content_hash(records[item["local_id"]])
        assert item["revision"] == 1


def test_list_of_an_empty_province_has_no_next_page(api: Api) -> None:
    assert api.list().json() == {"items": []}


@pytest.mark.parametrize(("params", "error"), [
    ({"page_size": 1001}, "bad_request"),
    ({"page_size": 0}, "bad_request"),
    ({"page_size": "ten"}, "bad_request"),
    ({"page_token": "garbage!"}, "invalid_page_token"),
    ({"page_token": "eyJwIjogIjAxIiwgImEiOiAieCJ9"}, "invalid_page_token"),
], ids=["size-over-1000", "size-zero", "size-not-a-number", "garbage-token",
        "token-of-another-province"])
def test_list_refuses_bad_paging(api: Api, params: dict[str, Any], error: str) -> None:
    r = api.list(**params)
    assert r.status_code == 400
    assert r.json()["error"] == error


def test_concurrent_writes_get_distinct_national_ids_and_one_creation(api: Api) -> None:
    shared = _rec(0)

    def send(worker: int) -> list[str]:
        ids = [api.put(_rec(worker * 100 + n)).json()["national_id"] for n in range(1, 6)]
        assert api.put(shared).status_code in (200, 201)
        return ids

    with ThreadPoolExecutor(max_workers=8) as pool:
        national_ids = [i for ids in pool.map(send, range(8)) for i in ids]
    assert len(set(national_ids)) == 40
    assert len(api.sim.tasks()) == 41
    assert sorted(int(t.national_id.rsplit("-", 1)[1]) for t in api.sim.tasks().values()) == \
        list(range(1, 42))
    assert api.sim.stats()["writes"]["52"]["so-khcn:0"] == {"created": 1, "updated": 0,
                                                             "unchanged": 7}


def test_data_survives_a_restart_on_the_same_folder(tmp_path: Path) -> None:
    with running_sim(tmp_path / "data") as sim:
        first = Api(sim)
        first.put(_rec(1))
        first.put(_rec(1, title="Tên đã sửa lần một"))
    with running_sim(tmp_path / "data") as sim:
        again = Api(sim)
        assert again.get("so-khcn:1").json()["title"] == "Tên đã sửa lần một"
        assert sim.tasks()["so-khcn:1"].revision == 2
        assert again.put(_rec(2)).json()["national_id"] == "VN-52-2"
        assert sim.stats()["writes"]["52"]["so-khcn:1"]["created"] == 1


def test_unknown_route_and_method_answer_json(api: Api) -> None:
    r = requests.get(f"{api.sim.url}/v2/nothing", timeout=T)
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = requests.patch(api.task_url("so-khcn:1"), headers=api.headers, timeout=T)
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
