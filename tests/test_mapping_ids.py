"""local_id: namespaced, valid for the national API, stable, and never two records on one id."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping.transforms.ids import local_id
from schemas.mapping.transforms.text import normalize
from schemas.record import LOCAL_ID_PATTERN


@pytest.mark.parametrize(("record_id", "expected"), [
    pytest.param("1234", "qlkh:1234", id="plain"),
    pytest.param(" 1234 ", "qlkh:1234", id="trimmed"),
    pytest.param("ĐT-2023/05", "qlkh:DT-2023/05--xr64bowwsyd7ymxus", id="accents-folded"),
    pytest.param("Đề tài 1", "qlkh:De_tai_1--xyir7utmo72oxjnlp", id="spaces"),
    pytest.param(unicodedata.normalize("NFD", "Đề tài 1"), "qlkh:De_tai_1--xyir7utmo72oxjnlp",
                 id="nfd-is-the-same-record"),
    pytest.param("Đề-tài 1", "qlkh:De-tai_1--xrq2wqogd57bpeppz", id="same-ascii-other-digest"),
])
def test_local_ids(record_id: str, expected: str) -> None:
    assert local_id("qlkh", record_id) == expected


def test_long_ids_are_cut_to_fit() -> None:
    made = local_id("qlkh", "x" * 300)
    assert len(made) == 128
    assert made.startswith("qlkh:xxx")
    assert local_id("qlkh", "x" * 300 + "y") != made


ids = st.text(min_size=1, max_size=200).filter(lambda t: normalize(t) != "")


@given(ids)
def test_every_id_becomes_a_valid_local_id(record_id: str) -> None:
    made = local_id("binhdinh-qlkh", record_id)
    assert re.fullmatch(LOCAL_ID_PATTERN, made)
    assert 1 <= len(made) <= 128
    assert made.startswith("binhdinh-qlkh:")
    assert local_id("binhdinh-qlkh", record_id) == made


@given(ids, ids)
def test_different_ids_never_share_a_local_id(a: str, b: str) -> None:
    if normalize(a) != normalize(b):
        assert local_id("qlkh", a) != local_id("qlkh", b)
