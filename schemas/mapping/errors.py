"""Mapping errors: a broken mapping file (raised) and a refused source value (kept inside)."""

from __future__ import annotations

from typing import Any


class MappingConfigError(Exception):
    """The mapping file is wrong: fix the file. Names the file and the key.

    `str(err)` reads like "mappings/qlkh.toml: [fields] start_date: unknown transform 'dat'":
    English, for logs and run records that the national agency's staff read too. The
    province's admin who fixes the file reads `text("vi")`, the same facts in Vietnamese.
    """

    def __init__(self, file: str, key: str | None, message: str, message_vi: str):
        super().__init__(self._framed(file, key, message))
        self.file = file
        self.key = key
        self.message = message
        self.message_vi = message_vi

    @staticmethod
    def _framed(file: str, key: str | None, message: str) -> str:
        return f"{file}: {key}: {message}" if key else f"{file}: {message}"

    def text(self, lang: str = "vi") -> str:
        """The whole error, file and key included, in `lang` ("vi" or "en")."""
        return self._framed(self.file, self.key, self.message if lang == "en" else self.message_vi)


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
