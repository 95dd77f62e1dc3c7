"""Text values: a source cell as a clean NFC string, or nothing when it is empty."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options

# Lone surrogates come from broken decoders and cannot be encoded as UTF-8 later on.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# Control characters and invisible format marks that only ever arrive by accident.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060\ufeff]")
# Anything the three patterns above would change: most cells hold none of it.
_ODD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b\u2060\ufeff\ud800-\udfff]")
_LINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# What spreadsheets put in a cell to say "nothing here".
PLACEHOLDERS = frozenset({"-", "--", "---", "–", "—", "n/a", "#n/a"})


def scalar_text(value: Any) -> str | None:
    """The text of a scalar cell (numbers as a person would type them); None for None or NaN."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused("bad_type", "giá trị đúng/sai không phải văn bản",
                      "a true/false value is not text", value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise Refused("bad_type", "số vô hạn không phải văn bản",
                          "an infinite number is not text", value)
        # Spreadsheets store a typed code such as 10101 as the float 10101.0.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None if value.is_nan() else scalar_text(float(value))
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    kind = "đối tượng" if isinstance(value, dict) else "danh sách" if isinstance(
        value, (list, tuple)) else type(value).__name__
    kind_en = "an object" if isinstance(value, dict) else "a list" if isinstance(
        value, (list, tuple)) else f"a {type(value).__name__}"
    hint = ""
    if isinstance(value, dict) and value:
        keys = ", ".join(sorted(str(k) for k in value)[:6])
        hint = f"; point the path at one of its keys: {keys}"
    raise Refused("bad_type", f"nhận được {kind}, cần một giá trị đơn{hint}",
                  f"got {kind_en}, expected a single value{hint}", value)


def normalize(text: str, *, keep_newlines: bool = False) -> str:
    """NFC, no control characters, single spaces; with `keep_newlines`, lines and one blank line
    between paragraphs survive. Idempotent."""
    s = text
    if _ODD.search(s):
        s = _SURROGATES.sub("\ufffd", s)
        s = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", s))
    s = unicodedata.normalize("NFC", s)
    if not keep_newlines:
        return " ".join(s.split())
    lines = [_LINE_SPACE.sub(" ", line).strip() for line in s.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def has_controls(text: str) -> bool:
    """Whether `text` holds characters `normalize` drops (controls, invisible marks)."""
    return _CONTROLS.search(text) is not None


def without_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def clean(value: Any, *, keep_newlines: bool = False) -> str | None:
    """A cell as normalised text; None when empty or a placeholder such as "-"."""
    raw = scalar_text(value)
    if raw is None:
        return None
    s = normalize(raw, keep_newlines=keep_newlines)
    if not s or s.casefold() in PLACEHOLDERS:
        return None
    return s


def to_text(value: Any, opts: Options) -> str | None:
    return clean(value)


def to_long_text(value: Any, opts: Options) -> str | None:
    return clean(value, keep_newlines=True)


def is_empty(value: Any) -> bool:
    """True for what a person would call an empty cell."""
    if value is None:
        return True
    if isinstance(value, str):
        return clean(value) is None
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


_MARKS = re.compile(r"[\u0300-\u036f]")


def ascii_fold(text: str) -> str:
    """Lower case without tone marks or the đ stroke: the form our patterns are written in."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return _MARKS.sub("", s).casefold()
