"""Real provincial sheets (Unicode transcripts of legacy .xls files) map as people read them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.mapping import map_record, parse_mapping
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.dates import to_date

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
GROUND_TRUTH = SAMPLES / "legacy-excel" / "ground-truth"

pytestmark = pytest.mark.samples


def transcript(name: str) -> list[list[str]]:
    path = GROUND_TRUTH / name
    if not path.is_file():
        pytest.skip(f"the shared sample {name} is not beside this checkout")
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


# A district budget settlement (HCMC, 2006): the sheet says "ĐVT : 1000 đồng".
BUDGET = parse_mapping("""
[mapping]
schema_version = "1"
namespace = "cangio"
[fields]
task_code = "STT"
title = "NỘI DUNG"
"budget.total_vnd" = { from = "NĂM 2004", unit = "nghìn đồng" }
""", name="cangio.toml")


def test_thousand_dong_column_of_a_real_settlement() -> None:
    rows = transcript("2006-Mau21_CKTC_NSH.txt")
    at = next(i for i, row in enumerate(rows) if row[:1] == ["STT"])
    header = rows[at]
    records = []
    for n, row in enumerate(rows[at + 1:], start=at + 2):
        if not any(cell.strip() for cell in row):
            continue
        payload = {h: c for h, c in zip(header, row, strict=False) if h}
        result = map_record(BUDGET, payload, f"row-{n}")
        assert result.problems == [], result.problems
        records.append(result.record)
    by_title = {r["title"]: r for r in records}
    assert by_title["Tổng thu NSNN trên địa bàn"]["budget"] == {"total_vnd": 15_237_170_000}
    assert by_title["Chi đầu tư phát triển"]["task_code"] == "1"
    # rows with no amount leave the budget out rather than write 0
    assert "budget" not in by_title["Thu từ xuất khẩu, nhập khẩu"]
    # "_ Bổ sung cân đối": the sheet's own indent mark is text, kept as written
    assert "_ Bổ sung cân đối" in by_title
    assert len(records) == 17


@pytest.mark.parametrize(("name", "expected"), [
    pytest.param("2006-Mau21_CKTC_NSH.txt", "2005-09-23", id="ngay-thang-nam"),
    pytest.param("2009-20081202.257.txt", "2005-03-08", id="ngay-d/m/yyyy"),
])
def test_decision_dates_written_in_real_headers(name: str, expected: str) -> None:
    text = "\n".join("\t".join(row) for row in transcript(name))
    found = re.search(r"ngày\s+\d{1,2}(?:\s+tháng\s+\d{1,2}\s+năm\s+|/\d{1,2}/)\d{4}", text)
    assert found, "the transcript no longer holds a dated decision"
    assert to_date(found[0], Options()) == expected
