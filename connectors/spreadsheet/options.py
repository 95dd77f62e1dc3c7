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
        raise SourceConfigError(source, unknown[0], f"is not a spreadsheet option; known: {known}",
                                f"không phải tuỳ chọn của nguồn bảng tính; các tuỳ chọn có: "
                                f"{known}")

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(FORMATS)
        raise SourceConfigError(
            source, "path", f"{path.name!r} has an unsupported extension; supported: {supported}",
            f"trỏ tới {path.name!r}, có đuôi tệp không được hỗ trợ; đọc được: {supported}",
        )
    id_column = text_option(source, options, "id_column", strip=False)
    if id_column is None:
        raise SourceConfigError(source, "id_column", "is required: the column holding the "
                                "source's record id",
                                "là bắt buộc: đó là cột chứa mã bản ghi của nguồn")
    modified_column = text_option(source, options, "modified_column", strip=False)

    sheet = options.get("sheet")
    if sheet is not None:
        if fmt == "csv":
            raise SourceConfigError(source, "sheet", "applies to .xlsx and .xls files, not .csv",
                                    "chỉ dùng cho tệp .xlsx và .xls, không dùng cho .csv")
        sheet = _sheet(source, sheet)

    encoding = text_option(source, options, "encoding", strip=False) or "auto"
    delimiter = text_option(source, options, "delimiter", strip=False) or "auto"
    if fmt != "csv":
        for key, value in (("encoding", encoding), ("delimiter", delimiter)):
            if value != "auto":
                raise SourceConfigError(source, key, "applies to .csv files only",
                                        "chỉ dùng cho tệp .csv")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceConfigError(
                source, "encoding", f"{encoding!r} is not a known text encoding "
                "(use auto, utf-8, utf-8-sig, utf-16, cp1258 or another Python codec)",
                f"có giá trị {encoding!r}, không phải bảng mã văn bản đã biết (hãy dùng auto, "
                "utf-8, utf-8-sig, utf-16, cp1258 hoặc một codec khác của Python)",
            ) from None

    return SheetOptions(
        path=path, format=fmt, id_column=id_column, modified_column=modified_column,
        sheet=sheet, encoding=encoding, delimiter=_delimiter(source, delimiter),
        header_row=_header_row(source, options.get("header_row", "auto")),
    )


def _sheet(source: str, value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SourceConfigError(source, "sheet", f"must be a sheet name or a 1-based number, "
                                f"not {value!r}",
                                f"phải là tên trang tính hoặc số thứ tự tính từ 1, không phải "
                                f"{value!r}")
    if isinstance(value, int) and value < 1:
        raise SourceConfigError(source, "sheet", f"numbers start at 1, not {value}",
                                f"đánh số từ 1, không phải {value}")
    if isinstance(value, str) and not value.strip():
        raise SourceConfigError(source, "sheet", "must not be empty", "không được để trống")
    return value


def _delimiter(source: str, value: str) -> str | None:
    if value == "auto":
        return None
    if value.lower() == "tab":
        return "\t"
    if len(value) != 1 or value in "\"\r\n":
        examples = ", ".join(repr(d) for d in DELIMITERS)
        raise SourceConfigError(source, "delimiter", f"must be auto or one character such as "
                                f"{examples}, not {value!r}",
                                f"phải là auto hoặc một ký tự như {examples}, không phải "
                                f"{value!r}")
    return value


def _header_row(source: str, value: Any) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourceConfigError(source, "header_row", f"must be auto or a row number from 1, "
                                f"not {value!r}",
                                f"phải là auto hoặc số dòng tính từ 1, không phải {value!r}")
    return value
