"""A data problem: one row of what is wrong with one record, in Vietnamese and English."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """`path` is the national field as a JSON path (`budget.total_vnd`,
    `participants[2].full_name`);
    `code` is stable (`required`, `unknown_code`, `bad_date`...); `value` is the offending value;
    `source_field` is the source column or JSON path it came from, when known."""

    path: str
    code: str
    message_vi: str
    message_en: str
    value: Any = None
    source_field: str | None = None

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi

    def with_source(self, source_field: str | None) -> Problem:
        if source_field is None or self.source_field is not None:
            return self
        return Problem(
            self.path, self.code, self.message_vi, self.message_en, self.value, source_field
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["value"] is not None and not isinstance(d["value"], (str, int, float, bool)):
            d["value"] = str(d["value"])
        return {k: v for k, v in d.items() if v is not None}
