"""Research fields: codes and Decision 12/2008 names as provinces write them; scheme by date."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.codelists import field_name_key, qd12_2008_codes_named, qd12_2008_fields
from schemas.mapping import parse_mapping
from schemas.mapping.errors import MappingConfigError, Refused
from schemas.mapping.mapper import map_record
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.fields import FieldCode, to_research_field

OPTS = Options(path="field.code", mapping_name="m.toml")


@pytest.mark.parametrize(("value", "code", "by_name"), [
    pytest.param("10101", "10101", False, id="code"),
    pytest.param(10101, "10101", False, id="code-typed-as-number"),
    pytest.param(10101.0, "10101", False, id="code-as-excel-float"),
    pytest.param("1.01.01", "10101", False, id="code-with-dots"),
    pytest.param("101.02", "10102", False, id="code-sector-dot-major"),
    pytest.param("1", "1", False, id="level-1-code"),
    pytest.param("1010101", "1010101", False, id="circular-24-seven-digits"),
    pytest.param("Khoa học tự nhiên", "1", True, id="level-1-name"),
    pytest.param("Toán học và thống kê", "101", True, id="level-2-name"),
    pytest.param("Toán học cơ bản", "10101", True, id="level-3-name"),
    pytest.param("Khoa học kĩ thuật và công nghệ", "2", True, id="ki-for-ky"),
    pytest.param("Khoa học kỹ thuật và công nghệ", "2", True, id="ky-as-printed"),
    pytest.param("KHOA HỌC KỸ THUẬT VÀ CÔNG NGHỆ", "2", True, id="upper-case"),
    pytest.param("khoa hoc ky thuat va cong nghe", "2", True, id="no-marks"),
    pytest.param("Khoa học kỹ thuật & công nghệ", "2", True, id="ampersand"),
    pytest.param("KH tự nhiên", "1", True, id="kh-abbreviation"),
    pytest.param("Khoa học Y Dược", "3", True, id="punctuation-and-case"),
    pytest.param("Khoa ho\u0323c tư\u0323 nhiên", "1", True, id="decomposed-unicode"),
    pytest.param("10101 - Toán học cơ bản", "10101", False, id="code-dash-name"),
    pytest.param("10101. Toán học cơ bản", "10101", False, id="code-dot-name"),
    pytest.param("(10101) Toán học cơ bản", "10101", False, id="code-in-brackets-first"),
    pytest.param("Toán học cơ bản (10101)", "10101", False, id="name-then-code-in-brackets"),
    pytest.param("Toán học cơ bản - 10101", "10101", False, id="name-dash-code"),
    pytest.param("1010101 - Tên mới theo Thông tư", "1010101", False,
                 id="code-with-a-name-we-do-not-know"),
    pytest.param("Khoa học tự nhiên\nToán học và thống kê\nToán học cơ bản", "10101", True,
                 id="path-on-three-lines"),
    pytest.param("1 > 101 > 10102", "10102", False, id="path-of-codes"),
    pytest.param("Khoa học tự nhiên; 10101", "10101", False, id="field-then-major"),
])
def test_research_field_read(value: Any, code: str, by_name: bool) -> None:
    assert to_research_field(value, OPTS) == FieldCode(code, by_name)


@pytest.mark.parametrize("value", ["", "   ", None, "-"])
def test_an_empty_cell_is_no_field(value: Any) -> None:
    assert to_research_field(value, OPTS) is None


@pytest.mark.parametrize(("value", "code", "says"), [
    pytest.param("Toán học cơ bả", "unknown_research_field", "10101 Toán học cơ bản",
                 id="typo-has-hint"),
    pytest.param("Ngành mới chưa có", "unknown_research_field", "12/2008", id="unknown-name"),
    pytest.param("Nấm học", "ambiguous_research_field", "10607, 30201", id="printed-twice"),
    pytest.param("Khoa học chính trị", "ambiguous_research_field", "506, 50601",
                 id="sector-and-major"),
    pytest.param("10101 - Toán học ứng dụng", "research_field_mismatch", "10102",
                 id="code-disagrees-with-name"),
    pytest.param("1; 2", "many_values", "1, 2", id="two-fields"),
    pytest.param("Khoa học tự nhiên\nKhoa học xã hội", "many_values", "1, 5",
                 id="two-fields-by-name"),
    pytest.param("1010", "bad_field_code", "1, 3, 5", id="four-digits"),
    pytest.param("101010", "bad_field_code", "1, 3, 5", id="six-digits"),
    pytest.param(True, "bad_type", "", id="boolean"),
])
def test_research_field_refused(value: Any, code: str, says: str) -> None:
    with pytest.raises(Refused) as err:
        to_research_field(value, OPTS)
    assert err.value.code == code
    assert says in err.value.reason_vi and says in err.value.reason_en


def test_every_printed_name_reads_back_as_its_code() -> None:
    printed_twice = {"10607", "30201", "506", "50601"}
    for f in qd12_2008_fields():
        assert f.name_vi
        if f.code not in printed_twice:
            assert qd12_2008_codes_named(f.name_vi) == (f.code,), f
            assert qd12_2008_codes_named(f.name_vi.upper()) == (f.code,), f


def test_name_key_keeps_words_apart() -> None:
    # "y" is read as "i" only alone after consonants: "Thủy văn học" keeps its "uy".
    assert field_name_key("Thủy văn học") == "thuy van hoc"
    assert field_name_key("Kỹ thuật") == field_name_key("kĩ thuật") == "ki thuat"


MAPPING = """
[mapping]
schema_version = "1"
namespace = "t"
{head}
[fields]
title = "Tên"
"field.code" = "Lĩnh vực"
start_date = "Bắt đầu"
"approval.decision_date" = "Ngày QĐ"
{extra}
"""


def _mapped(field: Any, start: str, approved: str = "", head: str = "",
            extra: str = "") -> tuple[dict[str, Any] | None, list[str]]:
    mapping = parse_mapping(MAPPING.format(head=head, extra=extra), name="cfg/m.toml")
    result = map_record(mapping, {"Tên": "Đề tài", "Lĩnh vực": field, "Bắt đầu": start,
                                  "Ngày QĐ": approved}, "1")
    return result.record.get("field"), [p.code for p in result.problems]


@pytest.mark.parametrize(("start", "approved", "scheme"), [
    pytest.param("01/03/2024", "", "qd12_2008", id="started-before-the-circular"),
    pytest.param("14/12/2025", "", "qd12_2008", id="day-before"),
    pytest.param("15/12/2025", "", "tt24_2025", id="first-day"),
    pytest.param("01/01/2026", "01/11/2025", "qd12_2008", id="approval-date-decides"),
    pytest.param("01/01/2025", "20/12/2025", "tt24_2025", id="approved-after"),
])
def test_scheme_is_chosen_by_the_task_date(start: str, approved: str, scheme: str) -> None:
    assert _mapped("10101", start, approved) == ({"scheme": scheme, "code": "10101"}, [])


def test_seven_digit_codes_are_circular_24_whatever_the_date() -> None:
    assert _mapped("1010101", "01/01/2020") == ({"scheme": "tt24_2025", "code": "1010101"}, [])


def test_the_cutover_day_is_configurable() -> None:
    head = 'tt24_2025_from = 2026-07-01'
    assert _mapped("10101", "01/01/2026", head=head)[0] == {"scheme": "qd12_2008",
                                                          "code": "10101"}
    assert _mapped("10101", "01/07/2026", head=head)[0] == {"scheme": "tt24_2025",
                                                          "code": "10101"}


def test_the_scheme_can_be_fixed_for_the_whole_mapping() -> None:
    head = 'research_field_scheme = "qd12_2008"'
    assert _mapped("Toán học cơ bản", "01/01/2026", head=head) == (
        {"scheme": "qd12_2008", "code": "10101"}, [])


def test_an_explicit_scheme_wins() -> None:
    extra = '"field.scheme" = { const = "qd12_2008" }'
    assert _mapped("10101", "01/01/2026", extra=extra)[0] == {"scheme": "qd12_2008",
                                                            "code": "10101"}


def test_a_name_is_not_turned_into_a_circular_24_code() -> None:
    # The names of Circular 24/2025 are not available: sending the 2008 code would be a guess.
    mapping = parse_mapping(MAPPING.format(head="", extra=""), name="cfg/m.toml")
    result = map_record(mapping, {"Tên": "Đề tài", "Lĩnh vực": "Toán học cơ bản",
                                  "Bắt đầu": "01/02/2026", "Ngày QĐ": ""}, "1")
    assert "field" not in result.record
    [problem] = result.problems
    assert (problem.path, problem.code, problem.source_field) == (
        "field.code", "field_name_needs_code", "Lĩnh vực")
    assert "15/12/2025" in problem.message_vi and "2025-12-15" in problem.message_en
    assert 'research_field_scheme = "qd12_2008"' in problem.message_vi
    assert "m.toml" in problem.message_vi and "cfg/" not in problem.message_vi


def test_the_same_name_before_the_circular_is_sent_with_its_2008_code() -> None:
    assert _mapped("Toán học cơ bản", "01/02/2025") == ({"scheme": "qd12_2008",
                                                         "code": "10101"}, [])


@pytest.mark.parametrize(("head", "key"), [
    ('research_field_scheme = "tt24"', "research_field_scheme"),
    ("tt24_2025_from = 2025", "tt24_2025_from"),
    ('tt24_2025_from = "15/12/2025"', "tt24_2025_from"),
    ("tt24_2025_from = 2025-12-15T00:00:00", "tt24_2025_from"),
])
def test_bad_scheme_settings_name_the_key(head: str, key: str) -> None:
    with pytest.raises(MappingConfigError) as err:
        parse_mapping(MAPPING.format(head=head, extra=""), name="m.toml")
    assert err.value.key == f"[mapping] {key}"


def _checked_paths(field: str, start: str) -> set[tuple[str, str]]:
    from connectors.base import SourceRecord
    from sync.extract import check

    mapping = parse_mapping(MAPPING.format(head="", extra=""), name="m.toml")
    rec = SourceRecord("s", "1", None, {"Tên": "Đề tài", "Lĩnh vực": field, "Bắt đầu": start,
                                        "Ngày QĐ": ""})
    return {(p.path, p.code) for p in check(mapping, rec).problems
            if p.path.startswith(("field", "start_date"))}


def test_a_refused_field_is_reported_once_not_again_as_missing() -> None:
    assert _checked_paths("Nấm học", "01/02/2024") == {
        ("field.code", "ambiguous_research_field")}


def test_an_unreadable_start_date_is_the_one_problem_of_the_scheme() -> None:
    # The scheme is chosen by the date: the date is what to fix, not a missing scheme.
    assert _checked_paths("10101", "31/02/2024") == {("start_date", "bad_date")}
