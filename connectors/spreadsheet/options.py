"""The spreadsheet connector's settings, checked once when the source is configured."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import text_option
from connectors.errors import SourceConfigError

FORMATS: dict[str, str] = {".csv": "csv", ".xlsx": "xlsx", ".xls": "xls"}
DELIMITERS = ",;\t|"
_KNOWN = frozenset({
    "path", "sheet", "id_column", "modified_column", "encoding", "delimiter", "header_row",
    # The source's own table names the kind; tolerate it here when a config repeats it.
    "kind",
})


@dataclass(frozen=True)
class SheetOptions:
    """`sheet`, `delimiter` and `header_row` are None for "first sheet" / "auto"."""

    path: Path
    format: str
    id_column: str
    modified_column: str | None = None
    sheet: str | int | None = None
    encoding: str = "auto"
    delimiter: str | None = None
    header_row: int | None = None


def parse_options(source: str, options: Mapping[str, Any], path: Path) -> SheetOptions:
    """Check the `[sources.NAME.connector]` table of a spreadsheet source; no file I/O."""
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        known = ", ".join(sorted(_KNOWN - {"kind"}))
        raise SourceConfigError(source, unknown[0], f"is not a spreadsheet option; known: {known}")

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(FORMATS)
        raise SourceConfigError(
            source, "path", f"{path.name!r} has an unsupported extension; supported: {supported}"
        )
    id_column = text_option(source, options, "id_column", strip=False)
    if id_column is None:
        raise SourceConfigError(source, "id_column", "is required: the column holding the "
                                "source's record id")
    modified_column = text_option(source, options, "modified_column", strip=False)

    sheet = options.get("sheet")
    if sheet is not None:
        if fmt == "csv":
            raise SourceConfigError(source, "sheet", "applies to .xlsx and .xls files, not .csv")
        sheet = _sheet(source, sheet)

    encoding = text_option(source, options, "encoding", strip=False) or "auto"
    delimiter = text_option(source, options, "delimiter", strip=False) or "auto"
    if fmt != "csv":
        for key, value in (("encoding", encoding), ("delimiter", delimiter)):
            if value != "auto":
                raise SourceConfigError(source, key, "applies to .csv files only")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceConfigError(
                source, "encoding", f"{encoding!r} is not a known text encoding "
                "(use auto, utf-8, utf-8-sig, utf-16, cp1258 or another Python codec)"
            ) from None

    return SheetOptions(
        path=path, format=fmt, id_column=id_column, modified_column=modified_column,
        sheet=sheet, encoding=encoding, delimiter=_delimiter(source, delimiter),
        header_row=_header_row(source, options.get("header_row", "auto")),
    )


def _sheet(source: str, value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SourceConfigError(source, "sheet", f"must be a sheet name or a 1-based number, "
                                f"not {value!r}")
    if isinstance(value, int) and value < 1:
        raise SourceConfigError(source, "sheet", f"numbers start at 1, not {value}")
    if isinstance(value, str) and not value.strip():
        raise SourceConfigError(source, "sheet", "must not be empty")
    return value


def _delimiter(source: str, value: str) -> str | None:
    if value == "auto":
        return None
    if value.lower() == "tab":
        return "\t"
    if len(value) != 1 or value in "\"\r\n":
        raise SourceConfigError(source, "delimiter", f"must be auto or one character such as "
                                f"{', '.join(repr(d) for d in DELIMITERS)}, not {value!r}")
    return value


def _header_row(source: str, value: Any) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourceConfigError(source, "header_row", f"must be auto or a row number from 1, "
                                f"not {value!r}")
    return value
