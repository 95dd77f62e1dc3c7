"""Data rows of a sheet turned into SourceRecords: which rows are records, and what they hold."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openpyxl.utils import get_column_letter

from connectors.base import SourceRecord
from connectors.spreadsheet.cells import LOCAL_TZ, cell_text, is_empty, parse_moment
from connectors.spreadsheet.header import Header, header_key, unique_name
from connectors.spreadsheet.sheet import OpenSheet, Row

logger = logging.getLogger(__name__)

_TOTAL_WORDS = frozenset({"tổng", "cộng", "tổng cộng", "tổng số", "cộng tổng", "total",
                          "grand total"})
# A section's number in the id column: "I", "II.", "A", "B.", "1." with a title beside it.
_SECTION_MARK = re.compile(r"^(?:[IVXLC]+|[A-ZĐ])[.)]?$")
_ID_LIKE = re.compile(r"^\S{1,64}$")
# Past this many, bad dates in the modified column are logged at debug level only.
_DATE_WARNINGS = 10


class RowReader:
    """Reads the rows after the header; keeps the column names, widened when a row has data
    to the right of the header's last named column."""

    def __init__(self, source: str, sheet: OpenSheet, header: Header):
        self.source = source
        self.sheet = sheet
        self.header = header
        self.names = list(header.names)
        self.columns = header.columns
        self._taken = {n.casefold() for n in self.names}
        self._id_key = header_key(header.names[header.id_index])
        self._bad_dates = 0

    def records(self, rows: Iterator[Row], since: datetime | None) -> Iterator[SourceRecord]:
        for number, cells in rows:
            record = self.record(number, cells, since)
            if record is not None:
                yield record

    def record(self, number: int, cells: list[Any], since: datetime | None = None
               ) -> SourceRecord | None:
        """The row's record, or None (logged) for a blank, section-header, total or repeated
        header row, or a row modified before `since`."""
        filled = {i: v for i, v in enumerate(cells) if not is_empty(v)}
        id_index = self.header.id_index
        record_id = cell_text(cells[id_index]) if id_index < len(cells) else ""
        skip = _skip_reason(filled, record_id, self._id_key)
        if skip:
            logger.debug("%s: %s is %s, skipped", self.source, self.sheet.where(number), skip)
            return None
        modified_at, date_only = self._modified(number, cells)
        if since is not None and modified_at is not None and _before(modified_at, date_only,
                                                                     since):
            logger.debug("%s: %s was modified before %s, skipped", self.source,
                         self.sheet.where(number), since.isoformat())
            return None
        if max(filled) >= len(self.names):
            self._widen(max(filled) + 1, number)
        origin = self.sheet.origin(number)
        origin["columns"] = self.columns
        return SourceRecord(
            source=self.source,
            record_id=record_id,
            modified_at=modified_at,
            # Every column is present (None when empty), as in a CSV row, so that a mapping can
            # tell an empty cell from a column the sheet does not have.
            payload={name: filled.get(i) for i, name in enumerate(self.names)},
            origin=origin,
        )

    def _modified(self, number: int, cells: list[Any]) -> tuple[datetime | None, bool]:
        """The row's modification time, and whether its cell held a date only."""
        index = self.header.modified_index
        if index is None or index >= len(cells):
            return None, False
        try:
            parsed = parse_moment(cells[index])
        except ValueError as exc:
            # The row is still yielded: a record whose date cannot be read may have changed.
            self._bad_dates += 1
            level = logging.WARNING if self._bad_dates <= _DATE_WARNINGS else logging.DEBUG
            logger.log(level, "%s: %s, column %r: %s; the row is read as changed", self.source,
                       self.sheet.where(number), self.names[index], exc)
            return None, False
        return parsed if parsed else (None, False)

    def _widen(self, width: int, number: int) -> None:
        # A new dict, so that records already yielded keep the columns they were read with.
        columns = dict(self.columns)
        added = []
        for index in range(len(self.names), width):
            name = unique_name("", index, self._taken)
            self.names.append(name)
            added.append(name)
            columns[name] = get_column_letter(index + 1)
        self.columns = columns
        logger.warning("%s: %s has data right of the header's last column; read as %s",
                       self.source, self.sheet.where(number), ", ".join(added))


def _skip_reason(filled: dict[int, Any], record_id: str, id_key: str) -> str | None:
    if not filled:
        return "blank"
    if len(filled) == 1 and not _ID_LIKE.match(record_id):
        # One cell of text, wherever it is (often the first column, which may be the id
        # column): "I. NHIỆM VỤ CẤP TỈNH" heads a section. A lone id is kept and reported.
        return "a section header"
    if len(filled) == 2 and _SECTION_MARK.match(record_id):
        return "a section header"  # "I" | "ĐỀ TÀI CẤP TỈNH", numbered in the id column
    if record_id:
        if header_key(record_id) == id_key:
            return "a repeated header row"
        # "Cộng" written in the id column is a sum, never a task's code.
        return "a total row" if _is_total(record_id) else None
    if len(filled) <= 1:
        return "a section header"
    if any(isinstance(v, str) and _is_total(v) for v in filled.values()):
        return "a total row"
    # An id-less row with data is kept, so that mapping reports it instead of losing it.
    return None


def _before(modified_at: datetime, date_only: bool, since: datetime) -> bool:
    if date_only:
        # A date-only cell says the row changed some time that day, maybe after `since`.
        return modified_at.date() < since.astimezone(LOCAL_TZ).date()
    return modified_at < since


def _is_total(text: str) -> bool:
    key = header_key(text).strip(" :.-")
    return key in _TOTAL_WORDS or key.startswith("tổng cộng")
