"""An open sheet: its rows as (row number, cells), whatever the file format, and where it is."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import describe_origin
from connectors.errors import SourceConfigError, SourceUnavailable

Row = tuple[int, list[Any]]


def _no_merges(_row: int, cells: list[Any]) -> list[Any]:
    return cells


@dataclass
class OpenSheet:
    """`rows` yields every row, blank ones included, numbered from 1 as Excel shows them.
    `fill_merged` gives a header row the values of merged ranges that cover it."""

    file: str
    sheet: str | None
    rows: Iterator[Row]
    fill_merged: Callable[[int, list[Any]], list[Any]] = field(default=_no_merges)

    def where(self, row: int | None = None) -> str:
        parts = [self.file]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if row is not None:
            parts.append(f"row {row}")
        return ", ".join(parts)

    def where_vi(self, row: int | None = None) -> str:
        """`where(row)` in Vietnamese, as records' places read: "tệp nv.xlsx, trang tính Danh
        mục, dòng 12"."""
        return describe_origin(self.origin(row), "vi")

    def origin(self, row: int | None = None) -> dict[str, Any]:
        """The place of `row` (of the whole sheet when None) as a record's origin holds it."""
        origin: dict[str, Any] = {"file": self.file}
        if self.sheet is not None:
            origin["sheet"] = self.sheet
        if row is not None:
            origin["row"] = row
        return origin


def require_file(source: str, path: Path) -> None:
    """A missing file is a source that is not there yet (a share not mounted, an export not
    written): the run can be tried again later."""
    if not path.exists():
        raise SourceUnavailable(source, f"file {path} does not exist",
                                f"tệp {path} không tồn tại")
    if not path.is_file():
        raise SourceUnavailable(source, f"{path} is not a file", f"{path} không phải là tệp")


def choose_sheet(source: str, file: str, names: Sequence[str], wanted: str | int | None) -> str:
    """The sheet named by the `sheet` option: a name (exact, else ignoring case, accents
    composition and spacing) or a 1-based number; the first sheet when None."""
    listed = ", ".join(repr(n) for n in names) or "none"
    if not names:
        raise SourceConfigError(source, "sheet", f"cannot be chosen: {file} has no worksheets",
                                f"không chọn được: {file} không có trang tính nào")
    if wanted is None:
        return names[0]
    if isinstance(wanted, int):
        if wanted <= len(names):
            return names[wanted - 1]
        raise SourceConfigError(
            source, "sheet", f"is {wanted} but {file} has {len(names)} sheet(s): {listed}",
            f"là {wanted} nhưng {file} chỉ có {len(names)} trang tính: {listed}",
        )
    if wanted in names:
        return wanted
    loose = {_loose(n): n for n in reversed(names)}
    if _loose(wanted) in loose:
        return loose[_loose(wanted)]
    raise SourceConfigError(source, "sheet", f"{wanted!r} is not in {file}; its sheets: {listed}",
                            f"có giá trị {wanted!r}, nhưng {file} không có trang tính này; các "
                            f"trang tính của tệp: {listed}")


def _loose(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()
