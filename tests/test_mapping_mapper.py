"""map_record end to end: spreadsheet rows and API objects become valid national records, and
every problem names the field, the source column and the value."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from schemas.mapping import Mapping, MapResult, load_mapping, map_record, parse_mapping
from schemas.validate import validate

MAPPINGS = Path(__file__).parent / "data" / "mappings"
HEAD = '[mapping]\nschema_version = "1"\nnamespace = "qlkh"\n'

ROW: dict[str, Any] = {
    "STT": 1,
    "Mã số": "ĐTCT-2023-05",
    "Tên nhiệm vụ": "  Nghiên cứu   giống lúa\u00a0chịu mặn ",
    "Loại hình": "ĐT cấp tỉnh",
    "Cấp quản lý": "Tỉnh/Thành phố",
    "Mã lĩnh vực": 40101.0,
    "Tổ chức chủ trì": "Viện Lúa",
    "Chủ nhiệm": "PGS.TS. Nguyễn Văn An",
    "Giới tính": "Nam",
    "Cán bộ tham gia": "ThS. Trần Thị Bình; KS. Lê Văn Cường",
    "Số QĐ phê duyệt": "123/QĐ-UBND",
    "Ngày QĐ phê duyệt": "05/01/2023",
    "Ngày bắt đầu": datetime(2023, 2, 1),  # noqa: DTZ001 - a spreadsheet cell has no zone
    "Thời gian kết thúc": "tháng 12/2024",
    "Tổng kinh phí (triệu đồng)": "1.250,5",
    "Ngân sách nhà nước (triệu đồng)": 1000,
    "Phương thức khoán": "Khoán cuối cùng",
    "Tình trạng": "Đã nghiệm thu",
    "Mục tiêu": "Tạo giống lúa chịu mặn",
    "Nội dung": "Lai tạo\r\n\r\nThử nghiệm",
    "Từ khoá": "lúa; chịu mặn; Lúa",
    "Ngày nghiệm thu": 45292,
    "Xếp loại": "",
    "Cập nhật lúc": "2024-01-02 10:00:00",
}

EXPECTED: dict[str, Any] = {
    "schema_version": "1",
    "local_id": "qlkh:17",
    "task_code": "ĐTCT-2023-05",
    "title": "Nghiên cứu giống lúa chịu mặn",
    "task_type": "research_topic",
    "management_level": "provincial",
    "field": {"scheme": "qd12_2008", "code": "40101"},
    "host_organization": {"name": "Viện Lúa"},
    "principal_investigator": {"full_name": "Nguyễn Văn An", "academic_title": "PGS",
                               "degree": "TS", "gender": "male"},
    "participants": [{"full_name": "Trần Thị Bình", "degree": "ThS"},
                     {"full_name": "Lê Văn Cường", "degree": "KS"}],
    "summary": "Tạo giống lúa chịu mặn\nLai tạo\n\nThử nghiệm",
    "keywords": ["lúa", "chịu mặn"],
    "approval": {"decision_number": "123/QĐ-UBND", "decision_date": "2023-01-05"},
    "start_date": "2023-02-01",
    "end_date": "2024-12-31",
    "budget": {"total_vnd": 1_250_500_000, "state_budget_vnd": 1_000_000_000},
    "funding_method": "lump_sum_final",
    "status": "accepted",
    "acceptance": {"date": "2024-01-01", "rating": "pass"},
    "source_updated_at": "2024-01-02T10:00:00+07:00",
}


@pytest.fixture(scope="module")
def qlkh() -> Mapping:
    return load_mapping(MAPPINGS / "qlkh.toml")


@pytest.fixture(scope="module")
def portal() -> Mapping:
    return load_mapping(MAPPINGS / "portal-api.toml")


def mapped(fields: str, payload: dict[str, Any], head: str = HEAD) -> MapResult:
    mapping = parse_mapping(f"{head}\n[fields]\n{fields}\n", name="m.toml")
    return map_record(mapping, payload, "1")


def test_spreadsheet_row_becomes_a_valid_record(qlkh: Mapping) -> None:
    result = map_record(qlkh, MappingProxyType(ROW), "17")
    assert result.problems == []
    assert result.record == EXPECTED
    assert list(result.record) == list(EXPECTED)
    assert validate(result.record) == []


def test_sources_name_the_column_of_every_field(qlkh: Mapping) -> None:
    sources = map_record(qlkh, ROW, "17").sources
    assert sources["title"] == "Tên nhiệm vụ"
    assert sources["budget.total_vnd"] == "Tổng kinh phí (triệu đồng)"
    assert sources["principal_investigator.degree"] == "Chủ nhiệm"
    assert sources["principal_investigator.gender"] == "Giới tính"
    assert sources["participants[1].full_name"] == "Cán bộ tham gia"
    assert sources["summary"] == "Mục tiêu + Nội dung"
    assert "field.scheme" not in sources                    # a constant has no column


PORTAL: dict[str, Any] = {
    "id": 1234,
    "ten_nhiem_vu": "Ứng dụng IoT trong nuôi tôm",
    "ma_so": "KC-01/24",
    "loai_hinh": {"id": 3, "ten": "Đề tài KHCN cấp tỉnh"},
    "cap_quan_ly": {"id": 1, "ten": "Tỉnh/Thành phố"},
    "linh_vuc": {"ma": "20201"},
    "to_chuc_chu_tri": {"ten": "Trường ĐH X", "email": "a@x.edu.vn"},
    "chu_nhiem": {"ho_ten": "TS. Phạm Thị Dung", "hoc_vi": "Tiến sĩ khoa học"},
    "thanh_vien": [
        {"ho_ten": "ThS. Võ Em", "don_vi": "Viện Y", "vai_tro": "Thư ký"},
        {"ho_ten": "Đặng Phúc", "hoc_vi": "Kỹ sư"},
    ],
    "muc_tieu": "Giám sát ao nuôi\r\ntự động",
    "ngay_bat_dau": "2024-03-01",
    "ngay_ket_thuc": "03/2026",
    "kinh_phi": {"tong": 2_500_000_000, "ngan_sach": "2,000,000,000", "khac": 500_000_000.0},
    "trang_thai": {"id": 1, "ten": "Đang thực hiện"},
    "tu_khoa": ["IoT", "tôm", "iot"],
    "cap_nhat_luc": "2024-05-06T07:08:09Z",
}


def test_api_object_becomes_a_valid_record(portal: Mapping) -> None:
    result = map_record(portal, PORTAL, "1234")
    assert result.problems == []
    record = result.record
    assert record["local_id"] == "portal:1234"
    assert record["task_type"] == "research_topic"
    # the explicit degree column beats the title written in front of the name
    assert record["principal_investigator"] == {"full_name": "Phạm Thị Dung", "degree": "TSKH"}
    assert record["participants"] == [
        {"full_name": "Võ Em", "degree": "ThS", "organization": "Viện Y", "role": "Thư ký"},
        {"full_name": "Đặng Phúc", "degree": "KS"},
    ]
    assert record["objectives"] == "Giám sát ao nuôi\ntự động"
    assert record["end_date"] == "2026-03-31"
    assert record["budget"] == {"total_vnd": 2_500_000_000, "state_budget_vnd": 2_000_000_000,
                                "other_vnd": 500_000_000}
    assert record["keywords"] == ["IoT", "tôm"]
    assert record["source_updated_at"] == "2024-05-06T07:08:09+00:00"
    assert validate(record) == []
    assert result.sources["participants[1].degree"] == "$.thanh_vien[1].hoc_vi"
    assert result.sources["participants[0].role"] == "$.thanh_vien[0].vai_tro"


def test_problems_name_field_column_and_value(qlkh: Mapping) -> None:
    row = {**ROW, "Ngày bắt đầu": "31/02/2023", "Loại hình": "Đề tài cấp tỉnh loại A",
           "Tổng kinh phí (triệu đồng)": "khoảng 1 tỷ", "Thời gian kết thúc": "01/2023-12/2024",
           "Chủ nhiệm": "PGS.TS."}
    result = map_record(qlkh, row, "17", origin={"columns": {"Ngày bắt đầu": "M"}})
    found = {p.path: p for p in result.problems}
    assert {p: found[p].code for p in found} == {
        "task_type": "unknown_label",
        "principal_investigator": "bad_name",
        "start_date": "bad_date",
        "end_date": "ambiguous_date",
        "budget.total_vnd": "bad_amount",
    }
    start = found["start_date"]
    assert start.value == "31/02/2023"
    assert start.source_field == "Ngày bắt đầu"
    assert "Ngày bắt đầu" in start.message_vi and "(cột M)" in start.message_vi
    assert "31/02/2023" in start.message_en and "(column M)" in start.message_en
    label = found["task_type"]
    assert label.value == "Đề tài cấp tỉnh loại A"
    assert "m.toml" not in label.message_en and "qlkh.toml" in label.message_en
    assert 'labels = { "Đề tài cấp tỉnh loại A"' in label.message_vi
    # the fields in trouble are left out, never guessed or emptied
    assert "start_date" not in result.record and "task_type" not in result.record
    assert "budget" in result.record and "total_vnd" not in result.record["budget"]


def test_empty_cells_leave_fields_and_objects_out() -> None:
    result = mapped('title = "Tên"\n"approval.decision_number" = "Số QĐ"\n'
                    '"approval.decision_date" = "Ngày QĐ"\nkeywords = "Từ khoá"',
                    {"Tên": "A", "Số QĐ": " ", "Ngày QĐ": None, "Từ khoá": "-"})
    assert result.record == {"schema_version": "1", "local_id": "qlkh:1", "title": "A"}
    assert result.problems == []


@pytest.mark.parametrize(("cell", "expected"), [
    pytest.param("", "pass", id="empty-takes-default"),
    pytest.param("Khá", "good", id="value-beats-default"),
])
def test_default_only_fills_empty_cells(cell: str, expected: str) -> None:
    result = mapped('"acceptance.rating" = { from = "Xếp loại", default = "Đạt" }',
                    {"Xếp loại": cell})
    assert result.record["acceptance"] == {"rating": expected}


def test_default_never_hides_a_bad_value() -> None:
    result = mapped('"acceptance.rating" = { from = "Xếp loại", default = "pass" }',
                    {"Xếp loại": "Trung bình"})
    assert [p.code for p in result.problems] == ["unknown_label"]
    assert "acceptance" not in result.record


def test_missing_column_is_a_problem_with_a_hint() -> None:
    result = mapped('title = "Tên nhiệm vụ"\ntask_code = "Mã số"', {"Ten nhiem vu": "A",
                                                                   "Mã số NV": "1"})
    assert result.record["title"] == "A"                   # tolerant: marks dropped
    [problem] = result.problems
    assert (problem.path, problem.code, problem.source_field) == ("task_code", "missing_column",
                                                                  "Mã số")
    assert "Mã số NV" in problem.message_en and "m.toml" in problem.message_vi


def test_a_path_that_finds_nothing_is_just_empty() -> None:
    result = mapped('title = "$.ten"\ntask_code = "$.ma.so"', {"ten": "A", "ma": "x"})
    assert result.record["title"] == "A" and "task_code" not in result.record
    assert result.problems == []


def test_general_paths_reach_into_a_read_only_payload() -> None:
    mapping = parse_mapping(HEAD + '[fields]\nkeywords = "$..tu"\ntitle = "$.a[0].ten"\n',
                            name="m.toml")
    payload = MappingProxyType({"a": [{"ten": "A", "tu": "x"}], "b": {"tu": ["y", "x"]}})
    record = map_record(mapping, payload, "1").record
    assert record["title"] == "A"
    assert sorted(record["keywords"]) == ["x", "y"]


def test_a_path_with_several_values_for_one_field() -> None:
    result = mapped('title = "$.ten[*]"', {"ten": ["A", "B"]})
    assert [(p.path, p.code) for p in result.problems] == [("title", "many_values")]


def test_an_object_where_a_value_belongs_names_its_keys() -> None:
    result = mapped('status = "$.trang_thai"', {"trang_thai": {"id": 2, "ten": "Đang thực hiện"}})
    [problem] = result.problems
    assert problem.code == "bad_type" and "id, ten" in problem.message_en


def test_concat_skips_empty_parts() -> None:
    result = mapped('objectives = { concat = ["A", "B", "C"], sep = " | " }\n'
                    'title = { concat = ["A", "C"] }', {"A": "một", "B": "", "C": 2})
    assert result.record["objectives"] == "một | 2"
    assert result.record["title"] == "một 2"


def test_participants_with_titles_and_a_bad_name() -> None:
    result = mapped('participants = { from = "CBTG", split = ";" }',
                    {"CBTG": "1. TS. Lê Minh\n2. Nguyễn Văn A (thư ký); KS Vũ Hà"})
    assert result.record["participants"] == [{"full_name": "Lê Minh", "degree": "TS"},
                                             {"full_name": "Vũ Hà", "degree": "KS"}]
    [problem] = result.problems
    assert problem.code == "bad_name" and problem.value == "2. Nguyễn Văn A (thư ký)"


def test_participant_objects_need_an_item_table() -> None:
    result = mapped('participants = "$.tv[*]"', {"tv": [{"ten": "A"}]})
    assert [p.code for p in result.problems] == ["bad_type"]
    assert "item" in result.problems[0].message_en


def test_full_name_column_keeps_titles_out_of_the_name() -> None:
    result = mapped('"principal_investigator.full_name" = "Chủ nhiệm"', {"Chủ nhiệm": "GS. Lê B"})
    assert result.record["principal_investigator"] == {"full_name": "Lê B",
                                                       "academic_title": "GS"}


def test_transform_override() -> None:
    result = mapped('task_code = { from = "Mã", transform = "long_text" }\n'
                    'title = { from = "Tên", transform = "date" }', {"Mã": "a\nb", "Tên": "5/4/23"})
    assert result.record["task_code"] == "a\nb"
    assert result.record["title"] == "2023-04-05"


def test_record_ids_and_payload_types() -> None:
    mapping = parse_mapping(HEAD + '[fields]\ntitle = "Tên"\n', name="m.toml")
    assert map_record(mapping, {"Tên": "A"}, "Đề tài 1").record["local_id"].startswith(
        "qlkh:De_tai_1--x")
    empty_id = map_record(mapping, {"Tên": "A"}, "  ")
    assert [(p.path, p.code) for p in empty_id.problems] == [("local_id", "required")]
    not_object = map_record(mapping, ["Tên", "A"], "1")  # type: ignore[arg-type]
    assert [(p.path, p.code) for p in not_object.problems] == [("$", "bad_type")]
