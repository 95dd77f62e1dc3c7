"""Mapping errors: a broken mapping file (raised) and a refused source value (kept inside)."""

from __future__ import annotations

from typing import Any


class MappingConfigError(Exception):
    """The mapping file is wrong: fix the file. Names the file and the key.

    `str(err)` reads like "mappings/qlkh.toml: [fields] start_date: unknown transform 'dat'".
    """

    def __init__(self, file: str, key: str | None, message: str):
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")
        self.file = file
        self.key = key
        self.message = message


class Refused(Exception):
    """A transform cannot turn a source value into the national form.

    Never leaves the package: the mapper turns it into a `Problem` row that names the field,
    the source column and the value. The reasons describe the value only.
    """

    def __init__(self, code: str, reason_vi: str, reason_en: str, value: Any = None):
        super().__init__(reason_en)
        self.code = code
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        self.value = value


def shown(value: Any, limit: int = 80) -> str:
    """A value as quoted in a message: short enough to read, long enough to find."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
