"""Names with titles in front become a person object; full_name never carries a title."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.mapping import MappingConfigError, map_record, parse_mapping
from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.names import parse_person, people, to_person, unit_and_person


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "PGS.TS. Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="pgs.ts.",
        ),
        pytest.param(
            "PGS. TS Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="pgs.-ts",
        ),
        pytest.param(
            "GS.TSKH. Trần B",
            {"full_name": "Trần B", "academic_title": "GS", "degree": "TSKH"},
            id="gs.tskh.",
        ),
        pytest.param(
            "TS.BS. Lê C", {"full_name": "Lê C", "degree": "TS"}, id="highest-degree-wins"
        ),
        pytest.param("BS.CKII Phạm D", {"full_name": "Phạm D", "degree": "BSCKII"}, id="bs.ckii"),
        pytest.param("BS CK I Phạm D", {"full_name": "Phạm D", "degree": "BSCKI"}, id="bs-ck-i"),
        pytest.param(
            "DS.CKI Ngô H", {"full_name": "Ngô H", "degree": "DS"}, id="pharmacist-specialist"
        ),
        pytest.param("ThS. Hoàng E", {"full_name": "Hoàng E", "degree": "ThS"}, id="ths."),
        pytest.param("Th.S Hoàng E", {"full_name": "Hoàng E", "degree": "ThS"}, id="th.s"),
        pytest.param("KS. Vũ F", {"full_name": "Vũ F", "degree": "KS"}, id="ks."),
        pytest.param("KTS Vũ F", {"full_name": "Vũ F", "degree": "KTS"}, id="kts"),
        pytest.param("CN. Đỗ G", {"full_name": "Đỗ G", "degree": "CN"}, id="cn."),
        pytest.param(
            "NCS. ThS. Trương Quang",
            {"full_name": "Trương Quang", "degree": "ThS"},
            id="ncs-ignored",
        ),
        pytest.param(
            "ts.Nguyễn Hoàng",
            {"full_name": "Nguyễn Hoàng", "degree": "TS"},
            id="lower-case-no-space",
        ),
        pytest.param("Ông Trần Văn Ba", {"full_name": "Trần Văn Ba", "gender": "male"}, id="ong"),
        pytest.param("Bà Ngô Thị Bá", {"full_name": "Ngô Thị Bá", "gender": "female"}, id="ba"),
        pytest.param("Bá Văn Cường", {"full_name": "Bá Văn Cường"}, id="ba-as-a-name-is-kept"),
        pytest.param("Nguyễn Văn A", {"full_name": "Nguyễn Văn A"}, id="plain"),
        pytest.param("2. TS. Lê Minh", {"full_name": "Lê Minh", "degree": "TS"}, id="numbered"),
        pytest.param("Nguyễn V. Anh", {"full_name": "Nguyễn V. Anh"}, id="initial"),
        pytest.param(
            "PGS.TS Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="pgs.ts-no-last-dot",
        ),
        pytest.param(
            "PGS.TS.Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="no-space-before-name",
        ),
        pytest.param(
            "PGS-TS Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="pgs-ts",
        ),
        pytest.param(
            "P.GS.TS Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="p.gs",
        ),
        pytest.param(
            "GS.TSKH Trần B",
            {"full_name": "Trần B", "academic_title": "GS", "degree": "TSKH"},
            id="gs.tskh",
        ),
        pytest.param(
            "GS. TS. KH Trần B",
            {"full_name": "Trần B", "academic_title": "GS", "degree": "TSKH"},
            id="gs.-ts.-kh",
        ),
        pytest.param("TS.BS. Lê Thị C", {"full_name": "Lê Thị C", "degree": "TS"}, id="ts.bs."),
        pytest.param("BS.CKII Phạm D", {"full_name": "Phạm D", "degree": "BSCKII"}, id="bs.ckii-2"),
        pytest.param("BS.CK2 Phạm D", {"full_name": "Phạm D", "degree": "BSCKII"}, id="bs.ck2"),
        pytest.param("ThS.BS Võ E", {"full_name": "Võ E", "degree": "ThS"}, id="ths.bs"),
        pytest.param("Ths. Võ E", {"full_name": "Võ E", "degree": "ThS"}, id="ths-lower-h"),
        pytest.param("KS Vũ F", {"full_name": "Vũ F", "degree": "KS"}, id="ks-no-dot"),
        pytest.param("CN Đỗ G", {"full_name": "Đỗ G", "degree": "CN"}, id="cn-no-dot"),
        pytest.param(
            "Tiến sĩ Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "degree": "TS"},
            id="tien-si-spelt",
        ),
        pytest.param(
            "Phó Giáo sư, Tiến sĩ Nguyễn Văn A",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="pho-giao-su-spelt",
        ),
        pytest.param("Thạc sỹ Lê D", {"full_name": "Lê D", "degree": "ThS"}, id="thac-sy"),
        pytest.param("Kỹ sư Vũ F", {"full_name": "Vũ F", "degree": "KS"}, id="ky-su"),
        pytest.param(
            "Bác sĩ chuyên khoa II Phạm D",
            {"full_name": "Phạm D", "degree": "BSCKII"},
            id="bac-si-ckii-spelt",
        ),
        pytest.param("Cù Nhân Tài", {"full_name": "Cù Nhân Tài"}, id="cu-nhan-as-a-name-is-kept"),
        pytest.param("Phó Đức Minh", {"full_name": "Phó Đức Minh"}, id="pho-as-a-surname"),
        pytest.param(
            "GVC.ThS. Hồ An", {"full_name": "Hồ An", "degree": "ThS"}, id="lecturer-grade"
        ),
        pytest.param("NGƯT.TS. Hồ An", {"full_name": "Hồ An", "degree": "TS"}, id="honour-dropped"),
        pytest.param(
            "BSNT Lý Bình", {"full_name": "Lý Bình", "degree": "BS"}, id="resident-doctor"
        ),
    ],
)
def test_names_parse(text: str, expected: dict[str, str]) -> None:
    assert parse_person(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("PGS.TS.", "no name", id="titles-only"),
        pytest.param("Nguyễn Văn A (chủ nhiệm)", "characters other than letters", id="brackets"),
        pytest.param("Nguyễn Văn A, Trần Thị B", "characters other than letters", id="comma-list"),
        pytest.param("Nguyễn Văn 2", "digits", id="digit"),
        pytest.param("A" * 101, "longer than 100", id="too-long"),
        pytest.param("Tiến sĩ", "no name", id="spelt-title-only"),
        pytest.param("GVC. ThS.", "no name", id="grades-only"),
        pytest.param("TS. Nguyễn Văn A (chủ nhiệm)", "characters other than letters", id="role"),
        pytest.param(
            "KS. Nguyễn Văn A; TS. Lê B",
            "characters other than letters",
            id="two-people-without-split",
        ),
    ],
)
def test_names_refused(text: str, says: str) -> None:
    with pytest.raises(Refused) as err:
        parse_person(text)
    assert err.value.code == "bad_name"
    assert says in err.value.reason_en
    assert err.value.value == text


@pytest.mark.parametrize(
    ("text", "split", "expected"),
    [
        pytest.param("TS. A B\nThS. C D", None, ["TS. A B", "ThS. C D"], id="lines"),
        pytest.param("TS. A B; ThS. C D;", ";", ["TS. A B", "ThS. C D"], id="split"),
        pytest.param("1. A B\n2. C D\n-\n", None, ["1. A B", "2. C D"], id="numbered-and-blank"),
    ],
)
def test_people_in_one_cell(text: str, split: str | None, expected: list[str]) -> None:
    assert people(text, split) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "  PGS.TS.  Nguyễn   Văn A ",
            {"full_name": "Nguyễn Văn A", "academic_title": "PGS", "degree": "TS"},
            id="spaces",
        ),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_one_person_cell(value: Any, expected: dict[str, str] | None) -> None:
    assert to_person(value, Options()) == expected


def test_one_person_cell_refuses_two_people() -> None:
    with pytest.raises(Refused) as err:
        to_person("Viện Lúa\nKS. Nguyễn Văn A", Options())
    assert err.value.code == "bad_name"
    assert "2 lines" in err.value.reason_en


@pytest.mark.parametrize(
    ("cell", "unit", "person"),
    [
        pytest.param(
            "Viện Lúa ĐBSCL\nKS. Nguyễn Văn A",
            "Viện Lúa ĐBSCL",
            "KS. Nguyễn Văn A",
            id="unit-then-person",
        ),
        pytest.param(
            "Viện Lúa ĐBSCL\nNguyễn Văn A",
            "Viện Lúa ĐBSCL",
            "Nguyễn Văn A",
            id="no-title-last-line",
        ),
        pytest.param(
            "TS. Nguyễn Văn A\nViện Lúa ĐBSCL",
            "Viện Lúa ĐBSCL",
            "TS. Nguyễn Văn A",
            id="titled-line-first",
        ),
        pytest.param(
            "Sở KH&CN tỉnh Gia Lai\nTrung tâm Thông tin\nThS. Lê B",
            "Sở KH&CN tỉnh Gia Lai Trung tâm Thông tin",
            "ThS. Lê B",
            id="two-unit-lines",
        ),
        pytest.param(
            "Trường ĐH Cần Thơ\n\n  PGS.TS. Lê Văn B  ",
            "Trường ĐH Cần Thơ",
            "PGS.TS. Lê Văn B",
            id="blank-line-and-spaces",
        ),
        pytest.param(
            "Trường ĐH Cần Thơ - PGS.TS. Lê Văn B",
            "Trường ĐH Cần Thơ",
            "PGS.TS. Lê Văn B",
            id="one-line-dash",
        ),
        pytest.param(
            "Viện Lúa ĐBSCL (KS. Nguyễn Văn A)",
            "Viện Lúa ĐBSCL",
            "KS. Nguyễn Văn A",
            id="one-line-brackets",
        ),
        pytest.param(
            "Viện Lúa ĐBSCL; Ông Trần Ba",
            "Viện Lúa ĐBSCL",
            "Ông Trần Ba",
            id="one-line-semicolon-ong",
        ),
        pytest.param(
            "Viện KH-CN / TS. Hà C",
            "Viện KH-CN",
            "TS. Hà C",
            id="dash-inside-unit-is-not-the-split",
        ),
    ],
)
def test_unit_and_person_in_one_cell(cell: str, unit: str, person: str) -> None:
    assert unit_and_person(cell) == (unit, person)


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param("Viện Lúa ĐBSCL", id="unit-only"),
        pytest.param("TS. Nguyễn Văn A", id="person-only"),
        pytest.param("Viện Lúa ĐBSCL - Nguyễn Văn A", id="one-line-without-title"),
    ],
)
def test_a_cell_without_both_is_refused(cell: str) -> None:
    with pytest.raises(Refused) as err:
        unit_and_person(cell)
    assert err.value.code == "bad_format"
    assert "holds one value" in err.value.reason_en
    assert err.value.value == cell


SPLIT = parse_mapping(
    """
