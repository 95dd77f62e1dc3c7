"""The data-quality report of `stisync validate`: a messy provincial spreadsheet read whole,
each problem pointing at its sheet, row and column, and the report files a data owner opens."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from stisync.demo_data import CSV_MAPPING, make_tasks
from sync.config import Config, load_config
from sync.quality import ProblemRow, QualityReport, collect, write_report
from sync.quality.cells import csv_cell, neutralise, xlsx_cell
from sync.quality.collect import Note
from sync.quality.html_report import render_html
from tests.legacy_text import tcvn3

TITLE = "DANH MỤC NHIỆM VỤ KH&CN NĂM 2024"
FORMULA = '=HYPERLINK("http://evil.example","Bấm vào đây")'
SCRIPT = "<script>alert('x')</script>"

CONFIG = """
province = "52"
state_url = "sqlite:///state/never.sqlite"
log_dir = "logs"

[national]
url = "http://127.0.0.1:9/api"
client_id = "tinh-52"
client_secret_env = "STISYNC_TEST_UNUSED_SECRET"

[sources.danh-muc-csv]
kind = "spreadsheet"
mapping = "mapping.toml"
connector = { path = "danh-muc.csv", id_column = "Mã số" }

[sources.danh-muc-xlsx]
kind = "spreadsheet"
mapping = "mapping.toml"
connector = { path = "danh-muc.xlsx", id_column = "Mã số" }

[sources.missing-file]
kind = "spreadsheet"
mapping = "mapping.toml"
connector = { path = "khong-co.xlsx", id_column = "Mã số" }
"""


def messy_rows(*, numbers: bool) -> list[dict[str, Any]]:
    """Twelve tasks as a Department keeps them, six of them with one mistake each. With
    `numbers`, the negative budget is a number cell (as in a workbook), else text (a CSV)."""
    rows = [t.row() for t in make_tasks("DM", 12, seed=12, year=2024)]
    rows[1]["Ngày bắt đầu"] = "31/02/2024"  # no such day
    rows[2]["Cấp quản lý"] = "Cấp vùng"  # not in the code list
    rows[3]["Tên nhiệm vụ"] = ""  # the title is required
    rows[4]["Loại hình"] = FORMULA  # would be a live formula in Excel
    rows[5]["Cấp quản lý"] = SCRIPT  # would run in a careless HTML page
    rows[6]["Tổng kinh phí (triệu đồng)"] = -5 if numbers else "-5"
    return rows


def write_messy_source(folder: Path) -> Path:
    """The messy rows as a CSV and a workbook, each under a title row, with a config naming
    both (and a third source whose file is missing); returns the config file."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = messy_rows(numbers=False)
    with (folder / "danh-muc.csv").open("w", encoding="utf-8-sig", newline="") as f:
        f.write(f"{TITLE}\r\n\r\n")
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Danh mục"
    rows = messy_rows(numbers=True)
    ws.append([TITLE])
    ws.append([])
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text typed as such, even when it starts with "="
    wb.save(folder / "danh-muc.xlsx")
    (folder / "mapping.toml").write_text(CSV_MAPPING.format(namespace="danh-muc"), encoding="utf-8")
    config = folder / "stisync.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_messy_source(tmp_path / "tinh"))


def places(report: QualityReport) -> set[tuple[str, int | None, str, str, str]]:
    return {(p.sheet, p.row, p.column, p.code, p.field) for p in report.problems}


def test_every_problem_names_its_row_column_and_field(config: Config) -> None:
    report = collect(config, "danh-muc-csv")
    # The title row and the blank row come first: the header is row 3, the first task row 4.
    assert places(report) == {
        ("", 5, "H", "bad_date", "start_date"),
        ("", 6, "D", "unknown_label", "management_level"),
        ("", 7, "B", "required", "title"),
        ("", 8, "C", "unknown_label", "task_type"),
        ("", 9, "D", "unknown_label", "management_level"),
        ("", 10, "J", "bad_amount", "budget.total_vnd"),
    }
    assert (report.read, report.accepted, report.rejected) == (12, 6, 6)
    assert report.share == 0.5
    assert report.exit_code == 1
    bad_date = next(p for p in report.problems if p.code == "bad_date")
    assert bad_date.value == "31/02/2024"
    assert bad_date.header == "Ngày bắt đầu"
    assert bad_date.record_id == "DM-2024-002"
    assert "không tồn tại" in bad_date.message("vi")
    assert "does not exist" in bad_date.message("en")
    title = next(p for p in report.problems if p.code == "required")
    assert title.message("vi") == "Thiếu tên nhiệm vụ (title)."
    # Problems found by validation keep the value as the owner typed it, not as mapped.
    budget = next(p for p in report.problems if p.field == "budget.total_vnd")
    assert budget.value == "-5"


