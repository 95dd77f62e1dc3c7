"""Sync reports in API v1: the report body's checks and the routes that store and list reports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from national_sim.context import ApiError, check_province, current, json_body, require_principal
from schemas.codelists import current_provinces

bp = Blueprint("reports", __name__)

TRIGGERS = ("schedule", "manual", "retry")
STATUSES = ("succeeded", "partial", "failed")
COUNTS = ("fetched", "created", "updated", "unchanged", "deleted", "rejected", "failed")
ERROR_KEYS = ("local_id", "field", "code", "message")
MAX_ERRORS = 100
_KNOWN = {"run_id", "source", "trigger", "started_at", "finished_at", "status", "counts",
          "errors", "errors_truncated", "client"}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def parse_timestamp(text: object) -> datetime | None:
    """An RFC 3339 timestamp with its offset, or None when `text` is not one."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _err(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def check_report(report: Any) -> list[dict[str, str]]:
    """What is wrong with a sync report body, as `{"field", "code", "message"}` rows."""
    if not isinstance(report, dict):
        return [_err("", "bad_type", "a sync report must be a JSON object")]
    errors = [_err(k, "unknown_field", f"{k!r} is not a sync report field")
              for k in report if k not in _KNOWN]
    for key in ("run_id", "source"):
        value = report.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.append(_err(key, "required", f"{key} must be a non-empty string"))
    if isinstance(report.get("run_id"), str) and len(report["run_id"]) > 200:
        errors.append(_err("run_id", "too_long", "run_id is longer than 200 characters"))
    if "client" in report and not isinstance(report["client"], str):
        errors.append(_err("client", "bad_type", "client must be a string such as 'stisync/0.1.0'"))
    for key, allowed in (("trigger", TRIGGERS), ("status", STATUSES)):
        if report.get(key) not in allowed:
            errors.append(_err(key, "unknown_code", f"{key} must be one of {', '.join(allowed)}, "
                                                    f"not {report.get(key)!r}"))
    times = {k: parse_timestamp(report.get(k)) for k in ("started_at", "finished_at")}
    for key, value in times.items():
        if value is None:
            errors.append(_err(key, "bad_format", f"{key} must be an RFC 3339 timestamp with "
                                                  f"offset, not {report.get(key)!r}"))
    start, end = times["started_at"], times["finished_at"]
    if start is not None and end is not None and end < start:
        errors.append(_err("finished_at", "date_order", "finished_at is before started_at"))
    errors += _check_counts(report.get("counts"))
    errors += _check_errors(report.get("errors", []))
    truncated = report.get("errors_truncated", 0)
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        errors.append(_err("errors_truncated", "bad_type",
                           "errors_truncated must be an integer >= 0"))
    return errors


def _check_counts(counts: Any) -> list[dict[str, str]]:
    if not isinstance(counts, dict):
        return [_err("counts", "required", f"counts must be an object with {', '.join(COUNTS)}")]
    errors = [_err(f"counts.{k}", "unknown_field", f"{k!r} is not a count")
              for k in counts if k not in COUNTS]
    for key in COUNTS:
        value = counts.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(_err(f"counts.{key}", "required" if value is None else "bad_type",
                               f"counts.{key} must be an integer >= 0, not {value!r}"))
    return errors


def _check_errors(items: Any) -> list[dict[str, str]]:
    if not isinstance(items, list):
        return [_err("errors", "bad_type", "errors must be an array")]
    if len(items) > MAX_ERRORS:
        return [_err("errors", "too_long", f"at most {MAX_ERRORS} errors per report "
                                           f"(put the rest in errors_truncated), not {len(items)}")]
    errors = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(_err(f"errors[{i}]", "bad_type", "each error must be an object"))
            continue
        errors += [_err(f"errors[{i}].{k}", "bad_type", f"errors[{i}].{k} must be a string")
                   for k in ERROR_KEYS if k in item and not isinstance(item[k], str)]
        errors += [_err(f"errors[{i}].{k}", "unknown_field", f"{k!r} is not an error field")
                   for k in item if k not in ERROR_KEYS]
    return errors


@bp.post("/v1/provinces/<province>/sync-reports")
def post_report(province: str) -> tuple[Response, int]:
    st = current()
    check_province(require_principal(), province, write=True)
    report = json_body()
    errors = check_report(report)
    if errors:
        return jsonify({"errors": errors}), 422
    report_id, _ = st.store.add_report(province, report, st.now())
    # a repeated run_id is answered as the first one was: the report exists once either way
    return jsonify({"report_id": report_id}), 201


@bp.get("/v1/sync-reports")
def list_reports() -> Response:
    st = current()
    principal = require_principal()
    if not principal.is_staff:
        raise ApiError(403, "forbidden",
                       f"{principal.name} is a province credential; listing reports is for "
                       "national staff")
    province = request.args.get("province") or None
    if province is not None and province not in current_provinces():
        raise ApiError(404, "unknown_province",
                       f"province code {province!r} is not one of the 34 current provinces")
    raw_since = request.args.get("since") or None
    since = parse_timestamp(raw_since) if raw_since else None
    if raw_since and since is None:
        raise ApiError(400, "bad_request",
                       f"since must be an RFC 3339 timestamp with offset, not {raw_since!r}")
    return jsonify({"items": st.store.reports(province, since)})
