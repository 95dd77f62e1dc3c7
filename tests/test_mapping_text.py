"""Text cells: what a province typed comes out trimmed, single-spaced and NFC; junk is refused."""

from __future__ import annotations

import math
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.text import clean, is_empty, normalize

NFD_NGHIEN_CUU = unicodedata.normalize("NFD", "Nghiên cứu")


@pytest.mark.parametrize(("value", "keep_newlines", "expected"), [
    pytest.param("  Nghiên cứu   giống\u00a0lúa ", False, "Nghiên cứu giống lúa", id="spaces-nbsp"),
    pytest.param(NFD_NGHIEN_CUU, False, "Nghiên cứu", id="nfd-to-nfc"),
    pytest.param("hoà bình", False, "hoà bình", id="old-tone-placement-kept"),
    pytest.param("a\tb", False, "a b", id="tab"),
    pytest.param("Mục tiêu\r\n\r\n\r\nNội dung", True, "Mục tiêu\n\nNội dung", id="long-crlf"),
    pytest.param("Mục tiêu\r\n\r\nNội dung", False, "Mục tiêu Nội dung", id="short-crlf"),
    pytest.param("dòng 1  \n   dòng  2", True, "dòng 1\ndòng 2", id="long-line-spaces"),
    pytest.param("\n\nđầu\n\n", True, "đầu", id="long-outer-newlines"),
    pytest.param("\ufeffBOM", False, "BOM", id="bom"),
    pytest.param("zero\u200bwidth", False, "zerowidth", id="zero-width-space"),
    pytest.param("ctrl\x07char", False, "ctrlchar", id="control-char"),
    pytest.param("broken\ud800", False, "broken\ufffd", id="lone-surrogate"),
    pytest.param(10101, False, "10101", id="int"),
    pytest.param(10101.0, False, "10101", id="integral-float"),
    pytest.param(1.5, False, "1.5", id="float"),
    pytest.param(Decimal("12.50"), False, "12.5", id="decimal"),
    pytest.param(date(2023, 4, 5), False, "2023-04-05", id="date"),
])
def test_clean_normalises(value: Any, keep_newlines: bool, expected: str) -> None:
    assert clean(value, keep_newlines=keep_newlines) == expected


@pytest.mark.parametrize("value", [
    pytest.param(None, id="none"),
    pytest.param("", id="empty"),
    pytest.param(" \u00a0\t", id="blank"),
    pytest.param("-", id="dash"),
    pytest.param("—", id="em-dash"),
    pytest.param("N/A", id="n-a"),
    pytest.param("#N/A", id="excel-na"),
    pytest.param(math.nan, id="nan"),
    pytest.param("\x00\x01", id="only-controls"),
])
def test_empty_cells_are_nothing(value: Any) -> None:
    assert clean(value) is None
    assert is_empty(value)


@pytest.mark.parametrize(("value", "says"), [
    pytest.param(True, "true/false", id="bool"),
    pytest.param({"id": 1, "name": "Cấp tỉnh"}, "id, name", id="object-names-its-keys"),
    pytest.param([1, 2], "a list", id="list"),
    pytest.param(math.inf, "infinite", id="inf"),
    pytest.param(b"bytes", "bytes", id="bytes"),
])
def test_clean_refuses_what_is_not_text(value: Any, says: str) -> None:
    with pytest.raises(Refused) as err:
        clean(value)
    assert err.value.code == "bad_type"
    assert says in err.value.reason_en


@given(st.text(), st.booleans())
def test_normalize_is_idempotent_and_clean(text: str, keep: bool) -> None:
    once = normalize(text, keep_newlines=keep)
    assert normalize(once, keep_newlines=keep) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip()
    assert "\r" not in once
    if not keep:
        assert "\n" not in once and "  " not in once
