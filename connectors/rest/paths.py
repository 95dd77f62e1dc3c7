"""Dotted paths into JSON bodies and records (`data.items`, `cap_quan_ly.id`, `items.0.id`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Distinct from None, because a key holding null and an absent key mean different things.
MISSING: Any = object()


class NotAPath(ValueError):
    """A text that is not a dotted path. `str()` says why in English, `vi` in Vietnamese, for
    the option error that quotes it."""

    def __init__(self, text: str):
        super().__init__(f"{text!r} is not a dotted path (an empty step between dots)")
        self.vi = (f"{text!r} không phải là đường dẫn phân cách bằng dấu chấm (có một bước rỗng "
                   "giữa hai dấu chấm)")


@dataclass(frozen=True)
class DottedPath:
    """Object keys separated by dots; a whole-number key also indexes a list.

    The empty path means the value itself, so `records_path = ""` reads a body that is a list.
    """

    text: str
    keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = tuple(self.text.split(".")) if self.text else ()
        if any(not k.strip() for k in keys):
            raise NotAPath(self.text)
        object.__setattr__(self, "keys", keys)

    def find(self, value: Any) -> Any:
        """The value at this path, or `MISSING` when a step is absent."""
        for key in self.keys:
            value = _step(value, key)
            if value is MISSING:
                break
        return value

    def get(self, value: Any, default: Any = None) -> Any:
        found = self.find(value)
        return default if found is MISSING else found

    def deepest(self, value: Any) -> tuple[str, Any]:
        """The longest prefix of this path that exists, and the value there (for messages)."""
        reached: list[str] = []
        for key in self.keys:
            step = _step(value, key)
            if step is MISSING:
                break
            reached.append(key)
            value = step
        return ".".join(reached), value

    def __str__(self) -> str:
        return self.text


def _step(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key, MISSING)
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    return MISSING
