"""The report as CSV: the problem list, one row per problem, for a data owner's own filters.

A CSV file holds one table, so the summary and the accepted share are what the command prints.
UTF-8 with a byte-order mark, because that is how Excel on Windows knows the file is UTF-8 and
shows Vietnamese text right.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sync.quality.cells import csv_cell
from sync.quality.collect import QualityReport
from sync.quality.layout import PROBLEM_COLUMNS, headings, problem_cells


def write_csv(report: QualityReport, path: Path, lang: str) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(h) for h in headings(PROBLEM_COLUMNS, lang)])
        for p in report.sorted_problems():
            w.writerow([csv_cell(v) for v in problem_cells(p, lang)])
