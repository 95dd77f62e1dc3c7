"""The header row: finding it below title rows, and naming every column uniquely."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from connectors.errors import SourceConfigError, SourceDataError
from connectors.spreadsheet.cells import cell_text, is_empty
from connectors.spreadsheet.sheet import OpenSheet, Row

AUTO_ROWS = 30
_PREVIEW_ROWS = 6
_PREVIEW_CELLS = 6
_PREVIEW_WIDTH = 60


def header_text(value: Any) -> str:
    """A header cell on one line: line breaks and runs of spaces become one space."""
    return " ".join(cell_text(value).replace("\ufeff", "").split())


def header_key(value: Any) -> str:
    """What two header spellings must share to be the same column."""
    return header_text(value).casefold()


@dataclass(frozen=True)
class Header:
    """`columns` maps each name to its column letter; every record of the sheet shares it."""

    row: int
    names: tuple[str, ...]
    columns: dict[str, str]
    id_index: int
    modified_index: int | None


def read_header(source: str, sheet: OpenSheet, id_column: str, modified_column: str | None,
                header_row: int | None) -> tuple[Header, Iterator[Row]]:
    """The header, and the sheet's rows after it (the same iterator, advanced past it)."""
    rows = sheet.rows
    if header_row is None:
        number, cells = _find(source, sheet, rows, header_key(id_column), id_column)
    else:
        number, cells = _nth(source, sheet, rows, header_row)
    names = column_names(sheet.fill_merged(number, cells))
    id_index = _index(source, sheet, number, names, key="id_column", wanted=id_column)
    modified_index = None
    if modified_column is not None:
        modified_index = _index(source, sheet, number, names, key="modified_column",
                                wanted=modified_column)
    columns = {name: get_column_letter(i + 1) for i, name in enumerate(names)}
    return Header(number, tuple(names), columns, id_index, modified_index), rows


def column_names(cells: Sequence[Any]) -> list[str]:
    """Names for the columns up to the last non-empty header cell: "Cột F" for an empty one,
    "Tên (2)" for the second "Tên"."""
    width = max((i + 1 for i, v in enumerate(cells) if not is_empty(v)), default=0)
    names: list[str] = []
    taken: set[str] = set()
    for index in range(width):
        names.append(unique_name(header_text(cells[index]), index, taken))
    return names


def unique_name(text: str, index: int, taken: set[str]) -> str:
    """`text` (or "Cột <letter>" when empty) made unique among `taken`, which it joins."""
    base = text or f"Cột {get_column_letter(index + 1)}"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} ({n})"
    taken.add(name.casefold())
    return name


def _find(source: str, sheet: OpenSheet, rows: Iterator[Row], key: str, id_column: str) -> Row:
    seen: list[Row] = []
    for number, cells in rows:
        if any(header_key(v) == key for v in cells):
            return number, cells
        if any(not is_empty(v) for v in cells):
            seen.append((number, cells))
        if number >= AUTO_ROWS:
            break
    else:
        if not seen:
            raise SourceDataError(source, "the sheet is empty", where=sheet.where(),
                                  message_vi="bảng tính trống, không có dòng nào có dữ liệu",
                                  where_vi=sheet.where_vi())
    raise SourceConfigError(
        source, "id_column",
        f"{id_column!r} is not in any of the first {AUTO_ROWS} rows of {sheet.where()}, so the "
        f"header row was not found; the first rows hold: {_preview(seen, 'en')}. "
        "Correct id_column, or set header_row to the header's row number",
        f"có giá trị {id_column!r}, nhưng không có ở {AUTO_ROWS} dòng đầu của "
        f"{sheet.where_vi()} nên không tìm được dòng tiêu đề; các dòng đầu chứa: "
        f"{_preview(seen, 'vi')}. Hãy sửa id_column, hoặc đặt header_row bằng số dòng của "
        "dòng tiêu đề",
    )


def _nth(source: str, sheet: OpenSheet, rows: Iterator[Row], header_row: int) -> Row:
    last = 0
    for number, cells in rows:
        if number == header_row:
            return number, cells
        last = number
    raise SourceConfigError(source, "header_row",
                            f"is {header_row} but {sheet.where()} has only {last} row(s)",
                            f"là {header_row} nhưng {sheet.where_vi()} chỉ có {last} dòng")


def _index(source: str, sheet: OpenSheet, row: int, names: Sequence[str], *, key: str,
           wanted: str) -> int:
    target = header_key(wanted)
    for index, name in enumerate(names):
        if name.casefold() == target:
            return index
    found = ", ".join(repr(n) for n in names)
    raise SourceConfigError(
        source, key, f"{wanted!r} is not a column of the header in {sheet.where(row)}; "
        f"the headers found: {found or 'no headers at all'}",
        f"có giá trị {wanted!r}, không phải một cột của dòng tiêu đề ở {sheet.where_vi(row)}; "
        f"các tiêu đề tìm thấy: {found or 'không có tiêu đề nào'}",
    )


def _preview(rows: Iterable[Row], lang: str) -> str:
    """The first rows' filled cells, for a message in `lang` that says what was found instead
    of a header."""
    row_word, blank = ("row", "nothing but blank rows") if lang == "en" else \
        ("dòng", "chỉ có các dòng trống")
    shown = []
    for number, cells in list(rows)[:_PREVIEW_ROWS]:
        texts = [header_text(v) for v in cells if not is_empty(v)]
        parts = [repr(_clip(t)) for t in texts[:_PREVIEW_CELLS]]
        if len(texts) > _PREVIEW_CELLS:
            parts.append("…")
        shown.append(f"{row_word} {number}: " + " | ".join(parts))
    return "; ".join(shown) if shown else blank


def _clip(text: str) -> str:
    return text if len(text) <= _PREVIEW_WIDTH else text[: _PREVIEW_WIDTH - 1] + "…"
