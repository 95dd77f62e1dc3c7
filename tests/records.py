"""Example national records for tests: one complete, valid record v1 in Vietnamese."""

from __future__ import annotations

import copy
import re
from typing import Any

# Pass as an override to leave a key out: valid_record(approval=OMIT).
OMIT: Any = object()

_RECORD: dict[str, Any] = {
    "schema_version": "1",
    "local_id": "binhdinh-qlkh:1234",
    "task_code": "ĐTKHCN.05/2023",
    "title": "Nghiên cứu ứng dụng công nghệ sinh học trong sản xuất giống lúa chịu mặn tại Gia Lai",
    "task_type": "research_topic",
    "management_level": "provincial",
    "field": {"scheme": "qd12_2008", "code": "40102"},
    "socio_economic_objective": "1101",
    "activity_type": "102",
    "host_organization": {
        "name": "Viện Khoa học Kỹ thuật Nông nghiệp Duyên hải Nam Trung Bộ",
        "address": "Số 6 Nguyễn Thái Học, phường Quy Nhơn, tỉnh Gia Lai",
        "phone": "0256 3822 347",
        "email": "vienkhkt@example.vn",
        "tax_code": "4100259564",
    },
    "governing_agency": "Sở Khoa học và Công nghệ tỉnh Gia Lai",
    "principal_investigator": {
        "full_name": "Nguyễn Thị Hoà",
        "academic_title": "PGS",
        "degree": "TS",
        "gender": "female",
        "email": "nthoa@example.vn",
        "phone": "0905 123 456",
    },
    "participants": [
        {"full_name": "Trần Văn Đức", "degree": "ThS", "organization": "Trường Đại học Quy Nhơn",
         "role": "thư ký khoa học"},
        {"full_name": "Lê Thị Ngọc Ánh", "degree": "KS", "role": "thành viên"},
    ],
    "objectives": "Chọn tạo được 02 giống lúa chịu mặn năng suất cao phù hợp vùng ven biển.",
    "summary": "Đánh giá nguồn gen, lai tạo, khảo nghiệm và xây dựng mô hình trình diễn.",
    "expected_products": "02 giống lúa; quy trình canh tác; 03 bài báo khoa học.",
    "keywords": ["lúa chịu mặn", "công nghệ sinh học", "chọn giống"],
    "approval": {"decision_number": "1234/QĐ-UBND", "decision_date": "2023-03-15"},
    "start_date": "2023-04-01",
    "end_date": "2025-03-31",
    "budget": {"total_vnd": 1_250_000_000, "state_budget_vnd": 1_000_000_000,
               "other_vnd": 250_000_000},
    "funding_method": "lump_sum_partial",
    "status": "accepted",
    "acceptance": {"date": "2025-06-20", "rating": "good"},
    "source_updated_at": "2025-06-25T09:30:00+07:00",
}


def valid_record(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of a complete valid record, with top-level keys replaced (or OMIT-ted)."""
    record = copy.deepcopy(_RECORD)
    for key, value in overrides.items():
        if value is OMIT:
            record.pop(key, None)
        else:
            record[key] = copy.deepcopy(value)
    return record


def changed(*changes: tuple[str, Any]) -> dict[str, Any]:
    """A valid record with nested values replaced or OMIT-ted, by dotted path:
    changed(("budget.other_vnd", 5), ("participants.1.full_name", OMIT))."""
    record = valid_record()
    for path, value in changes:
        node: Any = record
        *parents, last = re.findall(r"[^.]+", path)
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is OMIT:
            del node[key]
        else:
            node[key] = copy.deepcopy(value)
    return record