def test_the_summary_counts_each_kind_once_with_an_example(config: Config) -> None:
    report = collect(config, "danh-muc-xlsx")
    summary = [(k.code, k.field, k.count) for k in report.summary()]
    assert summary == [
        ("unknown_label", "management_level", 2),
        ("bad_amount", "budget.total_vnd", 1),
        ("bad_date", "start_date", 1),
        ("required", "title", 1),
        ("unknown_label", "task_type", 1),
    ]
    labels = report.summary()[0]
    assert labels.describe("vi").startswith("Nhãn không có trong danh mục")
    assert labels.field_text("vi") == "Cấp quản lý (management_level)"
    assert labels.example.row == 6  # the first one met


def test_problems_beyond_the_cap_are_counted_not_listed(config: Config) -> None:
    report = collect(config, "danh-muc-csv", cap=2)
    assert [p.row for p in report.problems] == [5, 6]
    assert report.omitted == 4
    assert sum(k.count for k in report.kinds.values()) == 6
    assert (report.read, report.accepted) == (12, 6)


def test_a_record_id_met_twice_is_a_problem_as_in_a_sync(tmp_path: Path) -> None:
    folder = tmp_path / "tinh"
    write_messy_source(folder)
    lines = (folder / "danh-muc.csv").read_text(encoding="utf-8-sig").splitlines()
    (folder / "danh-muc.csv").write_text("\n".join([*lines, lines[3]]), encoding="utf-8-sig")
    report = collect(load_config(folder / "stisync.toml"), "danh-muc-csv")
    dup = [p for p in report.problems if p.code == "duplicate_id"]
    assert [(p.row, p.record_id) for p in dup] == [(16, "DM-2024-001")]
    assert (report.read, report.accepted) == (13, 6)


def test_a_source_that_cannot_be_read_is_a_failure(config: Config) -> None:
    report = collect(config, "missing-file")
    assert report.exit_code == 2
    assert report.error is not None and "khong-co.xlsx" in report.error
    assert report.error_text("vi").startswith("không đọc được nguồn: ")
    assert report.error_text("en").startswith("cannot read the source: ")