[mapping]
schema_version = "1"
namespace = "p"
[fields]
"host_organization.name" = { from = "Cơ quan chủ trì / Chủ nhiệm", part = "organization" }
principal_investigator = { from = "Cơ quan chủ trì / Chủ nhiệm", part = "person" }
""",
    name="split.toml",
)


def test_one_column_feeds_host_and_investigator() -> None:
    row = {"Cơ quan chủ trì / Chủ nhiệm": "Viện Lúa ĐBSCL\nPGS.TS. Nguyễn Văn A"}
    result = map_record(SPLIT, row, "1")
    assert result.problems == []
    assert result.record["host_organization"] == {"name": "Viện Lúa ĐBSCL"}
    assert result.record["principal_investigator"] == {
        "full_name": "Nguyễn Văn A",
        "academic_title": "PGS",
        "degree": "TS",
    }
    assert result.sources["principal_investigator.degree"] == "Cơ quan chủ trì / Chủ nhiệm"


def test_a_cell_with_one_value_is_a_problem_on_both_fields() -> None:
    result = map_record(SPLIT, {"Cơ quan chủ trì / Chủ nhiệm": "Viện Lúa ĐBSCL"}, "1")
    assert sorted((p.path, p.code) for p in result.problems) == [
        ("host_organization.name", "bad_format"),
        ("principal_investigator", "bad_format"),
    ]
    assert all(p.value == "Viện Lúa ĐBSCL" for p in result.problems)
    assert "host_organization" not in result.record


def test_part_must_be_organization_or_person() -> None:
    with pytest.raises(MappingConfigError) as err:
        parse_mapping(
            '[mapping]\nschema_version = "1"\nnamespace = "p"\n[fields]\n'
            'principal_investigator = { from = "X", part = "investigator" }\n',
            name="split.toml",
        )
    assert 'part must be "organization" or "person"' in str(err.value)
