"""The canonical form of a record (RFC 8785 JSON) and the content hash computed from it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785


def _plain(value: Any) -> Any:
    # rfc8785 serialises only dict objects; read-only mappings (MappingProxyType) are common here.
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """`record` as RFC 8785 canonical JSON (UTF-8): sorted keys, no spaces, ES6 numbers.

    Raises ValueError naming the record when it holds something JSON cannot carry
    exactly (a float NaN, an integer beyond 2^53, a lone surrogate, a non-string key).
    """
    try:
        return rfc8785.dumps(_plain(record))
    except (rfc8785.CanonicalizationError, RecursionError) as exc:
        local_id = record.get("local_id") if isinstance(record, Mapping) else None
        raise ValueError(f"record {local_id!r} cannot be canonicalised (RFC 8785): {exc}") from exc


def content_hash(record: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of the record's canonical JSON, as the national side computes it."""
    return hashlib.sha256(canonical_json(record)).hexdigest()