def test_the_workbook_opens_back_with_problems_summary_and_share(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "bao-cao.xlsx"
    write_report(collect(config, "danh-muc-xlsx"), path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tóm tắt", "Lỗi"]
    problems = list(wb["Lỗi"].iter_rows(values_only=True))
    assert problems[0] == (
        "Trang tính",
        "Dòng",
        "Cột",
        "Tên cột",
        "Mã hồ sơ",
        "Giá trị gốc",
        "Trường quốc gia",
        "Mã lỗi",
        "Nội dung lỗi",
        "Vị trí trong nguồn",
    )
    rows = {r[1]: r for r in problems[1:]}
    assert sorted(rows) == [5, 6, 7, 8, 9, 10]
    assert rows[5][:8] == (
        "Danh mục",
        5,
        "H",
        "Ngày bắt đầu",
        "DM-2024-002",
        "31/02/2024",
        "start_date",
        "bad_date",
    )
    assert rows[5][9] == "danh-muc.xlsx, sheet Danh mục, row 5"
    # The formula-like label comes back as text with OWASP's quote, never as a formula.
    assert rows[8][5] == "'" + FORMULA
    assert all(c.data_type != "f" for row in wb["Lỗi"].iter_rows() for c in row)
    # A negative amount typed as a number stays a number: it still sums in Excel.
    assert rows[10][5] == -5
    assert wb["Lỗi"].cell(7, 6).data_type == "n"
    summary = [r for r in wb["Tóm tắt"].iter_rows(values_only=True) if any(r)]
    assert ("50%", "bản ghi sẽ được cơ sở dữ liệu quốc gia chấp nhận") in [r[:2] for r in summary]
    assert any(r[0] == "unknown_label" and r[2] == 2 for r in summary)


def test_the_csv_report_quotes_every_cell_that_could_start_a_formula(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "bao-cao.csv"
    write_report(collect(config, "danh-muc-csv"), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["Dòng"] for r in rows] == ["5", "6", "7", "8", "9", "10"]
    by_row = {r["Dòng"]: r for r in rows}
    assert by_row["8"]["Giá trị gốc"] == "'" + FORMULA
    assert by_row["10"]["Giá trị gốc"] == "'-5"  # a CSV has no numbers: text is quoted
    assert by_row["7"]["Nội dung lỗi"] == "Thiếu tên nhiệm vụ (title)."
    assert by_row["6"]["Trường quốc gia"] == "management_level"
    assert not any(v[:1] in "=+-@" for r in rows for v in r.values() if v)


def test_the_html_report_leads_with_the_share_and_escapes_source_values(config: Config) -> None:
    html = render_html(collect(config, "danh-muc-xlsx"), "vi")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="vi">' in html
    assert SCRIPT not in html and "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    share = html.index('<div class="big">50%</div>')
    summary = html.index("<h2>Tóm tắt theo loại lỗi</h2>")
    problems = html.index("<h2>Danh sách lỗi (6)</h2>")
    assert share < summary < problems
    assert "6 trên 12 bản ghi đọc được" in html
    # Standalone: styles inline, nothing fetched.
    assert "<style>" in html and "<link" not in html and " src=" not in html
    rows = html[problems:].split("<tr>")[2:]
    assert [r.split('<td class="num">')[1].split("<")[0] for r in rows] == [
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]


def test_records_of_an_api_are_found_by_their_place_in_it() -> None:
    report = QualityReport("tinh-api", location="https://qlkh.example/api/nhiem-vu", read=1)
    problem = ProblemRow(
        sheet="",
        row=None,
        column="",
        header="$.ten_nhiem_vu",
        record_id="QL-1",
        value=None,
        field="title",
        code="required",
        message_vi="Thiếu tên nhiệm vụ (title).",
        message_en="Task title (title) is missing.",
        where="https://qlkh.example/api/nhiem-vu?page=2, page 2, item 3",
    )
    report.add(problem)
    html = render_html(report, "vi")
    assert "<th>Vị trí trong nguồn</th>" in html
    assert "<td>https://qlkh.example/api/nhiem-vu?page=2, page 2, item 3</td>" in html
    assert "0%" in html and "0 trên 1 bản ghi đọc được" in html
    # A spreadsheet's sheet and row say it already.
    sheet = QualityReport("tinh-xlsx", read=1, spreadsheet=True)
    sheet.add(replace(problem, sheet="Danh mục", row=7, column="B", where="x.xlsx, row 7"))
    html = render_html(sheet, "vi")
    assert "Vị trí trong nguồn" not in html and "<td>Danh mục</td>" in html


def test_english_on_request(config: Config) -> None:
    html = render_html(collect(config, "danh-muc-csv"), "en")
    assert '<html lang="en">' in html
    assert "<h2>Summary by kind of problem</h2>" in html
    assert "6 of 12 records read" in html
    assert "does not exist (month 2 of 2024 has 29 days)" in html
    assert "không tồn tại" not in html


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠SUM(A1)"],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "fw-equals", "fw-plus", "fw-minus", "fw-at"],
)
def test_a_cell_that_could_start_a_formula_gets_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert csv_cell(text) == "'" + text
    assert xlsx_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "in_csv", "in_xlsx"),
    [
        ("Cấp vùng", "Cấp vùng", "Cấp vùng"),
        ("1=1", "1=1", "1=1"),
        (" =1", " =1", " =1"),
        ("'=1", "'=1", "'=1"),
        (-5, "'-5", -5),
        (-1.5, "'-1.5", -1.5),
        (12, "12", 12),
        (None, "", None),
        ("a\x00b", "a\x00b", "a\ufffdb"),
    ],
    ids=[
        "text",
        "inner-equals",
        "space-first",
        "quoted",
        "neg-int",
        "neg-float",
        "int",
        "none",
        "control-char",
    ],
)
def test_what_is_not_a_formula_is_left_alone(value: Any, in_csv: str, in_xlsx: Any) -> None:
    assert csv_cell(value) == in_csv
    assert xlsx_cell(value) == in_xlsx


def test_cells_in_an_old_font_are_counted_and_named_in_every_report(tmp_path: Path) -> None:
    folder = tmp_path / "tinh"
    write_messy_source(folder)
    # Rows typed in TCVN3 (ABC) by an older hand: the title and the host of two rows.
    rows = [t.row() for t in make_tasks("DM", 4, seed=12, year=2024)]
    for r in rows[:2]:
        r["Tên nhiệm vụ"] = tcvn3("Nghiên cứu giống lúa chịu mặn")
        r["Tổ chức chủ trì"] = tcvn3("Viện Khoa học Nông nghiệp")
    with (folder / "danh-muc.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = collect(load_config(folder / "stisync.toml"), "danh-muc-csv")
    assert (report.read, report.accepted) == (4, 4)
    assert report.converted == {"tcvn3": 4}
    note = "4 ô được gõ bằng bảng mã cũ (TCVN3 (ABC): 4) được đọc và gửi đi bằng Unicode"
    assert Note(note, warning=False) in report.notes("vi")  # information, not a warning
    assert "4 cells typed in an old font encoding (TCVN3 (ABC): 4)" in " ".join(
        n.text for n in report.notes("en"))
    assert f'<p class="note info">{note}' in render_html(report, "vi")
    target = tmp_path / "bao-cao.xlsx"
    write_report(report, target, "vi")
    summary = load_workbook(target).worksheets[0]
    assert any(note in str(c.value) for row in summary.iter_rows() for c in row if c.value)
