"""The task routes of API v1: write one or a batch, read, withdraw and list a province's records."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any, NamedTuple

from flask import Blueprint, Response, jsonify, request
from werkzeug.routing import BaseConverter

from national_sim.context import (
    ApiError,
    SimState,
    check_province,
    current,
    json_body,
    require_principal,
)
from national_sim.store import WriteStatus
from schemas.canonical import content_hash
from schemas.validate import validate

logger = logging.getLogger(__name__)

MAX_BATCH = 200
MAX_PAGE_SIZE = 1000

bp = Blueprint("tasks", __name__, url_prefix="/v1/provinces/<province>")


class LocalIdConverter(BaseConverter):
    """The rest of the path, whatever it holds: a local_id may begin or end with `/`, or
    double it, which werkzeug's `path` converter would refuse or redirect."""

    regex = ".+"
    part_isolating = False


def _error(field: str, code: str, vi: str, en: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": f"{vi} / {en}"}


def _checks(st: SimState, record: Any, path_local_id: str | None) -> list[dict[str, str]]:
    if not isinstance(record, dict):
        return [
            _error(
                "",
                "bad_type",
                "Hồ sơ phải là một đối tượng JSON.",
                f"A task record must be a JSON object, not {type(record).__name__}.",
            )
        ]
    errors: list[dict[str, str]] = []
    local_id = record.get("local_id")
    if path_local_id is not None and "local_id" in record and local_id != path_local_id:
        errors.append(
            _error(
                "local_id",
                "mismatch",
                f"Mã hồ sơ {local_id!r} khác mã trên đường dẫn {path_local_id!r}.",
                f"local_id {local_id!r} differs from the path's {path_local_id!r}.",
            )
        )
    errors += [
        {"field": p.path, "code": p.code, "message": f"{p.message_vi} / {p.message_en}"}
        for p in validate(record)
    ]
    if st.faults.rejects(local_id):
        errors.append(
            _error(
                "local_id",
                "rejected",
                "Hệ thống quốc gia từ chối hồ sơ này (lỗi mô phỏng).",
                "The national system refused this record (simulated reject_ids).",
            )
        )
    return errors


class _Valid(NamedTuple):
    local_id: str
    record: dict[str, Any]
    digest: str


class _Rejected(NamedTuple):
    local_id: str | None
    errors: list[dict[str, str]]


def _write(
    st: SimState, province: str, record: Any, path_local_id: str | None = None
) -> dict[str, Any]:
    """One write result as api.md shapes it; a valid record is stored."""
    return _write_all(st, province, [record], path_local_id)[0]


def _write_all(
    st: SimState, province: str, records: list[Any], path_local_id: str | None = None
) -> list[dict[str, Any]]:
    """Results in the order sent; the valid records are stored together, in one transaction.
    The national_id and revision a rejected record already has are read in one query for
    the batch, before the valid ones are written."""
    crash = st.faults.crashes(
        [r.get("local_id", path_local_id) if isinstance(r, dict) else None for r in records]
    )
    if crash is not None:
        raise ApiError(
            500, "internal_error", f"the server failed on record {crash} (simulated crash_ids)"
        )
    checked = [_checked(st, record, path_local_id) for record in records]
    known = st.store.identities(
        province, {c.local_id for c in checked if isinstance(c, _Rejected) and c.local_id}
    )
    valid = [(c.local_id, c.record, c.digest) for c in checked if isinstance(c, _Valid)]
    outcomes = iter(st.store.write_many(province, valid, st.now()))
    results: list[dict[str, Any]] = []
    for c in checked:
        if isinstance(c, _Valid):
            outcome = next(outcomes)
            results.append(
                {
                    "local_id": c.local_id,
                    "status": outcome.status.value,
                    "national_id": outcome.national_id,
                    "revision": outcome.revision,
                    "content_hash": outcome.content_hash,
                    "errors": [],
                }
            )
            continue
        identity = known.get(c.local_id) if c.local_id else None
        logger.info(
            "rejected %s/%s: %s",
            province,
            c.local_id,
            ", ".join(f"{e['field']}:{e['code']}" for e in c.errors),
        )
        results.append(
            {
                "local_id": c.local_id,
                "status": WriteStatus.REJECTED.value,
                "national_id": identity[0] if identity else None,
                "revision": identity[1] if identity else None,
                "content_hash": None,
                "errors": c.errors,
            }
        )
    return results


def _checked(st: SimState, record: Any, path_local_id: str | None) -> _Valid | _Rejected:
    """A valid record with its content hash, or the local_id and errors of an invalid one."""
    local_id = record.get("local_id") if isinstance(record, dict) else None
    local_id = local_id if isinstance(local_id, str) else path_local_id
    errors = _checks(st, record, path_local_id)
    if not errors and local_id is None:
        errors = [
            _error(
                "local_id",
                "required",
                "Thiếu mã hồ sơ nội bộ (local_id).",
                "The record's local_id is missing.",
            )
        ]
    if errors or local_id is None:
        return _Rejected(local_id, errors)
    try:
        return _Valid(local_id, record, content_hash(record))
    except ValueError as exc:
        return _Rejected(
            local_id,
            [
                _error(
                    "",
                    "bad_format",
                    "Hồ sơ không chuẩn hoá được theo RFC 8785.",
                    f"The record cannot be canonicalised (RFC 8785): {exc}.",
                )
            ],
        )


def _maybe_drop(st: SimState, results: list[dict[str, Any]]) -> None:
    """The store_then_drop fault: the write is committed, but the client never hears so."""
    if any(r["status"] != WriteStatus.REJECTED.value for r in results) and st.faults.take_drop():
        st.stats.dropped()
        raise ApiError(
            500,
            "connection_lost",
            "the write was stored but the answer was lost (simulated store_then_drop)",
        )


@bp.put("/tasks/<local_id:local_id>")
def put_task(province: str, local_id: str) -> tuple[Response, int]:
    st = current()
    check_province(require_principal(), province, write=True)
    result = _write(st, province, json_body(), local_id)
    _maybe_drop(st, [result])
    status = {"created": 201, "rejected": 422}.get(result["status"], 200)
    return jsonify(result), status


@bp.post("/tasks:batch")
def put_batch(province: str) -> Response:
    st = current()
    check_province(require_principal(), province, write=True)
    body = json_body()
    # api.md leaves the envelope open: accept a bare array or {"records": [...]}
    records = body.get("records") if isinstance(body, dict) else body
    if not isinstance(records, list):
        raise ApiError(
            400,
            "bad_request",
            f"POST {request.path}: the body must be a JSON array of records "
            'or {"records": [...]}',
        )
    if len(records) > MAX_BATCH:
        raise ApiError(
            413,
            "too_many_records",
            f"a batch holds at most {MAX_BATCH} records; this one has {len(records)}",
        )
    results = _write_all(st, province, records)
    _maybe_drop(st, results)
    return jsonify({"results": results})


@bp.get("/tasks/<local_id:local_id>")
def get_task(province: str, local_id: str) -> Response:
    st = current()
    check_province(require_principal(), province, write=False)
    task = st.store.get(province, local_id)
    if task is None:
        raise ApiError(404, "not_found", f"province {province} has no task {local_id!r}")
    response = jsonify(task.record)
    response.set_etag(task.content_hash)
    response.headers["X-National-Id"] = task.national_id
    response.headers["X-Revision"] = str(task.revision)
    return response


@bp.delete("/tasks/<local_id:local_id>")
def delete_task(province: str, local_id: str) -> tuple[str, int]:
    st = current()
    check_province(require_principal(), province, write=True)
    if not st.store.delete(province, local_id, st.now()):
        raise ApiError(404, "not_found", f"province {province} has no task {local_id!r}")
    return "", 204


@bp.get("/tasks")
def list_tasks(province: str) -> Response:
    st = current()
    check_province(require_principal(), province, write=False)
    size = _page_size(request.args.get("page_size"))
    after = _decode_token(province, request.args.get("page_token") or None)
    # one extra row says whether another page follows, without a second query
    rows = st.store.page(province, after, size + 1)
    page = rows[:size]
    body: dict[str, Any] = {
        "items": [
            {
                "local_id": t.local_id,
                "revision": t.revision,
                "content_hash": t.content_hash,
                "updated_at": t.updated_at.isoformat(),
            }
            for t in page
        ]
    }
    if len(rows) > size:
        body["next_page_token"] = _encode_token(province, page[-1].local_id)
    return jsonify(body)


def _page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(
            400,
            "bad_request",
            f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, not {raw!r}",
        )
    return size


def _encode_token(province: str, after: str) -> str:
    raw = json.dumps({"p": province, "a": after}, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(province: str, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        data = None
    if not (
        isinstance(data, dict) and data.get("p") == province and isinstance(data.get("a"), str)
    ):
        raise ApiError(
            400,
            "invalid_page_token",
            f"page_token {token!r} was not issued for province {province}'s list",
        )
    return str(data["a"])
