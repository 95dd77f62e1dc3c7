"""The transforms by name: how one source value becomes one national value of each kind.

Each takes the raw value and the field's `Options`, returns the national value or None when
the cell is empty, and raises `Refused` for a value it cannot read. Lists (`keywords`,
`persons`) are assembled by the mapper from these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.codes import to_code
from schemas.mapping.transforms.dates import to_date, to_timestamp
from schemas.mapping.transforms.money import to_dong
from schemas.mapping.transforms.names import to_person
from schemas.mapping.transforms.text import to_long_text, to_text

Transform = Callable[[Any, Options], Any]

SCALAR: dict[str, Transform] = {
    "text": to_text,
    "long_text": to_long_text,
    "date": to_date,
    "timestamp": to_timestamp,
    "money": to_dong,
    "code": to_code,
    "name": to_person,
    "person": to_person,
}

__all__ = ["SCALAR", "Options", "Transform"]
