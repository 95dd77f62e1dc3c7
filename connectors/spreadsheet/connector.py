"""SpreadsheetConnector: a .csv, .xlsx or .xls file of task records as a provincial source."""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.base import Connector, SourceRecord
from connectors.errors import SourceConfigError
from connectors.spreadsheet.csv_reader import open_csv
from connectors.spreadsheet.header import read_header
from connectors.spreadsheet.options import SheetOptions, parse_options
from connectors.spreadsheet.rows import RowReader
from connectors.spreadsheet.sheet import OpenSheet
from connectors.spreadsheet.xls_reader import open_xls
from connectors.spreadsheet.xlsx_reader import open_xlsx

logger = logging.getLogger(__name__)


class SpreadsheetConnector(Connector):
    """One sheet of one file: a header row (found below any title rows) and a record per row.

    Options: path, id_column (required); sheet, modified_column, header_row; for .csv also
    encoding and delimiter. See connectors/spreadsheet/options.py.
    """

    kind: ClassVar[str] = "spreadsheet"

    def __init__(self, name: str, options: Mapping[str, Any], *, base_dir: Path | None = None):
        super().__init__(name, options, base_dir=base_dir)
        path = self.path_option("path")
        if path is None:  # path_option raises first; this keeps the type checker informed
            raise SourceConfigError(name, "path", "is required", "là bắt buộc")
        self.settings: SheetOptions = parse_options(name, self.options, path)

    def records(self, since: datetime | None = None) -> Iterator[SourceRecord]:
        """Every record row, or with a modified_column those modified at or after `since`.

        Without a modified_column every row is yielded: change detection is by content.
        """
        self._check_since(since)
        return self._track(self._read(since))

    def _read(self, since: datetime | None) -> Generator[SourceRecord, None, None]:
        s = self.settings
        with self._open() as sheet:
            header, rows = read_header(self.name, sheet, s.id_column, s.modified_column,
                                       s.header_row)
            logger.debug("%s: header in %s: %s", self.name, sheet.where(header.row),
                         ", ".join(header.names))
            yield from RowReader(self.name, sheet, header).records(rows, since)

    def _open(self) -> AbstractContextManager[OpenSheet]:
        s = self.settings
        if s.format == "csv":
            return open_csv(self.name, s.path, s.encoding, s.delimiter)
        if s.format == "xlsx":
            return open_xlsx(self.name, s.path, s.sheet)
        return open_xls(self.name, s.path, s.sheet)
