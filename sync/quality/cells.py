"""Cells that a spreadsheet program can never run: the OWASP rule against CSV injection.

A report copies values from the source as they are, and a source value like
`=HYPERLINK("http://…")` or `@SUM(…)` would become a live formula when the report is opened
in Excel or LibreOffice. OWASP's rule: a cell that starts with = + - @ TAB or CR is prefixed
with a single quote, which spreadsheet programs show as text. The fullwidth forms (＝ ＋ － ＠)
are included, since some spreadsheet programs fold them to their ASCII forms.
A number is not text: in a workbook it stays a number cell (a negative amount keeps its sign
and sums); a CSV file has no types, so there every cell is text and the rule applies to all.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
_XML_ILLEGAL: re.Pattern[str] = ILLEGAL_CHARACTERS_RE


def neutralise(text: str) -> str:
    """`text`, with a single quote before it when a spreadsheet would read it as a formula."""
    return "'" + text if text[:1] in TRIGGERS else text


def csv_cell(value: Any) -> str:
    """A CSV field: every value is text there, and text that could start a formula is quoted."""
    if value is None:
        return ""
    return neutralise(str(value))


def xlsx_cell(value: Any) -> Any:
    """A workbook cell value: numbers stay numbers; text is neutralised and rid of the control
    characters a workbook cannot hold (openpyxl refuses them)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return neutralise(_XML_ILLEGAL.sub("\ufffd", str(value)))
