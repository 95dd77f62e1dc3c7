"""Sample provincial task records for the demo and the end-to-end tests: Vietnamese text in
the shapes provinces really hold (a CSV export, a workbook with a title row, a JSON API)."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ICT = timezone(timedelta(hours=7))

_TOPICS = [
    "Nghiên cứu ứng dụng công nghệ sinh học trong sản xuất giống lúa chịu mặn",
    "Xây dựng mô hình nuôi tôm thẻ chân trắng tuần hoàn nước",
    "Đánh giá hiện trạng và đề xuất giải pháp bảo tồn rừng ngập mặn ven biển",
    "Ứng dụng trí tuệ nhân tạo trong dự báo lũ lưu vực sông Kôn",
    "Phát triển sản phẩm OCOP từ dừa Tam Quan",
    "Nghiên cứu bào chế chế phẩm vi sinh xử lý chất thải chăn nuôi",
    "Xây dựng cơ sở dữ liệu di sản văn hoá phi vật thể của tỉnh",
    "Chuyển đổi số trong quản lý hồ sơ đất đai cấp xã",
    "Nghiên cứu giải pháp giảm thiểu xói lở bờ biển bằng kè mềm",
    "Tuyển chọn giống keo lai năng suất cao cho vùng đồi núi",
    "Ứng dụng IoT giám sát chất lượng nước nuôi trồng thuỷ sản",
    "Nghiên cứu đặc điểm dịch tễ bệnh sốt xuất huyết giai đoạn 2020–2024",
    "Phục tráng giống bưởi đặc sản địa phương",
    "Đánh giá hiệu quả mô hình khuyến nông ứng dụng công nghệ cao",
    "Nghiên cứu chế tạo thiết bị sấy nông sản bằng năng lượng mặt trời",
]
_PLACES = [
    "huyện Phù Cát",
    "thị xã An Nhơn",
    "huyện Tuy Phước",
    "vùng ven biển",
    "huyện Hoài Nhơn",
    "thành phố Quy Nhơn",
    "huyện Vĩnh Thạnh",
]
_ORGS = [
    "Trường Đại học Quy Nhơn",
    "Viện Nghiên cứu Hải sản",
    "Trung tâm Ứng dụng tiến bộ KH&CN",
    "Sở Nông nghiệp và Môi trường",
    "Bệnh viện Đa khoa tỉnh",
    "Công ty CP Thuỷ sản Hoài Nhơn",
    "Trung tâm Khuyến nông tỉnh",
]
_PEOPLE = [
    "PGS.TS. Nguyễn Văn Hùng",
    "TS. Trần Thị Thuỷ",
    "ThS. Lê Quang Đức",
    "GS.TSKH. Phạm Minh Châu",
    "KS. Võ Thị Hồng Nhung",
    "TS.BS. Đặng Ngọc Ánh",
    "ThS. Huỳnh Thị Mỹ Lệ",
    "CN. Bùi Văn Toàn",
]
_FIELDS = ["40101", "20801", "10501", "10201", "40601", "20401", "60399", "30101"]
_TYPES = ["Đề tài", "Dự án SXTN", "Đề tài", "Đề án khoa học", "Đề tài"]
_LEVELS = ["Cấp tỉnh", "Tỉnh/Thành phố", "Cấp cơ sở"]


@dataclass(frozen=True)
class DemoTask:
    """One task as a province holds it: `row()` is the spreadsheet view, `api()` the JSON one."""

    code: str
    title: str
    task_type: str
    level: str
    field: str
    host: str
    investigator: str
    start: date
    end: date
    total_million: float
    state_million: float
    status: str
    accepted_on: date | None
    rating: str | None
    updated_at: datetime

    def row(self) -> dict[str, Any]:
        return {
            "Mã số": self.code,
            "Tên nhiệm vụ": self.title,
            "Loại hình": self.task_type,
            "Cấp quản lý": self.level,
            "Mã lĩnh vực": self.field,
            "Tổ chức chủ trì": self.host,
            "Chủ nhiệm": self.investigator,
            "Ngày bắt đầu": self.start.strftime("%d/%m/%Y"),
            "Ngày kết thúc": self.end.strftime("%d/%m/%Y"),
            "Tổng kinh phí (triệu đồng)": _vn_number(self.total_million),
            "Kinh phí NSNN (triệu đồng)": _vn_number(self.state_million),
            "Tình trạng": self.status,
            "Ngày nghiệm thu": self.accepted_on.strftime("%d/%m/%Y") if self.accepted_on else "",
            "Xếp loại": self.rating or "",
        }

    def api(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "ten_nhiem_vu": self.title,
            "loai_hinh": {"id": _TYPES.index(self.task_type) + 1, "ten": self.task_type},
            "cap_quan_ly": {"id": _LEVELS.index(self.level) + 1, "ten": self.level},
            "linh_vuc": {"ma": self.field},
            "to_chuc_chu_tri": {"ten": self.host},
            "chu_nhiem": {"ho_ten": self.investigator},
            "thoi_gian": {"bat_dau": self.start.isoformat(), "ket_thuc": self.end.isoformat()},
            "kinh_phi": {
                "tong": round(self.total_million * 1_000_000),
                "nsnn": round(self.state_million * 1_000_000),
            },
            "tinh_trang": self.status,
            "nghiem_thu": (
                {"ngay": self.accepted_on.isoformat(), "xep_loai": self.rating}
                if self.accepted_on
                else None
            ),
            "updated_at": self.updated_at.isoformat(),
        }


def _vn_number(x: float) -> str:
    """1250.5 -> "1.250,5", as Vietnamese spreadsheets print amounts."""
    whole, _, frac = f"{x:.3f}".rstrip("0").rstrip(".").partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{groups},{frac}" if frac else groups


def make_tasks(prefix: str, n: int, *, seed: int, year: int = 2023) -> list[DemoTask]:
    rnd = random.Random(seed)
    tasks = []
    for i in range(1, n + 1):
        start = date(year, rnd.randint(1, 12), rnd.randint(1, 28))
        end = start + timedelta(days=rnd.choice([365, 540, 730]))
        total = rnd.choice([350, 480.5, 750, 1250, 2100, 960])
        state = total if rnd.random() < 0.6 else round(total * 0.7, 1)
        accepted = rnd.random() < 0.35
        accepted_on = end + timedelta(days=30) if accepted else None
        topic = rnd.choice(_TOPICS)
        title = f"{topic} tại {rnd.choice(_PLACES)}"
        tasks.append(
            DemoTask(
                code=f"{prefix}-{year}-{i:03d}",
                title=title,
                task_type=rnd.choice(_TYPES),
                level=rnd.choice(_LEVELS),
                field=rnd.choice(_FIELDS),
                host=rnd.choice(_ORGS),
                investigator=rnd.choice(_PEOPLE),
                start=start,
                end=end,
                total_million=total,
                state_million=state,
                status="Đã nghiệm thu" if accepted else "Đang thực hiện",
                accepted_on=accepted_on,
                rating=rnd.choice(["Xuất sắc", "Khá", "Đạt"]) if accepted else None,
                updated_at=datetime(year + 1, 1, 1, 8, 0, tzinfo=ICT) + timedelta(hours=i),
            )
        )
    return tasks


def write_csv(path: Path, tasks: list[DemoTask], *, encoding: str = "utf-8-sig") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [t.row() for t in tasks]
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def write_xlsx(
    path: Path,
    tasks: list[DemoTask],
    *,
    title: str,
    extra_rows: Sequence[dict[str, Any]] = (),
) -> None:
    """A workbook as a Department prints it: a title row, a blank row, the header, a section row."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Danh mục"
    rows = [t.row() for t in tasks] + list(extra_rows)
    headers = list(rows[0])
    ws.append([title])
    ws.append([])
    ws.append(headers)
    ws.append(["I. NHIỆM VỤ CẤP TỈNH"])
    for r in rows:
        ws.append([r.get(h, "") for h in headers])
    wb.save(path)
    wb.close()


