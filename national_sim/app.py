"""The simulator's Flask app: the factory, the token and health routes, faults and logging."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request
from waitress.channel import ClientDisconnected
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from national_sim import control, reports, tasks
from national_sim.auth import AuthError
from national_sim.context import EXTENSION, ApiError, SimConfig, SimState, bearer_token, current
from national_sim.faults import Refusal

logger = logging.getLogger(__name__)

# api.md's "10 MB" read strictly (decimal), so a client that reads it loosely finds out here
MAX_BODY_BYTES = 10_000_000


def create_app(config: SimConfig) -> Flask:
    """A simulator of national API v1 over the data in `config.data_dir`."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.url_map.merge_slashes = False
    app.url_map.converters["local_id"] = tasks.LocalIdConverter
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.mimetype = "application/json; charset=utf-8"  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = SimState.build(config)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    app.add_url_rule("/oauth/token", "token", _token, methods=["POST"])
    app.add_url_rule("/v1/health", "health", _health, methods=["GET"])
    for bp in (tasks.bp, reports.bp, control.bp):
        app.register_blueprint(bp)
    if config.base_path.strip("/"):
        base = "/" + config.base_path.strip("/")
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {base: app.wsgi_app})  # type: ignore[method-assign]
    app.wsgi_app = _NetworkFaults(app.wsgi_app, sim_state(app))  # type: ignore[method-assign]
    return app


def sim_state(app: Flask) -> SimState:
    """The store, faults and statistics behind `app`, for tests and the demo in-process."""
    state: SimState = app.extensions[EXTENSION]
    return state


def _is_control() -> bool:
    return request.path == control.PREFIX or request.path.startswith(control.PREFIX + "/")


def _caller() -> str:
    """Who is asking, for the statistics: the client behind the token, else the address."""
    name = current().auth.identify(bearer_token())
    if name is None and request.path == "/oauth/token":
        name = request.form.get("client_id") or None
    return name or f"anonymous@{request.remote_addr}"


def _before() -> Response | None:
    st = current()
    if _is_control():
        control.guard(request.remote_addr)
        return None
    g.caller = _caller()
    st.stats.arrived(g.caller, request.method, request.path, st.config.clock())
    latency = st.faults.current.latency
    if latency > 0:
        st.config.sleep(latency)
        st.stats.delayed(latency)
    refusal = st.faults.refusal()
    if refusal is None:
        return None
    headers: dict[str, str] = {}
    if refusal.retry_after is not None:
        g.retry_after = refusal.retry_after
        headers["Retry-After"] = _retry_after(st, refusal)
    code = "rate_limited" if refusal.status == 429 else "unavailable"
    why = "simulated failure_rate" if refusal.retry_after is not None else "simulated outage"
    raise ApiError(refusal.status, code, f"{request.method} {request.path}: {why}", headers)


def _retry_after(st: SimState, refusal: Refusal) -> str:
    if not refusal.http_date:
        return str(refusal.retry_after)
    # an HTTP-date has whole seconds: one more keeps a client that waits until then honest
    when = st.now().replace(microsecond=0) + timedelta(seconds=(refusal.retry_after or 0) + 1)
    return format_datetime(when, usegmt=True)


def _after(response: Response) -> Response:
    logger.info("%s %s -> %s", request.method, request.path, response.status_code)
    if _is_control():
        return response
    st = current()
    rule = request.url_rule.rule if request.url_rule else "(no route)"
    st.stats.answered(g.get("caller", "anonymous"), request.method, request.path,
                      route=f"{request.method} {rule}", status=response.status_code,
                      retry_after=g.get("retry_after"), now=st.config.clock())
    return response


def _error_response(status: int, code: str, message: str,
                    headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _api_error(exc: ApiError) -> Response:
    return _error_response(exc.status, exc.code, exc.message, exc.headers)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = re.sub(r"\W+", "_", (exc.name or "error").lower()).strip("_")
    message = f"{request.method} {request.path}: {exc.description}"
    if status == 413:
        code = "too_large"
        message = f"{request.method} {request.path}: the body is over {MAX_BODY_BYTES} bytes"
    return _error_response(status, code, message)


def _crash(exc: Exception) -> Response:
    logger.exception("simulator failed on %s %s", request.method, request.path)
    return _error_response(500, "internal", f"{request.method} {request.path}: {exc!r}")


def _token() -> Response:
    form = request.form
    grant = form.get("grant_type")
    if not grant:
        raise ApiError(400, "invalid_request", "grant_type is missing")
    if grant != "client_credentials":
        raise ApiError(400, "unsupported_grant_type",
                       f"grant_type {grant!r} is not supported; use client_credentials")
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        client_id, secret = basic.username or "", basic.password or ""
    st = current()
    try:
        token = st.auth.issue(client_id, secret)
    except AuthError as exc:
        raise ApiError(401, exc.code, exc.message) from exc
    response = jsonify({"access_token": token, "token_type": "Bearer",
                        "expires_in": st.auth.ttl})
    response.headers["Cache-Control"] = "no-store"
    return response


def _health() -> Response:
    return jsonify({"status": "ok"})


# A write to the tasks: PUT or DELETE of one task, POST of a batch (under any base path).
_WRITE = re.compile(r"/v1/provinces/[^/]+/tasks(?:/[^/]+|:batch)$")
_PARTIAL_MISSING = 64  # bytes promised by Content-Length and never sent

StartResponse = Callable[..., Any]


class _NetworkFaults:
    """The network faults (national_sim.faults NETWORK_FAULTS) of a write that was stored:
    its answer closed without a word, cut short, or late. They live below Flask, because
    Flask's error handlers would turn them into answers, and they need the server's help:
    waitress closes the connection without answering on `ClientDisconnected`, and after an
    answer shorter than its Content-Length."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 state: SimState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("PUT", "POST", "DELETE") or not _WRITE.search(
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        ):
            return self.app(environ, start_response)
        answer: list[Any] = []
        written: list[bytes] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return written.append

        chunks = self.app(environ, keep)
        try:
            body = b"".join([*written, *chunks])
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = answer
        fault = self.state.faults.take_network() if status.startswith("2") else None
        if fault is None:
            start_response(status, headers)
            return [body]
        self.state.stats.network_fault(fault)
        where = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        if fault == "reset":
            logger.info("%s: stored, and the connection closed without an answer", where)
            raise ClientDisconnected(f"simulated reset after storing {where}")
        if fault == "partial_body":
            logger.info("%s: stored, and the answer cut short", where)
            promised = str(len(body) + _PARTIAL_MISSING)
            start_response(status, [*((k, v) for k, v in headers
                                      if k.lower() != "content-length"),
                                    ("Content-Length", promised)])
            return [body[: len(body) // 2]]
        seconds = self.state.faults.current.slow_seconds
        logger.info("%s: stored, and answered %.1f s late", where, seconds)
        self.state.config.sleep(seconds)
        start_response(status, headers)
        return [body]
