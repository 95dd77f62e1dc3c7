"""The transforms by name: how one source value becomes one national value of each kind.

Each takes the raw value and the field's `Options`, returns the national value or None when
the cell is empty, and raises `Refused` for a value it cannot read (`research_field` returns the
code with how it was found; the mapper picks its scheme from the record's dates). Lists (`keywords`,
`persons`) are assembled by the mapper from these. A field with `part` first takes its half of
a cell that holds a unit and a person (`names.cell_part`); a date field with `period` takes one
end of a period (`periods`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.codes import to_code
from schemas.mapping.transforms.dates import to_timestamp
from schemas.mapping.transforms.fields import to_research_field
from schemas.mapping.transforms.money import to_dong
from schemas.mapping.transforms.names import cell_part, to_person
from schemas.mapping.transforms.periods import to_date_or_period
from schemas.mapping.transforms.text import to_long_text, to_text

Transform = Callable[[Any, Options], Any]


def _in_part(transform: Transform) -> Transform:
    """`transform`, reading only the unit or the person when the field sets `part`."""

    def read(value: Any, opts: Options) -> Any:
        if opts.part is not None:
            value = cell_part(value, opts.part)
        return transform(value, opts)

    read.__doc__ = transform.__doc__
    return read


SCALAR: dict[str, Transform] = {
    "text": _in_part(to_text),
    "long_text": to_long_text,
    "date": to_date_or_period,
    "timestamp": to_timestamp,
    "money": to_dong,
    "code": to_code,
    "research_field": to_research_field,
    "name": _in_part(to_person),
    "person": _in_part(to_person),
}

__all__ = ["SCALAR", "Options", "Transform"]
