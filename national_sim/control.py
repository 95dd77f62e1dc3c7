"""The simulator's control routes under `/_sim/`: faults, statistics, reset; loopback only."""

from __future__ import annotations

import ipaddress
import logging

from flask import Blueprint, Response, jsonify

from national_sim.context import ApiError, current, json_body
from national_sim.faults import FaultConfigError

logger = logging.getLogger(__name__)

PREFIX = "/_sim"

bp = Blueprint("control", __name__, url_prefix=PREFIX)


def is_loopback(remote_addr: str | None) -> bool:
    """Whether a request came from this machine (127.0.0.0/8, ::1, or ::ffff:127.x.x.x)."""
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def guard(remote_addr: str | None) -> None:
    """403 unless the caller is on this machine: the controls break the API for everyone."""
    if not is_loopback(remote_addr):
        raise ApiError(403, "forbidden",
                       f"{PREFIX}/ is only served to loopback clients, not {remote_addr!r}")


@bp.get("/faults")
def get_faults() -> Response:
    return jsonify(current().faults.current.to_dict())


@bp.put("/faults")
def put_faults() -> Response:
    changes = json_body()
    if not isinstance(changes, dict):
        raise ApiError(400, "bad_request",
                       'PUT /_sim/faults takes a JSON object such as {"failure_rate": 0.5}')
    try:
        faults = current().faults.update(changes)
    except FaultConfigError as exc:
        raise ApiError(400, "bad_fault", str(exc)) from exc
    logger.info("faults now %s", faults)
    return jsonify(faults.to_dict())


@bp.get("/stats")
def get_stats() -> Response:
    st = current()
    return jsonify(st.stats.snapshot() | {"writes": st.store.write_counts()})


@bp.post("/reset")
def reset() -> tuple[str, int]:
    current().reset()
    logger.info("simulator reset: data, statistics and faults are back to their start")
    return "", 204
