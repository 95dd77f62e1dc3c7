"""validate() never raises: arbitrary JSON values, and valid records with parts replaced."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.canonical import content_hash
from schemas.problems import Problem
from schemas.record import FIELDS
from schemas.validate import validate
from tests.records import valid_record

CODES = {"required", "too_long", "bad_format", "unknown_code", "date_order", "sum_mismatch",
         "conditional_required", "empty", "unknown_field", "not_nfc", "bad_type"}

# derandomize: the same examples on every run, so a failure is never a fluke of the seed.
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=30) | st.sampled_from(["", " ", "1", "2023-02-30", "ongoing",
                                                       "\u0301", "\ud800", "a" * 130]))
# Lone surrogates too: json.loads accepts "\\ud800", so a record can hold one.
KEY_TEXT = st.text(max_size=8) | st.sampled_from(["", "a.b", "\ud800", "title "])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY_TEXT, inner,
                                                                 max_size=4),
    max_leaves=20,
)
KEYS = sorted({f.path.split(".")[0].removesuffix("[]") for f in FIELDS})
RECORD_LIKE = st.dictionaries(st.sampled_from(KEYS) | KEY_TEXT, JSON, max_size=12)


def _check(problems: Any) -> None:
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem)
        assert p.code in CODES, p
        assert p.path and p.message_vi and p.message_en, p
        # Messages must survive being logged or sent as UTF-8 whatever the input held.
        p.message_vi.encode("utf-8")
        p.message_en.encode("utf-8")


@SETTINGS
@given(JSON)
def test_any_json_value_gives_problems_never_an_exception(value: Any) -> None:
    _check(validate(value))


@SETTINGS
@given(RECORD_LIKE)
def test_any_object_with_record_keys_gives_problems_never_an_exception(value: Any) -> None:
    _check(validate(value))


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every JSON path inside `value`, e.g. budget.total_vnd and participants.1.role."""
    found = []
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else [])
    for key, sub in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        found += [path, *_paths(sub, path)]
    return found


PATHS = _paths(valid_record())


def _replace(record: dict[str, Any], path: str, new: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = new
    return record


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=3))
def test_a_valid_record_with_parts_replaced_gives_problems_or_hashes(
        replacements: list[tuple[str, Any]]) -> None:
    record = valid_record()
    for path, new in replacements:
        try:
            record = _replace(record, path, new)
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # an earlier replacement removed the parent of this path
    problems = validate(record)
    _check(problems)
    if not problems:
        # A record that passes validation can always be hashed.
        assert re.fullmatch("[0-9a-f]{64}", content_hash(record))
