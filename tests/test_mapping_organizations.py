"""Organisation names meet however they are written; different organisations stay apart."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping.transforms.organizations import org_key, same_organization


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Trường ĐH Cần Thơ", "Trường Đại học Cần Thơ", id="dh"),
        pytest.param("TRƯỜNG ĐẠI HỌC CẦN THƠ", "trường đại học cần thơ", id="case"),
        pytest.param("Truong Dai hoc Can Tho", "Trường Đại học Cần Thơ", id="no-tone-marks"),
        pytest.param("Trươ\u0300ng Đại học Cần Thơ", "Trường Đại học Cần Thơ", id="nfd"),
        pytest.param("Sở KH&CN tỉnh Gia Lai", "Sở Khoa học và Công nghệ tỉnh Gia Lai", id="kh&cn"),
        pytest.param("Sở KHCN Gia Lai", "Sở Khoa học và Công nghệ Gia Lai", id="khcn"),
        pytest.param("Sở KH và CN Gia Lai", "Sở KH&CN Gia Lai", id="kh-va-cn"),
        pytest.param("Sở NN&PTNT", "Sở Nông nghiệp và Phát triển nông thôn", id="nn&ptnt"),
        pytest.param("Sở NN-PTNT", "Sở NN&PTNT", id="nn-ptnt"),
        pytest.param("Sở TN&MT", "Sở Tài nguyên và Môi trường", id="tn&mt"),
        pytest.param("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư", id="kh&dt-is-not-kh&cn"),
        pytest.param("UBND TP.HCM", "Ủy ban nhân dân Thành phố Hồ Chí Minh", id="ubnd-tp.hcm"),
        pytest.param("Uỷ ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh", id="old-tone-placement"),
        pytest.param(
            "TT Ứng dụng tiến bộ KH&CN", "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ", id="tt"
        ),
        pytest.param("Viện NC Rau quả", "Viện Nghiên cứu Rau quả", id="nc"),
        pytest.param("Viện Lúa ĐBSCL", "Viện Lúa Đồng bằng sông Cửu Long", id="dbscl"),
        pytest.param("Cty CP Giống cây trồng", "Công ty Cổ phần Giống cây trồng", id="cty-cp"),
        pytest.param("CTCP Giống cây trồng", "Công ty cổ phần giống cây trồng", id="ctcp"),
        pytest.param(
            "Cty TNHH MTV Cà phê",
            "Công ty trách nhiệm hữu hạn một thành viên Cà phê",
            id="tnhh-mtv",
        ),
        pytest.param("BVĐK tỉnh Gia Lai", "Bệnh viện Đa khoa tỉnh Gia Lai", id="bvdk"),
        pytest.param("Trường ĐH Kĩ thuật", "Trường Đại học Kỹ thuật", id="ki-ky"),
        pytest.param("Học viện Nông nghiệp VN", "HV Nông nghiệp Việt Nam", id="hv-vn"),
        pytest.param("  Viện   Lúa  ", "Viện Lúa", id="spaces"),
        pytest.param("ＶＩỆＮ Lúa", "Viện Lúa", id="full-width"),
    ],
)
def test_names_of_one_organization_meet(a: str, b: str) -> None:
    assert org_key(a) == org_key(b)
    assert same_organization(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Trường Đại học Cần Thơ", "Trường Cao đẳng Cần Thơ", id="dh-cd"),
        pytest.param("Sở KH&CN", "Sở KH&ĐT", id="kh&cn-kh&dt"),
        pytest.param("Viện Lúa", "Viện Lúa ĐBSCL", id="longer-name"),
        pytest.param("Khu CN Tân Bình", "Khu Công nghệ Tân Bình", id="ambiguous-cn-not-expanded"),
        pytest.param("Trường THPT Chu Văn An", "Trường THCS Chu Văn An", id="thpt-thcs"),
        pytest.param("", "", id="empty-is-nothing"),
    ],
)
def test_different_organizations_stay_apart(a: str, b: str) -> None:
    assert not same_organization(a, b)


def test_the_key_of_a_name_is_readable() -> None:
    assert org_key("Trường ĐH Cần Thơ") == "truong dai hoc can tho"
    assert org_key("Sở KH&CN tỉnh Gia Lai") == "so khoa hoc cong nghe tinh gia lai"


def test_no_expansion_holds_an_abbreviation() -> None:
    data = json.loads(
        files("schemas").joinpath("data", "org-abbreviations.json").read_text(encoding="utf-8")
    )
    for short, long in data["abbreviations"].items():
        # an expansion read again stays itself, so a key is a key of itself
        assert org_key(long) == org_key(org_key(long)), short
        assert org_key(short) == org_key(long), short


@given(st.text(max_size=60))
def test_org_key_is_total_and_idempotent(name: str) -> None:
    key = org_key(name)
    assert key == org_key(name)
    assert org_key(key) == key
    assert key == key.strip() and "  " not in key
