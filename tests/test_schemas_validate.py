"""validate(): one case per rule of record.md, with the (path, code) pairs a user would see."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import pytest

from schemas.problems import Problem
from schemas.validate import validate
from tests.records import OMIT, changed, valid_record


def pairs(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in problems}


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_the_example_record_is_valid() -> None:
    assert validate(valid_record()) == []


def _minimal() -> dict[str, Any]:
    keep = ("schema_version", "local_id", "title", "task_type", "management_level", "field",
            "host_organization", "principal_investigator", "start_date", "end_date", "budget")
    full = valid_record()
    record = {k: full[k] for k in keep}
    record.update(status="ongoing", host_organization={"name": "Sở KH&CN tỉnh Gia Lai"},
                  principal_investigator={"full_name": "Phạm Minh Tuấn"},
                  budget={"total_vnd": 0})
    return record


VALID = [
    pytest.param(_minimal(), id="only-required-fields"),
    pytest.param(changed(("field", {"scheme": "tt24_2025", "code": "1010101"})), id="tt24-7-digit"),
    pytest.param(changed(("field", {"scheme": "tt24_2025", "code": "10101"})), id="tt24-5-digit"),
    pytest.param(changed(("end_date", "2023-04-01")), id="one-day-task"),
    pytest.param(changed(("start_date", "2024-02-29"), ("end_date", "2024-12-31")), id="leap-day"),
    pytest.param(changed(("source_updated_at", "2025-06-25T02:30:00Z")), id="utc-z"),
    pytest.param(changed(("source_updated_at", "2025-06-25T02:30:00.123456789-05:00")),
                 id="nanoseconds"),
    pytest.param(changed(("budget", {"total_vnd": 500, "state_budget_vnd": 500})),
                 id="one-budget-part"),
    pytest.param(changed(("budget", {"total_vnd": 9007199254740991})), id="largest-amount"),
    pytest.param(changed(("keywords", ["Lúa", "lúa"])), id="keywords-differ-by-case"),
    pytest.param(changed(("status", "result_registered"), ("result_registration", {
        "certificate_number": "45/2025/ĐKKQ", "date": "2025-07-10"})), id="result-registered"),
    pytest.param(changed(("status", "terminated")), id="terminated-with-acceptance"),
    pytest.param(changed(("socio_economic_objective", "23")), id="seo-2-digits"),
    pytest.param(changed(("activity_type", "399")), id="activity-399"),
    pytest.param(changed(("principal_investigator.full_name", "Tăng Sơn")), id="name-like-ts"),
    pytest.param(changed(("title", "Đề tài " + "x" * 1993)), id="title-2000-chars"),
    pytest.param(changed(("local_id", "a" * 128)), id="local-id-128"),
    pytest.param(changed(("keywords", [f"từ {i}" for i in range(20)])), id="20-keywords"),
]


@pytest.mark.parametrize("record", VALID)
def test_valid_records_have_no_problems(record: dict[str, Any]) -> None:
    assert validate(record) == []


INVALID = [
    # required
    (changed(("title", OMIT)), {("title", "required")}, "title-missing"),
    (changed(("schema_version", OMIT)), {("schema_version", "required")}, "version-missing"),
    (changed(("field.code", OMIT)), {("field.code", "required")}, "field-code-missing"),
    (changed(("host_organization", OMIT)), {("host_organization", "required")}, "host-missing"),
    (changed(("budget.total_vnd", OMIT)), {("budget.total_vnd", "required")}, "total-missing"),
    (changed(("participants.1.full_name", OMIT)), {("participants[1].full_name", "required")},
     "participant-name-missing"),
    (changed(("acceptance.rating", OMIT)), {("acceptance.rating", "required")}, "rating-missing"),
    # types
    (changed(("schema_version", 1)), {("schema_version", "bad_type")}, "version-as-number"),
    (changed(("title", ["Đề tài"])), {("title", "bad_type")}, "title-as-array"),
    (changed(("field", "10101")), {("field", "bad_type")}, "field-as-string"),
    (changed(("field.code", 10101)), {("field.code", "bad_type")}, "field-code-as-number"),
    (changed(("budget.total_vnd", "1250000000")), {("budget.total_vnd", "bad_type")},
     "amount-as-string"),
    (changed(("budget.other_vnd", 250000000.0)), {("budget.other_vnd", "bad_type")},
     "amount-as-float"),
    (changed(("budget.total_vnd", True)), {("budget.total_vnd", "bad_type")}, "amount-as-bool"),
    (changed(("keywords", "lúa, giống")), {("keywords", "bad_type")}, "keywords-as-string"),
    (changed(("keywords", ["lúa", 3])), {("keywords[1]", "bad_type")}, "keyword-as-number"),
    (changed(("participants", [{"full_name": "Võ An"}, "Lê Bình"])),
     {("participants[1]", "bad_type")}, "participant-as-string"),
    # lengths
    (changed(("local_id", "a" * 129)), {("local_id", "too_long")}, "local-id-129"),
    (changed(("task_code", "x" * 101)), {("task_code", "too_long")}, "task-code-101"),
    (changed(("title", "x" * 2001)), {("title", "too_long")}, "title-2001"),
    (changed(("objectives", "x" * 20001)), {("objectives", "too_long")}, "objectives-20001"),
    (changed(("keywords", [f"từ {i}" for i in range(21)])), {("keywords", "too_long")},
     "21-keywords"),
    # formats
    (changed(("schema_version", "2")), {("schema_version", "unknown_code")}, "version-2"),
    (changed(("local_id", "qlkh 12")), {("local_id", "bad_format")}, "local-id-space"),
    (changed(("local_id", "mã-12")), {("local_id", "bad_format")}, "local-id-accent"),
    (changed(("title", " Nghiên cứu lúa")), {("title", "bad_format")}, "title-leading-space"),
    (changed(("title", "Nghiên cứu  lúa")), {("title", "bad_format")}, "title-double-space"),
    (changed(("title", "Nghiên cứu\nlúa")), {("title", "bad_format")}, "title-newline"),
    (changed(("title", "Nghiên cứu lúa\n")), {("title", "bad_format")}, "title-final-newline"),
    (changed(("host_organization.email", "vien@")), {("host_organization.email", "bad_format")},
     "email-no-domain"),
    (changed(("principal_investigator.email", "a b@x.vn")),
     {("principal_investigator.email", "bad_format")}, "email-space"),
    (changed(("principal_investigator.full_name", "PGS.TS. Nguyễn Thị Hoà")),
     {("principal_investigator.full_name", "bad_format")}, "name-with-titles"),
    (changed(("participants.0.full_name", "ThS. Trần Văn Đức")),
     {("participants[0].full_name", "bad_format")}, "participant-name-with-degree"),
    (changed(("start_date", "01/04/2023")), {("start_date", "bad_format")}, "date-dmy"),
    (changed(("start_date", "2023-4-1")), {("start_date", "bad_format")}, "date-unpadded"),
    (changed(("start_date", "2023-02-29")), {("start_date", "bad_format")}, "date-not-leap"),
    (changed(("acceptance.date", "2025-06-31")), {("acceptance.date", "bad_format")},
     "date-june-31"),
    (changed(("approval.decision_date", "20230315")), {("approval.decision_date", "bad_format")},
     "date-basic-format"),
    (changed(("source_updated_at", "2025-06-25T09:30:00")), {("source_updated_at", "bad_format")},
     "timestamp-no-offset"),
    (changed(("source_updated_at", "2025-06-25 09:30:00+07:00")),
     {("source_updated_at", "bad_format")}, "timestamp-space"),
    (changed(("source_updated_at", "2025-13-25T09:30:00+07:00")),
     {("source_updated_at", "bad_format")}, "timestamp-month-13"),
    (changed(("budget.total_vnd", -1), ("budget.state_budget_vnd", OMIT),
             ("budget.other_vnd", OMIT)), {("budget.total_vnd", "bad_format")}, "amount-negative"),
    (changed(("budget", {"total_vnd": 2**53})), {("budget.total_vnd", "bad_format")},
     "amount-beyond-2-53"),
    (changed(("keywords", ["lúa", "giống", "lúa"])), {("keywords[2]", "bad_format")},
     "keywords-repeated"),
    (changed(("summary", "Tóm tắt \ud800")), {("summary", "bad_format")}, "lone-surrogate"),
    # codes
    (changed(("task_type", "Đề tài")), {("task_type", "unknown_code")}, "task-type-label"),
    (changed(("management_level", "regional")), {("management_level", "unknown_code")},
     "level-unknown"),
    (changed(("status", "Ongoing")), {("status", "unknown_code")}, "status-wrong-case"),
    (changed(("funding_method", "khoán")), {("funding_method", "unknown_code")}, "funding-unknown"),
    (changed(("acceptance.rating", "Khá")), {("acceptance.rating", "unknown_code")},
     "rating-label"),
    (changed(("principal_investigator.gender", "nữ")),
     {("principal_investigator.gender", "unknown_code")}, "gender-label"),
    (changed(("principal_investigator.degree", "Tiến sĩ")),
     {("principal_investigator.degree", "unknown_code")}, "degree-label"),
    (changed(("principal_investigator.academic_title", "TS")),
     {("principal_investigator.academic_title", "unknown_code")}, "degree-as-title"),
    (changed(("participants.1.degree", "PhD")), {("participants[1].degree", "unknown_code")},
     "participant-degree"),
    (changed(("field.scheme", "qd12")), {("field.scheme", "unknown_code")}, "scheme-unknown"),
    (changed(("field.code", "10104")), {("field.code", "unknown_code")}, "field-not-in-2008"),
    (changed(("field.code", "1010101")), {("field.code", "unknown_code")}, "field-7-digit-in-2008"),
    (changed(("field", {"scheme": "tt24_2025", "code": "6040800"})),
     {("field.code", "unknown_code")}, "field-tt24-out-of-range"),
    (changed(("field.code", "1.01")), {("field.code", "bad_format")}, "field-not-digits"),
    (changed(("field.code", "1010")), {("field.code", "bad_format")}, "field-4-digits"),
    (changed(("socio_economic_objective", "24")), {("socio_economic_objective", "unknown_code")},
     "seo-24"),
    (changed(("socio_economic_objective", "1100")),
     {("socio_economic_objective", "unknown_code")}, "seo-child-00"),
    (changed(("socio_economic_objective", "110")), {("socio_economic_objective", "bad_format")},
     "seo-3-digits"),
    (changed(("activity_type", "103")), {("activity_type", "unknown_code")}, "activity-103"),
    (changed(("activity_type", "R&D")), {("activity_type", "bad_format")}, "activity-text"),
    # across fields
    (changed(("end_date", "2023-03-31")), {("end_date", "date_order")}, "end-before-start"),
    (changed(("budget.other_vnd", 200_000_000)), {("budget.total_vnd", "sum_mismatch")},
     "parts-do-not-add-up"),
    (changed(("budget", {"total_vnd": 100, "other_vnd": 101})),
     {("budget.total_vnd", "sum_mismatch")}, "one-part-over-total"),
    (changed(("acceptance", OMIT)), {("acceptance", "conditional_required")},
     "accepted-without-acceptance"),
    (changed(("status", "result_registered")), {("result_registration", "conditional_required")},
     "registered-without-registration"),
    (changed(("status", "result_registered"), ("acceptance", OMIT)),
     {("acceptance", "conditional_required"), ("result_registration", "conditional_required")},
     "registered-without-either"),
    # empty values
    (changed(("task_code", "")), {("task_code", "empty")}, "empty-string"),
    (changed(("summary", "  \n ")), {("summary", "empty")}, "blank-string"),
    (changed(("governing_agency", None)), {("governing_agency", "empty")}, "null-optional"),
    (changed(("title", None)), {("title", "empty")}, "null-required"),
    (changed(("acceptance", None)), {("acceptance", "empty")}, "null-acceptance"),
    (changed(("approval", {})), {("approval", "empty")}, "empty-object"),
    (changed(("participants", [])), {("participants", "empty")}, "empty-array"),
    (changed(("keywords", ["lúa", ""])), {("keywords[1]", "empty")}, "empty-keyword"),
    (changed(("host_organization.phone", "")), {("host_organization.phone", "empty")},
     "empty-nested"),
    # unknown keys
    (changed(("province_code", "52")), {("province_code", "unknown_field")}, "province-in-body"),
    (changed(("field.name", "Thổ nhưỡng học")), {("field.name", "unknown_field")},
     "nested-unknown"),
    (changed(("participants.0.email", "a@b.vn")), {("participants[0].email", "unknown_field")},
     "participant-unknown"),
    # Unicode form
    (changed(("title", nfd("Nghiên cứu lúa"))), {("title", "not_nfc")}, "title-nfd"),
    (changed(("keywords.0", nfd("lúa chịu mặn"))), {("keywords[0]", "not_nfc")}, "keyword-nfd"),
    (changed(("participants.1.role", nfd("thành viên"))), {("participants[1].role", "not_nfc")},
     "role-nfd"),
]


@pytest.mark.parametrize(("record", "expected"),
                         [pytest.param(r, e, id=i) for r, e, i in INVALID])
def test_each_rule_is_reported_at_its_path_with_its_code(record: dict[str, Any],
                                                         expected: set[tuple[str, str]]) -> None:
    assert pairs(validate(record)) == expected


@pytest.mark.parametrize("record", [None, [], "record", 42, [valid_record()]],
                         ids=["none", "list", "string", "number", "list-of-record"])
def test_something_other_than_an_object_is_one_bad_type_problem(record: Any) -> None:
    assert pairs(validate(record)) == {("$", "bad_type")}


def test_the_missing_title_message_names_the_field_in_both_languages() -> None:
    (problem,) = validate(changed(("title", OMIT)))
    assert problem.message_vi == "Thiếu tên nhiệm vụ (title)."
    assert problem.message_en == "Task title (title) is missing."


@pytest.mark.parametrize(("record", "vi_parts", "en_parts"), [
    (changed(("participants.1.degree", "PhD")),
     ["Học vị của cán bộ tham gia", "participants[1].degree", "“PhD”"],
     ["Participant's degree", "participants[1].degree", "“PhD”"]),
    (changed(("budget.other_vnd", 200_000_000)),
     ["Tổng kinh phí", "1.250.000.000 đồng", "1.200.000.000"],
     ["Total budget", "1,250,000,000", "1,200,000,000"]),
    (changed(("end_date", "2023-03-31")),
     ["Thời gian kết thúc", "“2023-03-31”", "“2023-04-01”"],
     ["End date", "“2023-03-31”", "“2023-04-01”"]),
    (changed(("acceptance", OMIT)), ["Thiếu nghiệm thu (acceptance)", "“accepted”"],
     ["Acceptance (acceptance) is required", "“accepted”"]),
    (changed(("province_code", "52")), ["“province_code”", "URL"], ["province_code", "URL"]),
], ids=["code-names-field-and-value", "sum-shows-amounts", "date-order-shows-both-dates",
        "conditional-names-status", "province-code-hint"])
def test_messages_name_the_field_label_path_and_offending_value(
        record: dict[str, Any], vi_parts: list[str], en_parts: list[str]) -> None:
    (problem,) = validate(record)
    assert all(part in problem.message_vi for part in vi_parts), problem.message_vi
    assert all(part in problem.message_en for part in en_parts), problem.message_en


def test_a_label_sent_instead_of_a_code_gets_the_code_suggested() -> None:
    (problem,) = validate(changed(("management_level", "Cấp tỉnh")))
    assert (problem.code, problem.value) == ("unknown_code", "Cấp tỉnh")
    assert "“provincial”" in problem.message_vi and "“provincial”" in problem.message_en
    assert "national, ministerial, provincial, grassroots" in problem.message_en


def test_problems_carry_the_offending_value() -> None:
    problems = validate(changed(("start_date", "01/04/2023"), ("local_id", "qlkh 12")))
    assert {p.path: p.value for p in problems} == {"start_date": "01/04/2023",
                                                   "local_id": "qlkh 12"}


def test_every_problem_of_a_very_bad_record_has_both_messages() -> None:
    record = {"schema_version": 2, "title": "", "field": {"scheme": 1}, "budget": {"total_vnd": -5},
              "participants": [None, {}], "status": "accepted", "x": 1}
    problems = validate(record)
    assert len(problems) >= 10
    for p in problems:
        assert p.message_vi.endswith(".") and p.message_en.endswith("."), p
        assert p.path in p.message_vi or p.code == "required", p


def test_validate_does_not_change_the_record() -> None:
    record = changed(("title", " x "), ("keywords", ["a", "a"]))
    before = copy.deepcopy(record)
    validate(record)
    assert record == before
