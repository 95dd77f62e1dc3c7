"""Research fields: "10101", "1.01.01", "Toán học cơ bản" or "10101 - Toán học cơ bản" as a code.

A province writes its field of science as the code, the printed name of Decision 12/2008 (at
any of its three levels, spelled any usual way), both together, or a path from field down to
major on several lines. The code comes out; which classification it belongs to (Decision
12/2008 or Circular 24/2025) is decided by the mapper from the record's dates, because the cell
alone cannot say. A name that matches no entry, or several, is refused with what it matched:
never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from schemas.codelists import qd12_2008_close_names, qd12_2008_codes_named
from schemas.mapping.errors import Refused, shown
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import clean

# 1, 3, 5 or 7 digits, grouped as printed ("1.01.01", "101-01") or not.
_CODE = r"[1-9](?:[ .\-]?\d\d){0,3}"
_ONLY_CODE = re.compile(r"\(?(\d[\d .\-]*)\)?")     # checked by _digits
_CODE_FIRST = re.compile(rf"\(?({_CODE})\)?\s*[-–—:.)]?\s*(\D.*)")
_CODE_LAST = re.compile(rf"(.*\D)\s*[-–—:(]\s*({_CODE})\)?")
# Several entries in one cell: a path down the levels, or a list.
_PARTS = re.compile(r"\s*(?:\n|;|>|»|→)\s*")


@dataclass(frozen=True)
class FieldCode:
    """The code read from a cell, and whether it was found from a name (Decision 12/2008's)."""

    code: str
    by_name: bool


def to_research_field(value: Any, opts: Options) -> FieldCode | None:
    """A research field code from a code, a printed name, both, or a path of them."""
    text = clean(value, keep_newlines=True)
    if text is None:
        return None
    parts = [p for p in _PARTS.split(text) if p]
    found = [_one(p) for p in parts]
    deepest = max(found, key=lambda f: len(f.code))
    # A path "Khoa học tự nhiên > Toán học và thống kê > Toán học cơ bản" names one major.
    if all(deepest.code.startswith(f.code) for f in found):
        return deepest
    codes = ", ".join(dict.fromkeys(f.code for f in found))
    raise Refused("many_values", f"ô ghi nhiều lĩnh vực khác nhau ({codes}); nhiệm vụ chỉ có "
                  "một lĩnh vực", f"the cell names several different fields ({codes}); a task "
                  "has one field", text)


def _one(text: str) -> FieldCode:
    """One entry: a code, a name, or a code with its name (which must agree)."""
    if m := _ONLY_CODE.fullmatch(text):
        return FieldCode(_digits(m.group(1), text), by_name=False)
    if m := _CODE_FIRST.fullmatch(text):
        return _agreeing(_digits(m.group(1), text), m.group(2), text)
    if m := _CODE_LAST.fullmatch(text):
        return _agreeing(_digits(m.group(2), text), m.group(1), text)
    return FieldCode(_named(text), by_name=True)


def _digits(code: str, text: str) -> str:
    digits = re.sub(r"[ .\-]", "", code)
    if len(digits) not in (1, 3, 5, 7):
        raise Refused("bad_field_code", "mã lĩnh vực có 1, 3, 5 hoặc 7 chữ số",
                      "a field code has 1, 3, 5 or 7 digits", text)
    return digits


def _agreeing(code: str, name: str, text: str) -> FieldCode:
    """The code, when the name written beside it is that code's name or unknown to us."""
    name = name.strip(" -–—:.()")
    named = qd12_2008_codes_named(name)
    if named and code not in named:
        others = ", ".join(named)
        raise Refused("research_field_mismatch",
                      f"mã {code} không khớp với tên “{shown(name, 60)}” (tên này là mã {others} "
                      "theo QĐ 12/2008); sửa mã hoặc tên trong nguồn",
                      f"code {code} does not match the name “{shown(name, 60)}” (that name is "
                      f"code {others} in Decision 12/2008); correct the code or the name at the "
                      "source", text)
    return FieldCode(code, by_name=False)


def _named(name: str) -> str:
    codes = qd12_2008_codes_named(name)
    if len(codes) == 1:
        return codes[0]
    if codes:
        listed = ", ".join(codes)
        raise Refused("ambiguous_research_field",
                      f"tên này có ở nhiều cấp của QĐ 12/2008 (mã {listed}); ghi mã thay cho tên",
                      f"this name is printed at several levels of Decision 12/2008 (codes "
                      f"{listed}); write the code instead of the name", name)
    close = qd12_2008_close_names(name)
    near_vi = f" (gần nhất: “{close[0]}”)" if close else ""
    near_en = f" (closest: “{close[0]}”)" if close else ""
    raise Refused("unknown_research_field",
                  f"không phải mã hay tên lĩnh vực nào trong QĐ 12/2008{near_vi}",
                  f"neither a code nor a name of a field in Decision 12/2008{near_en}", name)
