"""The .xls test workbook: written with openpyxl, then converted by LibreOffice (see README.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment

HERE = Path(__file__).resolve().parent
DATE = "DD/MM/YYYY"
DATETIME = "DD/MM/YYYY HH:MM"


def build(target: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws["A1"] = "DANH MỤC NHIỆM VỤ KH&CN CẤP TỈNH NĂM 2024"
    ws.merge_cells("A1:G1")
    # A two-row header: Thời gian spans D:E above its two parts; the others span both rows.
    for col, text in zip("ABCDFG", ["STT", "Mã số", "Tên nhiệm vụ", "Thời gian",
                                   "Ngày cập nhật", "Kinh phí\n(triệu đồng)"], strict=True):
        ws[f"{col}3"] = text
        ws[f"{col}3"].alignment = Alignment(wrap_text=True)
    for col in "ABCFG":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("D3:E3")
    ws["D4"], ws["E4"] = "Bắt đầu", "Kết thúc"
    ws["A5"] = "I. ĐỀ TÀI CẤP TỈNH"
    ws.merge_cells("A5:G5")
    # Excel cells hold wall-clock times without a zone, so the values written are naive.
    rows: list[tuple[Any, ...]] = [
        (6, 1, "ĐT-2024-01", "Nghiên cứu chọn tạo giống lúa chịu mặn", date(2024, 1, 15),
         date(2025, 12, 31), datetime(2024, 3, 10, 14, 30), 1250.5),  # noqa: DTZ001
        (7, 2, 102, "Ứng dụng công nghệ sinh học trong nuôi tôm", date(2024, 2, 1),
         date(2025, 7, 31), datetime(2024, 5, 2, 8, 0), 800),  # noqa: DTZ001
        (9, 3, "DA-2024-07", "Dự án sản xuất thử nghiệm nấm dược liệu", date(2023, 9, 1),
         None, datetime(2023, 12, 20, 9, 15), 2000),  # noqa: DTZ001
    ]
    for row, stt, code, title, start, end, modified, budget in rows:
        ws.cell(row, 1, stt)
        ws.cell(row, 2, code)
        ws.cell(row, 3, title)
        for column, value, fmt in ((4, start, DATE), (5, end, DATE), (6, modified, DATETIME)):
            if value is not None:
                ws.cell(row, column, value).number_format = fmt
        ws.cell(row, 7, budget)
    ws["A8"] = "II"
    ws["C11"], ws["G11"] = "Tổng cộng", 4050.5

    notes = wb.create_sheet("Ghi chú")
    notes.append(["Mã số", "Ghi chú"])
    notes.append(["ĐT-2024-01", "Đã nghiệm thu giai đoạn 1"])

    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / (target.stem + ".xlsx")
        wb.save(xlsx)
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            sys.exit("LibreOffice (soffice) is needed: apt-get install libreoffice-calc")
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", "xls", "--outdir", tmp, str(xlsx)], check=True)
        shutil.copyfile(Path(tmp) / (target.stem + ".xls"), target)


if __name__ == "__main__":
    build(HERE / "nhiem-vu.xls")
