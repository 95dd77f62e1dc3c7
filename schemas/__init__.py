"""The national record v1: its schema, code lists, validation, canonical hash and contracts."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from schemas.canonical import canonical_json, content_hash
from schemas.problems import Problem
from schemas.record import SCHEMA_VERSION
from schemas.validate import validate

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["CONTRACTS", "SCHEMA_VERSION", "Problem", "canonical_json", "content_hash",
           "contract", "contracts_path", "validate"]

# The machine-readable contracts shipped as package data.
CONTRACTS = ("record-v1.schema.json", "national-api-v1.openapi.json")


def contracts_path(name: str) -> Traversable:
    """The packaged contract file `name` (a path on disk for an ordinary install)."""
    if name not in CONTRACTS:
        raise LookupError(f"unknown contract {name!r}; known contracts: {', '.join(CONTRACTS)}")
    return files("schemas") / "contracts" / name


def contract(name: str) -> dict[str, Any]:
    """The contract `name`, parsed."""
    result: dict[str, Any] = json.loads(contracts_path(name).read_text(encoding="utf-8"))
    return result