CSV_MAPPING = """\
# How the columns of the CSV export map to the national record (edit to fit your file).
[mapping]
schema_version = "1"          # the national record version this mapping writes
namespace = "{namespace}"
decimal_separator = ","

[fields]
task_code = "Mã số"
title = "Tên nhiệm vụ"
task_type = {{ from = "Loại hình", labels = {{ "Dự án SXTN" = "pilot_production_project" }} }}
management_level = {{ from = "Cấp quản lý", labels = {{ "Tỉnh/Thành phố" = "provincial" }} }}
"field.scheme" = {{ const = "qd12_2008" }}
"field.code" = "Mã lĩnh vực"
"host_organization.name" = "Tổ chức chủ trì"
principal_investigator = "Chủ nhiệm"
start_date = "Ngày bắt đầu"
end_date = "Ngày kết thúc"
"budget.total_vnd" = {{ from = "Tổng kinh phí (triệu đồng)", unit = "triệu" }}
"budget.state_budget_vnd" = {{ from = "Kinh phí NSNN (triệu đồng)", unit = "triệu" }}
status = "Tình trạng"
"acceptance.date" = "Ngày nghiệm thu"
"acceptance.rating" = "Xếp loại"
"""

API_MAPPING = """\
# How the provincial task-management API's JSON maps to the national record.
[mapping]
schema_version = "1"          # the national record version this mapping writes
namespace = "{namespace}"

[fields]
task_code = "$.id"
title = "$.ten_nhiem_vu"
task_type = {{ from = "$.loai_hinh.ten", labels = {{ "Dự án SXTN" = "pilot_production_project" }} }}
management_level = {{ from = "$.cap_quan_ly.ten", labels = {{ "Tỉnh/Thành phố" = "provincial" }} }}
"field.scheme" = {{ const = "qd12_2008" }}
"field.code" = "$.linh_vuc.ma"
"host_organization.name" = "$.to_chuc_chu_tri.ten"
principal_investigator = "$.chu_nhiem.ho_ten"
start_date = "$.thoi_gian.bat_dau"
end_date = "$.thoi_gian.ket_thuc"
"budget.total_vnd" = "$.kinh_phi.tong"
"budget.state_budget_vnd" = "$.kinh_phi.nsnn"
status = "$.tinh_trang"
"acceptance.date" = "$.nghiem_thu.ngay"
"acceptance.rating" = "$.nghiem_thu.xep_loai"
source_updated_at = "$.updated_at"
"""
