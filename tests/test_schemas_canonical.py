"""canonical_json and content_hash: RFC 8785 bytes, and a hash that only content changes."""

from __future__ import annotations

import hashlib
import json
from types import MappingProxyType
from typing import Any

import pytest

from schemas.canonical import canonical_json, content_hash
from tests.records import valid_record

# RFC 8785 §3.2.2: the input as JSON text, and the canonical bytes the RFC prints for it.
RFC_INPUT = r'''{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}'''
RFC_OUTPUT = (b'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,'
              b'1e-27],"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')

# RFC 8785 §3.2.3: keys sorted by their UTF-16 code units, so the emoji (a surrogate pair,
# D83D) sorts before U+FB33 although its code point is higher.
RFC_SORT_INPUT = '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}'  # noqa: E501
RFC_SORT_VALUES = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                   "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]


def test_canonical_json_reproduces_the_rfc_8785_example() -> None:
    assert canonical_json(json.loads(RFC_INPUT)) == RFC_OUTPUT


def test_content_hash_is_the_sha256_of_the_rfc_8785_bytes() -> None:
    assert content_hash(json.loads(RFC_INPUT)) == hashlib.sha256(RFC_OUTPUT).hexdigest()


def test_keys_sort_by_utf16_code_units_as_rfc_8785_orders_them() -> None:
    canonical = json.loads(canonical_json(json.loads(RFC_SORT_INPUT)))
    assert list(canonical.values()) == RFC_SORT_VALUES


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


@pytest.mark.parametrize("transform", [
    pytest.param(_reordered, id="keys-in-reverse-order"),
    pytest.param(lambda r: json.loads(json.dumps(r, ensure_ascii=True)), id="unicode-escaped"),
    pytest.param(lambda r: json.loads(json.dumps(r, indent=4)), id="pretty-printed"),
    pytest.param(MappingProxyType, id="read-only-mapping"),
    pytest.param(lambda r: {**r, "keywords": tuple(r["keywords"])}, id="tuple-for-array"),
])
def test_the_hash_depends_on_content_not_on_how_the_json_was_written(transform: Any) -> None:
    record = valid_record()
    assert content_hash(transform(valid_record())) == content_hash(record)


def test_the_canonical_form_keeps_vietnamese_as_utf8_not_escapes() -> None:
    data = canonical_json(valid_record())
    assert "Nghiên cứu".encode() in data and b"\\u" not in data and b" :" not in data


@pytest.mark.parametrize("change", [
    {"title": "Nghiên cứu giống lúa chịu mặn"},
    {"budget": {"total_vnd": 1_250_000_001}},
    {"keywords": ["công nghệ sinh học", "lúa chịu mặn", "chọn giống"]},
], ids=["title", "amount", "keyword-order"])
def test_any_change_of_content_changes_the_hash(change: dict[str, Any]) -> None:
    assert content_hash(valid_record(**change)) != content_hash(valid_record())


def test_the_hash_is_lowercase_hex_sha256() -> None:
    digest = content_hash(valid_record())
    assert len(digest) == 64 and digest == digest.lower() and int(digest, 16) >= 0


@pytest.mark.parametrize(("record", "message"), [
    ({"local_id": "a:1", "budget": {"total_vnd": 2**53}}, "'a:1'"),
    ({"local_id": "a:2", "x": float("nan")}, "'a:2'"),
    ({"local_id": "a:3", "title": "\ud800"}, "'a:3'"),
    ({"local_id": "a:4", 1: "non-string key"}, "'a:4'"),
    ({"local_id": "a:5", "x": {1, 2}}, "'a:5'"),
], ids=["integer-beyond-2-53", "nan", "lone-surrogate", "non-string-key", "a-set"])
def test_what_json_cannot_carry_exactly_raises_value_error_naming_the_record(
        record: dict[Any, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        content_hash(record)
