"""`stisync validate SOURCE`: what an admin sees, the report file, the exit codes of `sync`
(0 all accepted, 1 some problems, 2 failure), and the language switch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.test_quality_report import write_messy_source

pytestmark = pytest.mark.slow


def stisync(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stisync", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        encoding="utf-8",
        cwd=config.parent,
    )


def test_without_a_report_it_prints_the_summary_and_first_problems(tmp_path: Path) -> None:
    config = write_messy_source(tmp_path / "tinh")
    out = stisync(config, "validate", "danh-muc-xlsx")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == (
        "danh-muc-xlsx: đã đọc 12 bản ghi; 6 bản ghi (50%) sẽ được chấp nhận, 6 bản ghi có lỗi"
    )
    assert "Tóm tắt theo loại lỗi:" in lines
    assert any(line.startswith("unknown_label") and " 2 " in line for line in lines)
    first = lines.index("Các lỗi đầu tiên:")
    assert lines[first + 1].startswith("  Danh mục, dòng 5, cột H: Thời gian bắt đầu (start_date)")
    assert lines[first + 3] == "  Danh mục, dòng 7, cột B: Thiếu tên nhiệm vụ (title)."
    assert out.stderr == ""  # no log lines, no traceback
    assert not (tmp_path / "tinh" / "state").exists()  # no state database was even created


def test_report_file_and_english(tmp_path: Path) -> None:
    config = write_messy_source(tmp_path / "tinh")
    report = tmp_path / "bao-cao.xlsx"
    out = stisync(config, "--lang", "en", "validate", "danh-muc-csv", "--report", str(report))
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("danh-muc-csv: 12 records read; 6 (50%) would be accepted")
    assert f"Report written: {report}" in out.stdout
    assert "First problems" not in out.stdout  # they are in the file
    wb = load_workbook(report)
    assert wb.sheetnames == ["Summary", "Problems"]
    header = next(wb["Problems"].iter_rows(values_only=True))
    assert header[:3] == ("Sheet", "Row", "Column")
    assert wb["Problems"].max_row == 7

    html = tmp_path / "bao-cao.html"
    out = stisync(config, "validate", "danh-muc-csv", "--report", str(html), "--lang", "en")
    assert out.returncode == 1 and html.is_file()
    assert "Data-quality report" in html.read_text(encoding="utf-8")


def test_all_accepted_is_exit_0(tmp_path: Path) -> None:
    config = write_messy_source(tmp_path / "tinh")
    csv_path = tmp_path / "tinh" / "danh-muc.csv"
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    # The title, the blank row, the header and the first task, which has no mistake.
    csv_path.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8-sig")
    out = stisync(config, "validate", "danh-muc-csv")
    assert out.returncode == 0, out.stderr
    assert "1 bản ghi (100%) sẽ được chấp nhận, 0 bản ghi có lỗi" in out.stdout


def test_failures_are_exit_2_with_a_message_in_the_admins_language(tmp_path: Path) -> None:
    config = write_messy_source(tmp_path / "tinh")
    report = tmp_path / "bao-cao.html"
    missing = stisync(config, "validate", "missing-file", "--report", str(report))
    assert missing.returncode == 2
    assert not report.exists()  # an empty report would read as a source without problems
    assert "Lỗi: không đọc được nguồn: " in missing.stderr
    assert "khong-co.xlsx" in missing.stderr

    unknown = stisync(config, "--lang", "en", "validate", "khong-co")
    assert unknown.returncode == 2
    assert "Configuration error: " in unknown.stderr and "no such source" in unknown.stderr

    pdf = stisync(config, "validate", "danh-muc-csv", "--report", "bao-cao.pdf")
    assert pdf.returncode == 2
    assert "Lỗi: không biết định dạng báo cáo “.pdf”" in pdf.stderr

    source = tmp_path / "tinh" / "danh-muc.csv"
    before = source.read_bytes()
    itself = stisync(config, "validate", "danh-muc-csv", "--report", "danh-muc.csv")
    assert itself.returncode == 2
    assert "là tệp dữ liệu của chính nguồn này" in itself.stderr
    assert source.read_bytes() == before

    folder = tmp_path / "khong-co-thu-muc" / "bao-cao.html"
    unwritable = stisync(config, "validate", "danh-muc-csv", "--report", str(folder))
    assert unwritable.returncode == 2
    assert f"Lỗi: không ghi được báo cáo {folder}" in unwritable.stderr
    for out in (missing, unknown, pdf, itself, unwritable):
        assert "Traceback" not in out.stderr
