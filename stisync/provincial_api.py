"""The demo provincial task-management API: a Flask app imitating a province's JSON list endpoints.

Three list endpoints serve the same records, paged three ways:
`GET /api/nhiem-vu?page=&page_size=&updated_since=` (page numbers),
`GET /api/nhiem-vu-offset?offset=&limit=&updated_since=` (offsets) and
`GET /api/nhiem-vu-links?cursor=&page_size=&updated_since=` (a `links.next` URL in the body and
an RFC 8288 `Link` header). Answers use the `{"success": true, "data": {...}}` envelope (or a bare
list with `envelope=False`), and errors come back as `{"success": false, "message": "..."}`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

VIETNAM = timezone(timedelta(hours=7))
MAX_PAGE_SIZE = 100
AUTH_KINDS = ("bearer", "api_key", "basic")

_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DEFAULT_MESSAGES = {
    200: "Phiên đăng nhập hết hạn",
    401: "Token không hợp lệ hoặc đã hết hạn",
    403: "Tài khoản không có quyền truy cập dữ liệu nhiệm vụ",
    404: "Không tìm thấy tài nguyên",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau",
}


class BadRequest(Exception):
    """A query parameter the imitated API refuses (answered 400)."""


class ProvincialApi(Flask):
    """The app, with helpers for tests to change its records, settings and faults at runtime.

    Records live in `config["RECORDS"]` (a list of dicts) and the settings of `create_app` in
    `config` too (TOKEN, AUTH, API_KEY_HEADER, USERNAME, PAGE_SIZE, ENVELOPE), read on every
    request; every access holds `lock`, because the server answers on several threads while a
    test edits them.
    """

    lock: threading.Lock
    failures: deque[dict[str, Any]]
    seen: list[dict[str, Any]]

    def reset(self, records: Iterable[Mapping[str, Any]] | None = None, **settings: Any) -> None:
        """Forget pending faults and seen requests; replace the records and any setting given
        (`token=`, `auth=`, `page_size=`, `envelope=`, `api_key_header=`, `username=`)."""
        unknown = set(settings) - set(_SETTINGS)
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}; known: {', '.join(_SETTINGS)}")
        auth = settings.get("auth", "bearer")
        if auth not in AUTH_KINDS:
            raise ValueError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {auth!r}")
        with self.lock:
            self.failures.clear()
            self.seen.clear()
            if records is not None:
                self.config["RECORDS"] = [dict(r) for r in records]
            self.config.update({k.upper(): v for k, v in settings.items()})

    def put_record(self, record: Mapping[str, Any]) -> None:
        """Replace the record with the same `id`, or add it at the end."""
        with self.lock:
            rows: list[dict[str, Any]] = self.config["RECORDS"]
            for i, row in enumerate(rows):
                if row.get("id") == record.get("id"):
                    rows[i] = dict(record)
                    return
            rows.append(dict(record))

    def touch(self, record_id: Any, changes: Mapping[str, Any] | None = None, *,
              at: datetime | None = None) -> dict[str, Any]:
        """Apply `changes` to one record and stamp its `updated_at` (now, unless `at`)."""
        with self.lock:
            for row in self.config["RECORDS"]:
                if row.get("id") == record_id:
                    row.update(changes or {})
                    row["updated_at"] = (at or datetime.now(VIETNAM)).isoformat(timespec="seconds")
                    return dict(row)
        raise KeyError(f"no record with id {record_id!r}")

    def remove_record(self, record_id: Any) -> None:
        with self.lock:
            self.config["RECORDS"] = [r for r in self.config["RECORDS"] if r.get("id") != record_id]

    def records(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.config["RECORDS"]]

    def fail_next(self, n: int, status: int = 500, *, message: str | None = None,
                  retry_after: str | None = None) -> None:
        """Answer the next `n` requests with `status` instead. Status 200 means an error
        envelope (`"success": false`) under HTTP 200, as some provincial systems do."""
        with self.lock:
            for _ in range(n):
                self.failures.append({"status": status, "message": message,
                                      "retry_after": retry_after})

    def requests_seen(self) -> list[dict[str, Any]]:
        """Each request so far: {"path", "args", "headers"} (query string and headers as dicts)."""
        with self.lock:
            return list(self.seen)


_SETTINGS = ("token", "auth", "api_key_header", "username", "page_size", "envelope")


def create_app(records: Iterable[Mapping[str, Any]], *, token: str | None = None,
               page_size: int = 20, envelope: bool = True, auth: str = "bearer",
               api_key_header: str = "X-API-Key", username: str = "dongbo") -> ProvincialApi:
    """An app serving `records`. With a `token` every request must carry it: as a bearer token,
    in `api_key_header`, or as the password of `username` (HTTP basic), per `auth`."""
    app = ProvincialApi(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # answer in UTF-8, as they do
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.lock = threading.Lock()
    app.failures = deque()
    app.seen = []
    app.reset(records, token=token, page_size=page_size, envelope=envelope, auth=auth,
              api_key_header=api_key_header, username=username)

    def answer(items: list[dict[str, Any]], extra: Mapping[str, Any] | None = None,
               links: Mapping[str, Any] | None = None) -> Response:
        if not app.config["ENVELOPE"]:
            return jsonify(items)
        body: dict[str, Any] = {"success": True, "data": {"items": items, **(extra or {})}}
        if links is not None:
            body["links"] = links
        return jsonify(body)

    def size_arg(name: str) -> int:
        return min(_int_arg(name, app.config["PAGE_SIZE"], minimum=1), MAX_PAGE_SIZE)

    @app.before_request
    def gate() -> Response | tuple[Response, int] | None:
        with app.lock:
            app.seen.append({"path": request.path, "args": request.args.to_dict(),
                             "headers": dict(request.headers)})
            failure = app.failures.popleft() if app.failures else None
        if failure is not None:
            return _failure(failure)
        if app.config["TOKEN"] is not None and not _authorised(app.config):
            return _error(401, _DEFAULT_MESSAGES[401])
        return None

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> tuple[Response, int]:
        return _error(400, str(exc))

    @app.errorhandler(404)
    def not_found(exc: Exception) -> tuple[Response, int]:
        return _error(404, _DEFAULT_MESSAGES[404])

    @app.get("/api/nhiem-vu")
    def by_page() -> Response:
        rows = _selected(app)
        page, size = _int_arg("page", 1, minimum=1), size_arg("page_size")
        items = rows[(page - 1) * size: page * size]
        return answer(items, {"total": len(rows), "page": page})

    @app.get("/api/nhiem-vu-offset")
    def by_offset() -> Response:
        rows = _selected(app)
        offset, limit = _int_arg("offset", 0, minimum=0), size_arg("limit")
        return answer(rows[offset: offset + limit], {"total": len(rows), "offset": offset})

    @app.get("/api/nhiem-vu-links")
    def by_link() -> Response:
        rows = _selected(app)
        cursor, size = _int_arg("cursor", 0, minimum=0), size_arg("page_size")
        next_url = None
        if cursor + size < len(rows):
            query = {**request.args.to_dict(), "cursor": str(cursor + size)}
            next_url = f"{request.base_url}?{urlencode(query)}"
        response = answer(rows[cursor: cursor + size], links={"next": next_url})
        if next_url:
            response.headers["Link"] = f'<{next_url}>; rel="next"'
        return response

    return app


def _selected(app: ProvincialApi) -> list[dict[str, Any]]:
    raw = request.args.get("updated_since", "")
    since = None
    if raw.strip():
        try:
            since = parse_time(raw)
        except ValueError:
            raise BadRequest(f"Tham số updated_since không hợp lệ: {raw!r}") from None
    rows = app.records()
    if since is None:
        return rows
    return [r for r in rows if _updated_at(r) >= since]


def _updated_at(row: Mapping[str, Any]) -> datetime:
    # Like SQL's NULL, a record without a readable time never matches a filter.
    try:
        return parse_time(row.get("updated_at"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def parse_time(value: Any) -> datetime:
    """The server's own reading of a time: epoch seconds, dd/mm/yyyy [HH:MM[:SS]] or ISO 8601;
    without an offset, Vietnamese time."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    m = _DAY_FIRST.match(text)
    if m:
        d, mo, y, h, mi, s = (int(g) if g else 0 for g in m.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=VIETNAM)
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def _int_arg(name: str, default: int, *, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise BadRequest(f"Tham số {name} không hợp lệ: {raw!r}")
    return int(raw)


def _authorised(config: Mapping[str, Any]) -> bool:
    token = str(config["TOKEN"])
    if config["AUTH"] == "api_key":
        given = request.headers.get(config["API_KEY_HEADER"], "")
        return hmac.compare_digest(given.encode(), token.encode())
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if config["AUTH"] == "bearer":
        return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), token.encode())
    if scheme.lower() != "basic":
        return False
    try:
        pair = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(pair.encode(), f"{config['USERNAME']}:{token}".encode())


def _failure(failure: Mapping[str, Any]) -> tuple[Response, int]:
    status = int(failure["status"])
    message = failure["message"] or _DEFAULT_MESSAGES.get(status, "Lỗi máy chủ nội bộ")
    response, status = _error(status, message)
    if failure["retry_after"] is not None:
        response.headers["Retry-After"] = str(failure["retry_after"])
    return response, status


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"success": False, "message": message}), status

