"""Amounts of money: whatever a province wrote ("1,25 tỷ", "1.250.000.000đ", "1 tỷ 250 triệu"),
as whole đồng.

Separators follow the rules in the `schemas.mapping` docstring, with one case refused rather
than settled: a lone decimal mark before exactly three digits ("1,250" where "," is the
decimal mark) reads as 1,25 by the convention but as 1 250 to anyone used to "," between
thousands, a thousandfold difference; the value is refused and names both readings.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import ascii_fold, clean

# A quadrillion đồng is far beyond any task budget: a larger number is a wrong column.
MAX_VND = 10**15
_MAX_DIGITS = 30

# Keyed by the word without dots or spaces: "ngh. tỷ" (nghìn tỷ, in statistics tables) -> nghty.
_FACTORS = {
    "dong": 1,
    "d": 1,
    "vnd": 1,
    "nghin": 10**3,
    "ngan": 10**3,
    "ngh": 10**3,
    "trieu": 10**6,
    "tr": 10**6,
    "ty": 10**9,
    "ti": 10**9,
    "nghinty": 10**12,
    "nganty": 10**12,
    "nghty": 10**12,
}
_MULT_WORDS = r"(?:nghin|ngan|ngh\.?) ?t[yi]|trieu|tr|nghin|ngan|ngh|ty|ti"
_MULT = rf"(?:(?P<mult>{_MULT_WORDS})\.?)?"
_CUR = r"(?:(?P<cur>dong|vnd|d)\.?)?"
_NUM = r"\d(?:[\d.,]|\s(?=\d))*"
_AMOUNT = re.compile(rf"^(?P<sign>[-−+])?\s*(?P<num>{_NUM})\s*{_MULT}\s*{_CUR}$")
# "1 tỷ 250 triệu 500 nghìn đồng": whole numbers of falling units.
_PIECE = re.compile(rf"(\d+)\s*({_MULT_WORDS})\.?\s*")
_COMPOUND = re.compile(rf"^(?:\d+\s*(?:{_MULT_WORDS})\.?\s*){{2,}}{_CUR}$")
# A column's unit: "triệu đồng", "(ĐVT: triệu đồng)", "1000 đồng", "Ngh. tỷ đồng".
_UNIT = re.compile(rf"^(?:(?P<count>1(?:[. ]?000)+)\s*)?{_MULT}\s*{_CUR}$")
_UNIT_NOISE = re.compile(r"^\(|\)$|^(?:don vi tinh|dvt)\s*:?\s*")
_TOKENS = re.compile(r"\d+|\D")
_SPACES = re.compile(r"\s+")


def _refuse(value: Any, vi: str, en: str, code: str = "bad_amount") -> Refused:
    return Refused(code, vi, en, value)


def _factor(mult: str) -> int:
    return _FACTORS[mult.replace(".", "").replace(" ", "")]


def unit_factor(unit: str) -> int | None:
    """đồng per unit of a column such as "triệu", "triệu đồng", "tỷ", "VNĐ", "1000 đồng" or
    "ĐVT: triệu đồng"; None if unknown."""
    text = _SPACES.sub(" ", ascii_fold(unit)).strip()
    text = _UNIT_NOISE.sub("", _UNIT_NOISE.sub("", text)).strip()
    m = _UNIT.match(text)
    if not m or not (m["mult"] or m["cur"]):
        return None
    count = int(re.sub(r"\D", "", m["count"])) if m["count"] else 1
    return count * (_factor(m["mult"]) if m["mult"] else 1)


def _ambiguous(num: str, decimal_separator: str) -> bool:
    """ "1,250" with "," as the decimal mark: 1,25 by the convention, 1 250 by habit."""
    tokens = _TOKENS.findall(num)
    return (
        len(tokens) == 3
        and tokens[1] == decimal_separator
        and len(tokens[2]) == 3
        and 1 <= len(tokens[0]) <= 3
        and tokens[0][0] != "0"
    )


def _number(num: str, decimal_separator: str) -> Decimal | None:
    """Digits with `.`, `,` or spaces between them, read by the rules in the package docstring."""
    tokens = _TOKENS.findall(num)
    groups, seps = tokens[0::2], tokens[1::2]
    if not all(g.isdigit() for g in groups) or any(s.isdigit() for s in seps):
        return None
    if len(groups) != len(seps) + 1:
        return None
    marks = [s for s in seps if s in ".,"]
    decimal_at: int | None = None
    last = len(seps) - 1
    if len(set(marks)) == 2:
        if seps[last] not in ".," or marks.count(seps[last]) != 1:
            return None
        decimal_at = last
    elif (
        len(marks) == 1
        and seps
        and seps[last] in ".,"
        and (len(groups[-1]) != 3 or seps[last] == decimal_separator)
    ):
        # Only "1.250" is open to doubt, and the configured convention settles it.
        decimal_at = last
    whole, grouping = (groups, seps) if decimal_at is None else (groups[:-1], seps[:-1])
    if grouping and (
        len(set(grouping)) != 1
        or not 1 <= len(whole[0]) <= 3
        or any(len(g) != 3 for g in whole[1:])
    ):
        return None
    fraction = groups[-1] if decimal_at is not None else "0"
    return Decimal(f"{''.join(whole)}.{fraction}")


def _compound(value: Any, folded: str) -> tuple[Decimal, int, bool] | None:
    """ "1 tỷ 250 triệu đồng" as (đồng, 1, False); None when the text is not of that form."""
    if not _COMPOUND.match(folded):
        return None
    total, previous = 0, None
    for number, mult in _PIECE.findall(folded):
        factor = _factor(mult)
        if previous is not None and (factor >= previous or int(number) * factor >= previous):
            raise _refuse(
                value,
                "các đơn vị phải giảm dần, mỗi phần nhỏ hơn đơn vị trước (ví dụ: 1 tỷ 250 triệu)",
                "its units must fall, each part less "
                "than the unit before (for example 1 tỷ 250 triệu)",
            )
        total, previous = total + int(number) * factor, factor
    return Decimal(total), 1, False


def _parse_text(value: Any, text: str, opts: Options) -> tuple[Decimal, int, bool]:
    folded = _SPACES.sub(" ", ascii_fold(text)).strip()
    m = _AMOUNT.match(folded)
    if not m:
        compound = _compound(value, folded)
        if compound is not None:
            return compound
        raise _refuse(
            value,
            "không phải số tiền (ví dụ hợp lệ: 1.250.000.000, 1,25 tỷ, 250 triệu)",
            "is not an amount (valid examples: 1.250.000.000, 1,25 tỷ, 250 triệu)",
        )
    if sum(c.isdigit() for c in m["num"]) > _MAX_DIGITS:
        raise _refuse(value, "có quá nhiều chữ số", "has too many digits")
    sep = opts.decimal_separator
    if _ambiguous(m["num"].strip(), sep):
        whole, _, part = m["num"].strip().partition(sep)
        other = "." if sep == "," else ","
        kept = part.rstrip("0")
        decimal = f"{whole}{sep}{kept}" if kept else whole
        raise _refuse(
            value,
            f"đọc được hai cách: {decimal} hoặc {whole}{other}{part}; hãy viết rõ một trong hai",
            f"reads two ways: {decimal} or {whole}{other}{part}; write one of them",
            "ambiguous_amount",
        )
    number = _number(m["num"], sep)
    if number is None:
        raise _refuse(
            value,
            "có dấu phân cách hàng nghìn/thập phân không hợp lệ",
            "has misplaced thousands or decimal separators",
        )
    # A unit written in the cell beats the column's unit: "1,25 tỷ" in a "triệu" column.
    factor = _factor(m["mult"]) if m["mult"] else 1 if m["cur"] else opts.unit
    return number, factor, m["sign"] in ("-", "−")


def _times(number: Decimal, factor: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80  # exact: a fraction of a đồng must not round away
        return number * factor


def to_dong(value: Any, opts: Options) -> int | None:
    """An amount as a whole number of đồng; None when the cell is empty."""
    negative = False
    factor = opts.unit
    if isinstance(value, bool):
        raise _refuse(
            value, "giá trị đúng/sai không phải số tiền", "a true/false value is not an amount"
        )
    if isinstance(value, (int, float, Decimal)):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            raise _refuse(value, "không phải số", "is not a number") from None
        if number.is_nan():
            return None
        if not number.is_finite():
            raise _refuse(value, "không phải số hữu hạn", "is not a finite number")
    else:
        text = clean(value)
        if text is None:
            return None
        number, factor, negative = _parse_text(value, text, opts)
    if negative or number < 0:
        raise _refuse(value, "là số âm; kinh phí phải ≥ 0", "is negative; amounts must be ≥ 0")
    if number.adjusted() > 20 or (dong := _times(number, factor)) > MAX_VND:
        raise _refuse(
            value, "quá lớn để là kinh phí một nhiệm vụ", "is too large for a task budget"
        )
    if dong != dong.to_integral_value():
        raise _refuse(
            value,
            f"không phải số đồng nguyên ({dong.normalize():f} đồng)",
            f"is not a whole number of đồng ({dong.normalize():f} đồng)",
        )
    return int(dong)
