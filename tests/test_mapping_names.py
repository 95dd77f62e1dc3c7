"""Names with titles in front become a person object; full_name never carries a title."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.names import parse_person, people, to_person


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("PGS.TS. Nguyễn Văn A", {"full_name": "Nguyễn Văn A", "academic_title": "PGS",
                                          "degree": "TS"}, id="pgs.ts."),
    pytest.param("PGS. TS Nguyễn Văn A", {"full_name": "Nguyễn Văn A", "academic_title": "PGS",
                                          "degree": "TS"}, id="pgs.-ts"),
    pytest.param("GS.TSKH. Trần B", {"full_name": "Trần B", "academic_title": "GS",
                                     "degree": "TSKH"}, id="gs.tskh."),
    pytest.param("TS.BS. Lê C", {"full_name": "Lê C", "degree": "TS"}, id="highest-degree-wins"),
    pytest.param("BS.CKII Phạm D", {"full_name": "Phạm D", "degree": "BSCKII"}, id="bs.ckii"),
    pytest.param("BS CK I Phạm D", {"full_name": "Phạm D", "degree": "BSCKI"}, id="bs-ck-i"),
    pytest.param("DS.CKI Ngô H", {"full_name": "Ngô H", "degree": "DS"},
                 id="pharmacist-specialist"),
    pytest.param("ThS. Hoàng E", {"full_name": "Hoàng E", "degree": "ThS"}, id="ths."),
    pytest.param("Th.S Hoàng E", {"full_name": "Hoàng E", "degree": "ThS"}, id="th.s"),
    pytest.param("KS. Vũ F", {"full_name": "Vũ F", "degree": "KS"}, id="ks."),
    pytest.param("KTS Vũ F", {"full_name": "Vũ F", "degree": "KTS"}, id="kts"),
    pytest.param("CN. Đỗ G", {"full_name": "Đỗ G", "degree": "CN"}, id="cn."),
    pytest.param("NCS. ThS. Trương Quang", {"full_name": "Trương Quang", "degree": "ThS"},
                 id="ncs-ignored"),
    pytest.param("ts.Nguyễn Hoàng", {"full_name": "Nguyễn Hoàng", "degree": "TS"},
                 id="lower-case-no-space"),
    pytest.param("Ông Trần Văn Ba", {"full_name": "Trần Văn Ba", "gender": "male"}, id="ong"),
    pytest.param("Bà Ngô Thị Bá", {"full_name": "Ngô Thị Bá", "gender": "female"}, id="ba"),
    pytest.param("Bá Văn Cường", {"full_name": "Bá Văn Cường"}, id="ba-as-a-name-is-kept"),
    pytest.param("Nguyễn Văn A", {"full_name": "Nguyễn Văn A"}, id="plain"),
    pytest.param("2. TS. Lê Minh", {"full_name": "Lê Minh", "degree": "TS"}, id="numbered"),
    pytest.param("Nguyễn V. Anh", {"full_name": "Nguyễn V. Anh"}, id="initial"),
])
def test_names_parse(text: str, expected: dict[str, str]) -> None:
    assert parse_person(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    pytest.param("PGS.TS.", "no name", id="titles-only"),
    pytest.param("Nguyễn Văn A (chủ nhiệm)", "characters other than letters", id="brackets"),
    pytest.param("Nguyễn Văn A, Trần Thị B", "characters other than letters", id="comma-list"),
    pytest.param("Nguyễn Văn 2", "digits", id="digit"),
    pytest.param("A" * 101, "longer than 100", id="too-long"),
])
def test_names_refused(text: str, says: str) -> None:
    with pytest.raises(Refused) as err:
        parse_person(text)
    assert err.value.code == "bad_name"
    assert says in err.value.reason_en
    assert err.value.value == text


@pytest.mark.parametrize(("text", "split", "expected"), [
    pytest.param("TS. A B\nThS. C D", None, ["TS. A B", "ThS. C D"], id="lines"),
    pytest.param("TS. A B; ThS. C D;", ";", ["TS. A B", "ThS. C D"], id="split"),
    pytest.param("1. A B\n2. C D\n-\n", None, ["1. A B", "2. C D"], id="numbered-and-blank"),
])
def test_people_in_one_cell(text: str, split: str | None, expected: list[str]) -> None:
    assert people(text, split) == expected


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("  PGS.TS.  Nguyễn   Văn A ", {"full_name": "Nguyễn Văn A",
                                                "academic_title": "PGS", "degree": "TS"},
                 id="spaces"),
    pytest.param("", None, id="empty"),
    pytest.param(None, None, id="none"),
])
def test_one_person_cell(value: Any, expected: dict[str, str] | None) -> None:
    assert to_person(value, Options()) == expected


def test_one_person_cell_refuses_two_people() -> None:
    with pytest.raises(Refused) as err:
        to_person("Viện Lúa\nKS. Nguyễn Văn A", Options())
    assert err.value.code == "bad_name"
    assert "2 lines" in err.value.reason_en
