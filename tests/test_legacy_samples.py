"""The real legacy workbooks (TCVN3, VNI, mixed), read with the project's .xls reader, convert
cell for cell to their checked Unicode transcripts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import xlrd

from connectors.errors import SourceConfigError
from connectors.spreadsheet.xls_reader import open_xls
from schemas.mapping.legacy import SourceText
from schemas.vietnamese import convert
from tests.conftest import samples_dir

pytestmark = pytest.mark.samples

WORKBOOKS = ["2005-KH2003-bieu", "2006-Mau21_CKTC_NSH", "2009-20081202.257"]

# Cells where the transcript is wrong and the converter right. The transcript's per-line
# mixing script read these TCVN3 cells as VNI ("xuÊt" became "xŭt", with a breve no
# Vietnamese letter has) or left them raw; every neighbouring cell of the same sheets is TCVN3,
# and the TCVN3 reading is the word a reader of the printed form sees.
# (workbook, transcript line, column): (transcript, right)
TRANSCRIPT_ERRORS = {
    ("2005-KH2003-bieu", 118, 0): ("MÝa", "Mía"),
    ("2005-KH2003-bieu", 118, 1): ("TriƯu tÊn", "Triệu tấn"),
    ("2005-KH2003-bieu", 160, 1): ("TriƯu lÝt", "Triệu lít"),
    ("2005-KH2003-bieu", 162, 1): ("TriƯu lÝt", "Triệu lít"),
    ("2005-KH2003-bieu", 178, 0): ("So víi tỉng xŭt khÈu", "So với tổng xuất khẩu"),
    ("2005-KH2003-bieu", 180, 0): ("So víi tỉng xŭt khÈu", "So với tổng xuất khẩu"),
    ("2005-KH2003-bieu", 182, 0): ("So víi tỉng xŭt khÈu", "So với tổng xuất khẩu"),
    ("2005-KH2003-bieu", 217, 0): ("So víi xŭt khÈu", "So với xuất khẩu"),
}
_ERROR_CODES = {text: str(code) for code, text in xlrd.error_text_from_code.items()}


def _folder() -> Path:
    return samples_dir() / "legacy-excel"


def _sheets(path: Path) -> list[list[list[Any]]]:
    """Every sheet's rows as the project's reader gives them, trailing blank rows dropped (the
    transcripts stop at each sheet's last used row)."""
    sheets: list[list[list[Any]]] = []
    number = 1
    while True:
        try:
            with open_xls("legacy", path, number) as sheet:
                rows = [cells for _, cells in sheet.rows]
        except SourceConfigError:
            return sheets
        while rows and all(c is None or (isinstance(c, str) and not c.strip()) for c in rows[-1]):
            rows.pop()
        sheets.append(rows)
        number += 1


def _shown(value: Any, hint: str | None) -> str:
    """A cell as the transcript writes it: text converted with spaces collapsed, numbers as
    Excel's General format shows them, errors by their BIFF code."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value in _ERROR_CODES:
            return _ERROR_CODES[value]
        return " ".join(convert(value, hint=hint).text.split())
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _hint(cells: list[Any]) -> str:
    """The legacy encoding most of a workbook's cells are found in, as the pipeline would
    tally it for a source."""
    found = Counter(convert(c).encoding for c in cells if isinstance(c, str))
    return max(("tcvn3", "vni"), key=lambda name: found[name])


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_converts_cell_for_cell_to_its_transcript(name: str) -> None:
    _compare(name, pipeline=False)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_read_as_a_source_converts_to_its_transcript(name: str) -> None:
    # As a sync reads it: row by row, each row's own cells deciding its ambiguous ones.
    _compare(name, pipeline=True)


def _compare(name: str, *, pipeline: bool) -> None:
    folder = _folder()
    transcript = (folder / "ground-truth" / f"{name}.txt").read_text(encoding="utf-8")
    lines = transcript.rstrip("\n").split("\n")
    rows = [row for sheet in _sheets(folder / "corpus" / f"{name}.xls") for row in sheet]
    assert len(rows) == len(lines)
    hint = _hint([c for row in rows for c in row])
    text = SourceText()
    differences = []
    compared = 0
    for number, (row, line) in enumerate(zip(rows, lines, strict=True), start=1):
        wanted = line.split("\t")
        if pipeline:
            text.start_record({str(i): c for i, c in enumerate(row)})
        for column in range(max(len(row), len(wanted))):
            cell = row[column] if column < len(row) else None
            if pipeline and isinstance(cell, str) and cell not in _ERROR_CODES:
                got = " ".join(text.read(cell).text.split())
            else:
                got = _shown(cell, hint)
            want = wanted[column] if column < len(wanted) else ""
            known = TRANSCRIPT_ERRORS.get((name, number, column))
            if known is not None:
                assert want == known[0], "the transcript was corrected: drop the entry"
                want = known[1]
            compared += bool(want)
            if got != want:
                differences.append((number, column, got, want))
    assert differences == []
    assert compared >= 50  # the smallest workbook has 56 filled cells


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2005-KH2003-bieu", "tcvn3"),
        ("2006-Mau21_CKTC_NSH", "vni"),
        ("2009-20081202.257", "vni"),
    ],
)
def test_each_workbook_is_found_in_its_encoding(name: str, expected: str) -> None:
    cells = [
        c
        for sheet in _sheets(_folder() / "corpus" / f"{name}.xls")
        for row in sheet
        for c in row
        if isinstance(c, str) and not c.isascii()
    ]
    found = Counter(convert(c).encoding for c in cells)
    # the rest is punctuation left as it is ("‰", "……")
    assert found[expected] >= 0.95 * len(cells), found
