"""The per-field options a transform reads, fixed when the mapping file is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_NO_LABELS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Options:
    """Everything a transform may need besides the value itself."""

    path: str = ""                      # the national field path, named in hints
    mapping_name: str = "mapping"       # the mapping file, named in hints
    decimal_separator: str = ","
    two_digit_year_pivot: int = 50
    partial: str = "start"              # "start" | "end": which day a month or year alone is
    period: str | None = None           # "start" | "end": the cell is a period; take this end
    unit: int = 1                       # đồng per bare number (a "triệu đồng" column: 10**6)
    code_list: str | None = None
    # fold(source label) -> code, and the same with tone marks dropped
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    loose_labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    split: str | None = None            # extra separator between list items, besides newlines
    part: str | None = None             # "organization" | "person": half of a unit-and-person cell
