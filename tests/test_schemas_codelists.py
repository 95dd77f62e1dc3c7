"""Code lists as the mapper and the validator use them: label matching, fields, provinces."""

from __future__ import annotations

import unicodedata

import pytest

from schemas.codelists import (
    SCHEMES,
    activity_type_ok,
    code_list,
    current_provinces,
    fold,
    former_provinces,
    province_by_name,
    research_field,
    socio_economic_objective_ok,
    successor_province,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(("text", "expected"), [
    ("  Cấp   Tỉnh ", "cấp tỉnh"),
    (nfd("Đề tài"), "đề tài"),
    ("KHOA\tHỌC\nXÃ HỘI", "khoa học xã hội"),
], ids=["spaces-and-case", "nfd-input", "tabs-and-newlines"])
def test_fold_is_nfc_casefolded_with_whitespace_collapsed(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Đề tài", "de tai"),
    ("Huỷ", "huy"),
    ("Hủy", "huy"),
    (nfd("Quảng Ngãi"), "quang ngai"),
], ids=["d-stroke", "old-tone-placement", "new-tone-placement", "nfd-input"])
def test_fold_without_accents_drops_marks_and_d_stroke(text: str, expected: str) -> None:
    assert fold(text, accents=False) == expected


@pytest.mark.parametrize(("list_name", "text", "expected"), [
    ("management_level", "Cấp tỉnh", "provincial"),
    ("management_level", "Tỉnh", "provincial"),
    ("management_level", "Tỉnh/Thành phố", "provincial"),
    ("management_level", "Cấp Tỉnh/ Thành phố", "provincial"),
    ("management_level", "cấp tỉnh/thành phố", "provincial"),
    ("management_level", "provincial", "provincial"),
    ("management_level", "Cấp Bộ", "ministerial"),
    ("management_level", "Cấp cơ sở", "grassroots"),
    ("task_type", "Đề tài", "research_topic"),
    ("task_type", "Đề tài KH&CN", "research_topic"),
    ("task_type", "đề tài khoa học", "research_topic"),
    ("task_type", "Dự án SXTN", "pilot_production_project"),
    ("task_type", "Dự án sản xuất thử nghiệm", "pilot_production_project"),
    ("task_type", "Dự án KH&CN", "st_project"),
    ("task_type", "Nhiệm vụ theo nghị định thư", "other"),
    ("status", "Đang thực hiện", "ongoing"),
    ("status", "Đang triển khai", "ongoing"),
    ("status", "Đã nghiệm thu", "accepted"),
    ("status", "Huỷ", "terminated"),
    ("status", "Hủy", "terminated"),
    ("rating", "Khá", "good"),
    ("rating", "Đạt", "pass"),
    ("rating", "Không đạt", "fail"),
    ("rating", "XUẤT SẮC", "excellent"),
    ("funding_method", "Khoán từng phần", "lump_sum_partial"),
    ("funding_method", "khoán đến sản phẩm cuối cùng", "lump_sum_final"),
    ("degree", "Tiến sĩ", "TS"),
    ("degree", "Tiến sỹ", "TS"),
    ("degree", "ThS.", "ThS"),
    ("degree", "ths", "ThS"),
    ("degree", "BSCK II", "BSCKII"),
    ("academic_title", "Phó giáo sư", "PGS"),
    ("gender", "Nữ", "female"),
    ("gender", "nam", "male"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_match_label_finds_the_code_for_usual_wordings(list_name: str, text: str,
                                                       expected: str) -> None:
    assert code_list(list_name).match_label(text) == expected


@pytest.mark.parametrize(("list_name", "text", "expected"), [
    ("task_type", nfd("Đề tài"), "research_topic"),
    ("status", "  đang   THỰC hiện ", "ongoing"),
    ("management_level", "cap tinh", "provincial"),
    ("status", "Dang thuc hien", "ongoing"),
    ("rating", "Xuat sac", "excellent"),
    ("degree", "Thac si", "ThS"),
], ids=["nfd", "case-and-spaces", "no-accents-level", "no-accents-status", "no-accents-rating",
        "no-accents-degree"])
def test_match_label_tolerates_form_case_spacing_and_missing_accents(
        list_name: str, text: str, expected: str) -> None:
    assert code_list(list_name).match_label(text) == expected


@pytest.mark.parametrize(("list_name", "text"), [
    ("status", "Chưa rõ"),
    ("rating", "Trung bình"),
    ("management_level", "Cấp tỉnh, cấp bộ"),
    ("status", ""),
    ("status", "   "),
    ("gender", None),
    ("gender", 1),
], ids=["unknown-status", "unknown-rating", "two-levels", "empty", "blank", "none", "number"])
def test_match_label_answers_none_when_nothing_matches(list_name: str, text: object) -> None:
    assert code_list(list_name).match_label(text) is None  # type: ignore[arg-type]


def test_match_label_answers_none_when_a_wording_fits_two_codes() -> None:
    from schemas.codelists import Code, CodeList

    # Without accents "Đá" (stone) and "Đa" (many) read the same: no guess between them.
    codes = CodeList("demo", "thử", "demo", [Code("stone", "Đá", "Stone"),
                                             Code("many", "Đa", "Many")])
    assert codes.match_label("Da") is None
    assert codes.match_label("Đá") == "stone"


def test_code_list_contains_get_and_codes() -> None:
    rating = code_list("rating")
    assert "good" in rating and "Khá" not in rating and None not in rating
    assert rating.codes() == ["excellent", "good", "pass", "fail"]
    good = rating.get("good")
    assert good is not None and good.label_vi == "Khá" and "Loại khá" in good.synonyms
    assert rating.get("Khá") is None


def test_an_unknown_code_list_name_raises_lookup_error_listing_the_known_ones() -> None:
    with pytest.raises(LookupError, match=r"'colour'.*task_type.*gender"):
        code_list("colour")


@pytest.mark.parametrize(("scheme", "code", "level", "name"), [
    ("qd12_2008", "1", 1, "Khoa học tự nhiên"),
    ("qd12_2008", "101", 2, "Toán học và thống kê"),
    ("qd12_2008", "10101", 3, "Toán học cơ bản"),
    ("qd12_2008", "10199", 3, "Toán học và thống kê khác"),
    ("tt24_2025", "10101", 3, "Toán học cơ bản"),
    ("tt24_2025", "1010101", 4, None),
    ("tt24_2025", "6040799", 4, None),
    ("tt24_2025", "10198", 3, None),
], ids=["qd12-field", "qd12-sector", "qd12-major", "qd12-other", "tt24-keeps-2008-name",
        "tt24-lowest-7-digit", "tt24-highest-7-digit", "tt24-new-major"])
def test_research_field_knows_codes_with_level_and_name(scheme: str, code: str, level: int,
                                                        name: str | None) -> None:
    found = research_field(scheme, code)
    assert found is not None
    assert (found.scheme, found.code, found.level, found.name_vi) == (scheme, code, level, name)


@pytest.mark.parametrize(("scheme", "code"), [
    ("qd12_2008", "10104"),
    ("qd12_2008", "7"),
    ("qd12_2008", "1010101"),
    ("tt24_2025", "7"),
    ("tt24_2025", "0"),
    ("tt24_2025", "100"),
    ("tt24_2025", "10100"),
    ("tt24_2025", "6040800"),
    ("tt24_2025", "6050101"),
    ("tt24_2025", "1010100"),
    ("tt24_2025", "10"),
    ("tt24_2025", "１０１"),
    ("tt24_2025", ""),
    ("oecd_fos", "1"),
], ids=["qd12-absent-major", "qd12-field-7", "qd12-no-7-digit-level", "tt24-field-7",
        "tt24-field-0", "tt24-sector-00", "tt24-major-00", "tt24-above-range",
        "tt24-sector-above-range", "tt24-detail-00", "tt24-two-digits", "fullwidth-digits",
        "empty", "unknown-scheme"])
def test_research_field_refuses_codes_its_scheme_does_not_have(scheme: str, code: str) -> None:
    assert research_field(scheme, code) is None


def test_tt24_seven_digit_codes_are_exactly_the_structured_ones_in_range() -> None:
    def by_arithmetic(code: str) -> bool:
        groups = [code[1:3], code[3:5], code[5:7]]
        return (code[0] in "123456" and all(g != "00" for g in groups)
                and 1010101 <= int(code) <= 6040799)

    sample = [f"{n:07d}" for n in range(1000000, 7000000, 997)]
    sample += ["6040799", "6040800", "6040701", "6039999", "6049901", "5999999", "1010101"]
    assert [c for c in sample if (research_field("tt24_2025", c) is not None)
            != by_arithmetic(c)] == []


def test_schemes_are_the_two_of_record_md() -> None:
    assert SCHEMES == ("qd12_2008", "tt24_2025")


@pytest.mark.parametrize(("code", "ok"), [
    ("10", True), ("23", True), ("1001", True), ("2399", True), ("1550", True),
    ("09", False), ("24", False), ("1000", False), ("2400", False), ("1", False),
    ("101", False), ("10011", False), ("1a", False),
], ids=str)
def test_socio_economic_objectives_follow_table_2(code: str, ok: bool) -> None:
    assert socio_economic_objective_ok(code) is ok


@pytest.mark.parametrize(("code", "ok"), [
    ("1", True), ("2", True), ("3", True), ("101", True), ("102", True), ("201", True),
    ("202", True), ("301", True), ("309", True), ("399", True),
    ("4", False), ("0", False), ("103", False), ("203", False), ("300", False), ("310", False),
    ("398", False), ("10", False), ("1010", False),
], ids=str)
def test_activity_types_follow_table_3(code: str, ok: bool) -> None:
    assert activity_type_ok(code) is ok


@pytest.mark.parametrize(("old", "new"), [
    ("52", "52"), ("64", "52"), ("02", "08"), ("77", "79"), ("82", "82"), ("87", "82"),
    ("01", "01"), ("95", "96"), ("03", None), ("", None),
], ids=repr)
def test_successor_province(old: str, new: str | None) -> None:
    assert successor_province(old) == new


@pytest.mark.parametrize(("name", "code"), [
    ("Bình Định", "52"),
    ("Tỉnh Bình Định", "52"),
    ("Gia Lai", "52"),
    ("Kon Tum", "51"),
    ("Thành phố Hồ Chí Minh", "79"),
    ("TP. Hồ Chí Minh", "79"),
    ("TP.HCM", "79"),
    ("Bà Rịa - Vũng Tàu", "79"),
    ("Bà Rịa-Vũng Tàu", "79"),
    ("Thừa Thiên Huế", "46"),
    ("Huế", "46"),
    ("Hoà Bình", "25"),
    ("Hòa Bình", "25"),
    ("hoa binh", "25"),
    ("ĐẮK NÔNG", "68"),
    (nfd("Quảng Nam"), "48"),
    ("Tiền Giang", "82"),
    ("Hà Nội", "01"),
    ("Thành phố Hà Nội", "01"),
    ("Atlantis", None),
    ("", None),
], ids=lambda v: v if isinstance(v, str) and v else repr(v))
def test_province_by_name_reads_old_and_new_names(name: str, code: str | None) -> None:
    assert province_by_name(name) == code


def test_every_official_name_finds_its_current_province() -> None:
    for p in current_provinces().values():
        assert province_by_name(p.name_vi) == p.code, p
    for f in former_provinces().values():
        assert province_by_name(f.name_vi) == f.successor, f
