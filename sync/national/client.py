"""The national API client: one class for every call of the exchange API, version 1."""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from sync.national.auth import Timeout, TokenAuth
from sync.national.errors import (
    AuthFailed,
    BatchRefused,
    NationalError,
    PermanentError,
    TransientError,
)
from sync.national.results import WriteResult
from sync.national.retry import (
    RequestWatch,
    RetryPolicy,
    RunBudget,
    classify,
    describe,
    error_body,
    retrying,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

JSON_TYPE = "application/json; charset=utf-8"
MAX_BATCH_RECORDS = 200
MAX_BATCH_BYTES = 10_000_000  # "10 MB" in the contract; the decimal reading is the safe one
MAX_PAGE_SIZE = 1000
_BATCH_REFUSED = frozenset({400, 413, 422})


def _bad_json_path(value: Any, path: str = "") -> str | None:
    """The first field that JSON cannot carry (a datetime, a NaN...), as a JSON path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _bad_json_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _bad_json_path(item, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(top level)"
    if isinstance(value, (str, int, float, bool, type(None))):
        return None
    return path or "(top level)"


def _json_bytes(value: Any, what: str) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8"
        )
    except (TypeError, ValueError) as exc:
        field = _bad_json_path(value)
        where = f"field {field}" if field else "the record"
        raise ValueError(f"{what}: {where} cannot be sent as JSON ({exc})") from exc


def _check_local_id(local_id: object, what: str) -> str:
    if not isinstance(local_id, str) or not local_id:
        raise ValueError(f"{what}: local_id must be a non-empty string, not {local_id!r}")
    return local_id


class NationalClient:
    """Talks to one province's part of the national API. Every call is retried within
    `policy` when the fault is transient, and all of them together within `budget` (one
    run's); all writes are keyed by `local_id`, so repeating one after a cut connection
    stores it once. `watch` (sync.breaker) sees every request's outcome and may stop them."""

    def __init__(
        self,
        base_url: str,
        province: str,
        auth: TokenAuth,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout = (5.0, 30.0),
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "stisync/0.1.0",
        budget: RunBudget | None = None,
        watch: RequestWatch | None = None,
    ) -> None:
        if not re.match(r"^https?://[^/]", base_url or ""):
            raise ValueError(f"national API base_url must be an http(s) URL, not {base_url!r}")
        if not isinstance(province, str) or not re.fullmatch(r"[0-9]{2}", province):
            raise ValueError(f"province must be a 2-digit province code, not {province!r}")
        extra = dict(headers or {})
        if any(k.lower() == "authorization" for k in extra):
            raise ValueError(
                "headers: Authorization is set from the national API credentials; "
                "put a gateway key under another header name"
            )
        self.base_url = base_url.rstrip("/")
        self.province = province
        self.auth = auth
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._headers = {"User-Agent": user_agent, "Accept": "application/json", **extra}
        self._own_session = session is None
        self.session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self.budget = budget
        self.watch = watch
        # API requests that left (token requests apart): whether a failed call sent anything.
        self.requests_sent = 0

    def __enter__(self) -> NationalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session, when the client made it."""
        if self._own_session:
            self.session.close()

    # Calls -------------------------------------------------------------------------------------

    def put_task(
        self, local_id: str, record: Mapping[str, Any], *, retry: bool = True
    ) -> WriteResult:
        """Create or replace one record. A validation refusal (422) is a REJECTED result.
        Without `retry`, one attempt (a record already known to fail alone is tested once)."""
        what = f"record {local_id!r}"
        _check_local_id(local_id, what)
        if not isinstance(record, Mapping):
            raise ValueError(f"{what}: expected a JSON object, got {type(record).__name__}")
        if record.get("local_id", local_id) != local_id:
            raise ValueError(f"{what}: the record's local_id is {record.get('local_id')!r}")
        path = self._tasks_path(local_id)

        def parse(response: requests.Response) -> WriteResult:
            if response.status_code == 422:
                code, message, fields = error_body(response)
                return WriteResult.rejected(
                    local_id,
                    fields
                    or ({"field": "", "code": code or "rejected", "message": message or ""},),
                )
            what = describe("PUT", response.url)
            result = WriteResult.from_json(self._json(response, "PUT"), where=what,
                                           url=response.url)
            if result.local_id != local_id:
                raise NationalError(
                    f"national API {what}: answered for {result.local_id!r}",
                    text_vi=f"API quốc gia {what}: câu trả lời là cho bản ghi "
                    f"{result.local_id!r}",
                    url=response.url,
                )
            return result

        return self._call(
            "PUT",
            path,
            parse,
            data=_json_bytes(record, what),
            ok={200, 201},
            passthrough={422},
            retry=retry,
        )

    def put_batch(self, records: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Create or replace up to 200 records in one call; results come in `records` order.

        `BatchRefused` when the batch is refused whole: send the records one by one instead.
        """
        if not records:
            return []
        if len(records) > MAX_BATCH_RECORDS:
            raise ValueError(
                f"a batch holds at most {MAX_BATCH_RECORDS} records, not {len(records)}"
            )
        ids: list[str] = []
        parts: list[bytes] = []
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise ValueError(
                    f"batch item {i}: expected a JSON object, got {type(record).__name__}"
                )
            local_id = _check_local_id(record.get("local_id"), f"batch item {i}")
            if local_id in ids:
                raise ValueError(
                    f"batch items {ids.index(local_id)} and {i}: both are record "
                    f"{local_id!r}; a batch carries each record once"
                )
            ids.append(local_id)
            parts.append(_json_bytes(record, f"record {local_id!r}"))
        # The contract does not name the envelope; {"records": [...]} mirrors the answer's shape.
        body = b'{"records":[' + b",".join(parts) + b"]}"
        if len(body) > MAX_BATCH_BYTES:
            raise ValueError(
                f"a batch of {len(ids)} records is {len(body)} bytes, over the "
                f"API's {MAX_BATCH_BYTES} byte limit: send fewer records"
            )
        path = f"{self._province_path()}/tasks:batch"

        def parse(response: requests.Response) -> list[WriteResult]:
            return self._batch_results(response, ids)

        try:
            return self._call("POST", path, parse, data=body, ok={200})
        except PermanentError as exc:
            if exc.status not in _BATCH_REFUSED:
                raise
            raise BatchRefused(
                f"{exc} (batch of {len(ids)} records refused whole)",
                text_vi=f"{exc.text('vi')} (cả lô {len(ids)} bản ghi bị từ chối)",
                **exc._fields(),
            ) from exc

    def delete_task(self, local_id: str) -> bool:
        """Withdraw a record: True when it was there, False when it was already absent."""
        _check_local_id(local_id, "delete")

        def parse(response: requests.Response) -> bool:
            return response.status_code != 404 or not self._absent(response, "DELETE")

        return self._call(
            "DELETE", self._tasks_path(local_id), parse, ok={200, 204}, passthrough={404}
        )

    def get_task(self, local_id: str) -> dict[str, Any] | None:
        """The national copy of one record, or None when there is none."""
        _check_local_id(local_id, "get")

        def parse(response: requests.Response) -> dict[str, Any] | None:
            if response.status_code == 404 and self._absent(response, "GET"):
                return None
            return self._object(response, "GET")

        return self._call("GET", self._tasks_path(local_id), parse, passthrough={404})

    def list_tasks(self, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every national record of the province as `{local_id, revision, content_hash,
        updated_at}`, page by page; nothing is fetched before the first `next()`."""
        if (
            isinstance(page_size, bool)
            or not isinstance(page_size, int)
            or not 1 <= page_size <= MAX_PAGE_SIZE
        ):
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size!r}")
        return self._pages(page_size)

    def send_report(self, report: Mapping[str, Any]) -> str:
        """Send one sync report (idempotent by its run_id); returns the national report_id."""
        if not isinstance(report, Mapping) or not report.get("run_id"):
            raise ValueError("sync report: run_id is required")
        what = f"sync report {report['run_id']!r}"

        def parse(response: requests.Response) -> str:
            report_id = self._object(response, "POST").get("report_id")
            if not isinstance(report_id, str) or not report_id:
                call = describe("POST", response.url)
                raise NationalError(
                    f"national API {call}: no report_id in the answer for {what}",
                    text_vi=f"API quốc gia {call}: câu trả lời cho báo cáo đồng bộ "
                    f"{report['run_id']!r} không có report_id",
                    url=response.url,
                )
            return report_id

        return self._call(
            "POST",
            f"{self._province_path()}/sync-reports",
            parse,
            data=_json_bytes(report, what),
            ok={200, 201},
        )

    def health(self) -> bool:
        """True when the national API answers its liveness check; one try, never raises."""
        try:
            body = self._call(
                "GET", "/v1/health", lambda r: self._object(r, "GET"), auth=False, retry=False
            )
        except NationalError as exc:
            logger.info("national API health check failed: %s", exc)
            return False
        return body.get("status") == "ok"

    # Plumbing ----------------------------------------------------------------------------------

    def _province_path(self) -> str:
        return f"/v1/provinces/{quote(self.province, safe='')}"

    def _tasks_path(self, local_id: str) -> str:
        return f"{self._province_path()}/tasks/{quote(local_id, safe='')}"

    def _pages(self, page_size: int) -> Iterator[dict[str, Any]]:
        path = f"{self._province_path()}/tasks"
        token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"page_size": page_size}
            if token:
                params["page_token"] = token
            page = self._call("GET", path, lambda r: self._object(r, "GET"), params=params)
            items = page.get("items")
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise NationalError(
                    f"national API GET {path}: items is not a list of objects",
                    text_vi=f"API quốc gia GET {path}: items không phải một danh sách đối tượng",
                )
            yield from items
            token = page.get("next_page_token") or None
            if token is None:
                return
            if not isinstance(token, str) or token in seen:
                raise NationalError(
                    f"national API GET {path}: next_page_token {token!r} "
                    "repeats or is not a string; stopping to avoid a loop",
                    text_vi=f"API quốc gia GET {path}: next_page_token {token!r} bị lặp lại "
                    "hoặc không phải chuỗi; dừng đọc để tránh lặp vô tận",
                )
            seen.add(token)

    def _batch_results(self, response: requests.Response, ids: list[str]) -> list[WriteResult]:
        what = describe("POST", response.url)
        data = self._json(response, "POST")
        items = data.get("results") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise NationalError(
                f"national API {what}: the answer has no results list",
                text_vi=f"API quốc gia {what}: câu trả lời không có danh sách results",
                url=response.url,
            )
        wanted = set(ids)
        found: dict[str, WriteResult] = {}
        for i, item in enumerate(items):
            result = WriteResult.from_json(
                item, where=f"{what} result {i}", where_vi=f"{what} kết quả {i}", url=response.url
            )
            if result.local_id not in wanted:
                logger.warning(
                    "national API %s: result for %r, which was not sent; ignored",
                    what,
                    result.local_id,
                )
                continue
            found[result.local_id] = result
        missing = [i for i in ids if i not in found]
        if missing:
            shown = ", ".join(missing[:10])
            raise NationalError(
                f"national API {what}: no result for {len(missing)} sent record(s): {shown}",
                text_vi=f"API quốc gia {what}: không có kết quả cho {len(missing)} bản ghi đã "
                f"gửi: {shown}",
                url=response.url,
            )
        return [found[i] for i in ids]

    def _absent(self, response: requests.Response, method: str) -> bool:
        """A 404 means the record is absent — unless it is about the province itself."""
        code, _, _ = error_body(response)
        if code and "province" in code.lower():
            error = classify(response, None, url=response.url, method=method)
            assert error is not None
            raise error
        return True

    def _json(self, response: requests.Response, method: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            error = classify(response, exc, url=response.url, method=method)
            assert error is not None
            raise error from exc

    def _object(self, response: requests.Response, method: str) -> dict[str, Any]:
        data = self._json(response, method)
        if not isinstance(data, dict):
            what, got = describe(method, response.url), type(data).__name__
            raise NationalError(
                f"national API {what}: expected a JSON object, got {got}",
                text_vi=f"API quốc gia {what}: cần một đối tượng JSON, nhận được {got}",
                url=response.url,
            )
        return data

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[requests.Response], T],
        *,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        ok: frozenset[int] | set[int] = frozenset({200}),
        passthrough: frozenset[int] | set[int] = frozenset(),
        auth: bool = True,
        retry: bool = True,
    ) -> T:
        """Send, renew the token once on a 401, classify, parse — all within one attempt, so
        a body cut mid-way is retried like a dropped connection."""
        url = self.base_url + path
        renewed = False

        def attempt() -> T:
            nonlocal renewed
            response = self._send(method, url, data, params, auth)
            if auth and response.status_code == 401:
                if self.auth.renewable and not renewed:
                    renewed = True
                    logger.info("national API %s: 401, fetching a new token", describe(method, url))
                    self.auth.invalidate()
                    response = self._send(method, url, data, params, auth)
                if response.status_code == 401:
                    error = classify(response, None, url=url, method=method)
                    assert error is not None
                    hint, hint_vi = (
                        ("a freshly fetched token was refused too",
                         "mã truy cập vừa lấy mới cũng bị từ chối")
                        if self.auth.renewable
                        else ("the static token was refused", "mã truy cập cố định bị từ chối")
                    )
                    raise AuthFailed(
                        f"{error}: {hint}", text_vi=f"{error.text('vi')}: {hint_vi}",
                        **error._fields(),
                    )
            if response.status_code not in passthrough:
                error = classify(response, None, url=url, method=method)
                if error is not None:
                    raise error
                if response.status_code not in ok:
                    what, status = describe(method, url), response.status_code
                    raise NationalError(
                        f"national API {what}: unexpected status {status}",
                        text_vi=f"API quốc gia {what}: mã trạng thái HTTP {status} không "
                        "mong đợi",
                        status=response.status_code,
                        url=url,
                        method=method,
                    )
            return parse(response)

        def watched() -> T:
            refusal = self.watch.refusal() if self.watch is not None else None
            if refusal is not None:
                raise refusal
            try:
                result = attempt()
            except TransientError as exc:
                if self.watch is not None:
                    self.watch.answered(exc)
                raise
            except NationalError:
                if self.watch is not None:
                    self.watch.answered(None)  # an answer about our request, not a fault
                raise
            if self.watch is not None:
                self.watch.answered(None)
            return result

        if not retry:
            return watched()
        return retrying(
            self.policy, sleep=self._sleep, clock=self._clock, run=self.budget, watch=self.watch
        )(watched)

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        params: Mapping[str, Any] | None,
        auth: bool,
    ) -> requests.Response:
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = JSON_TYPE
        if auth:
            token = self.auth.bearer(self.session, timeout=self.timeout, headers=self._headers)
            headers["Authorization"] = f"Bearer {token}"
        self.requests_sent += 1
        try:
            response = self.session.request(
                method, url, data=data, params=params, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            error = classify(None, exc, url=url, method=method)
            assert error is not None
            raise error from exc
        logger.debug("national API %s -> %s", describe(method, url), response.status_code)
        return response
