"""Amounts as provinces write them become whole đồng; fractions, negatives and junk are refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.money import MAX_VND, to_dong, unit_factor

COMMA = Options()                               # Vietnamese: "," is the decimal mark
DOT = Options(decimal_separator=".")
MILLIONS = Options(unit=10**6)                  # a "triệu đồng" column
THOUSANDS = Options(unit=10**3)


@pytest.mark.parametrize(("value", "opts", "expected"), [
    pytest.param(1_250_000_000, COMMA, 1_250_000_000, id="int"),
    pytest.param(1.25e9, COMMA, 1_250_000_000, id="float"),
    pytest.param(Decimal("1250000000"), COMMA, 1_250_000_000, id="decimal"),
    pytest.param(1.1, MILLIONS, 1_100_000, id="float-in-millions-no-binary-noise"),
    pytest.param("1.250.000.000", COMMA, 1_250_000_000, id="dot-groups"),
    pytest.param("1 250 000 000", COMMA, 1_250_000_000, id="space-groups"),
    pytest.param("1\u00a0250\u00a0000", COMMA, 1_250_000, id="nbsp-groups"),
    pytest.param("1,250,000,000", COMMA, 1_250_000_000, id="comma-groups"),
    pytest.param("1,25 tỷ", COMMA, 1_250_000_000, id="ty"),
    pytest.param("1,25 tỉ", COMMA, 1_250_000_000, id="ti"),
    pytest.param("1.250 triệu", COMMA, 1_250_000_000, id="trieu-thousand-groups"),
    pytest.param("12 trđ", COMMA, 12_000_000, id="trd"),
    pytest.param("3 tr.", COMMA, 3_000_000, id="tr-dot"),
    pytest.param("250 nghìn", COMMA, 250_000, id="nghin"),
    pytest.param("250 ngàn đồng", COMMA, 250_000, id="ngan-dong"),
    pytest.param("1.250.000.000 đồng", COMMA, 1_250_000_000, id="dong"),
    pytest.param("1.250.000.000đ", COMMA, 1_250_000_000, id="d-suffix"),
    pytest.param("1.250.000.000 VNĐ", COMMA, 1_250_000_000, id="vnd"),
    pytest.param("1,5", MILLIONS, 1_500_000, id="column-unit"),
    pytest.param("1.250", MILLIONS, 1_250_000_000, id="three-digits-after-dot-is-grouping"),
    pytest.param("1,250", MILLIONS, 1_250_000, id="three-digits-after-comma-is-decimal"),
    pytest.param("1,25 tỷ", MILLIONS, 1_250_000_000, id="cell-unit-beats-column-unit"),
    pytest.param("1.250.000 đồng", MILLIONS, 1_250_000, id="cell-dong-beats-column-unit"),
    pytest.param("1.250.000,5", MILLIONS, 1_250_000_500_000, id="both-separators"),
    pytest.param("15237170", THOUSANDS, 15_237_170_000, id="thousand-dong-column"),
    pytest.param("1,250", DOT, 1250, id="dot-convention-comma-groups"),
    pytest.param("1.5 tỷ", DOT, 1_500_000_000, id="dot-convention-decimal"),
    pytest.param("1,250,000.5", Options(decimal_separator=".", unit=10**6), 1_250_000_500_000,
                 id="dot-convention-both"),
    pytest.param("0", COMMA, 0, id="zero"),
])
def test_amounts_read(value: Any, opts: Options, expected: int) -> None:
    assert to_dong(value, opts) == expected


@pytest.mark.parametrize(("value", "opts", "says"), [
    pytest.param("1,5", COMMA, "whole number of đồng (1.5 đồng)", id="fraction-of-dong"),
    pytest.param("1.250", DOT, "whole number", id="dot-convention-1.25-dong"),
    pytest.param("1.250.000,50", COMMA, "whole number", id="half-dong"),
    pytest.param(0.5, COMMA, "whole number", id="float-fraction"),
    pytest.param("-5.000", COMMA, "negative", id="negative-text"),
    pytest.param(-5, COMMA, "negative", id="negative-number"),
    pytest.param("một tỷ", COMMA, "not an amount", id="words"),
    pytest.param("1.000.000 USD", COMMA, "not an amount", id="other-currency"),
    pytest.param("1,2,3", COMMA, "separators", id="bad-groups"),
    pytest.param("1.25.000", COMMA, "separators", id="short-group"),
    pytest.param("1..2", COMMA, "separators", id="double-dot"),
    pytest.param("1.250,000.5", COMMA, "separators", id="mixed-repeated"),
    pytest.param("1.000.000.000.000.000.000", COMMA, "too large", id="absurd"),
    pytest.param(10**30, COMMA, "too large", id="absurd-int"),
    pytest.param(float("inf"), COMMA, "finite", id="inf"),
    pytest.param(True, COMMA, "true/false", id="bool"),
    pytest.param("1" * 40, COMMA, "too many digits", id="forty-digits"),
])
def test_amounts_refused(value: Any, opts: Options, says: str) -> None:
    with pytest.raises(Refused) as err:
        to_dong(value, opts)
    assert err.value.code in ("bad_amount", "bad_type")
    assert says in err.value.reason_en
    assert err.value.value == value


@pytest.mark.parametrize("value", ["", "  ", "-", "—", None, float("nan")])
def test_empty_amount_is_nothing(value: Any) -> None:
    assert to_dong(value, COMMA) is None


@pytest.mark.parametrize(("unit", "factor"), [
    ("đồng", 1), ("VNĐ", 1), ("nghìn", 10**3), ("ngàn đồng", 10**3), ("triệu", 10**6),
    ("triệu đồng", 10**6), ("tr", 10**6), ("tỷ", 10**9), ("Tỉ đồng", 10**9), ("USD", None),
    ("", None),
])
def test_column_units(unit: str, factor: int | None) -> None:
    assert unit_factor(unit) == factor


@given(st.integers(min_value=0, max_value=MAX_VND))
def test_grouped_amounts_read_back(amount: int) -> None:
    assert to_dong(f"{amount:,}".replace(",", "."), COMMA) == amount
    assert to_dong(f"{amount:,}", DOT) == amount
    assert to_dong(f"{amount:,} đồng".replace(",", " "), COMMA) == amount
    assert to_dong(amount, COMMA) == amount


@given(st.one_of(st.text(), st.integers(), st.floats(), st.decimals()))
def test_amounts_only_ever_refuse(value: Any) -> None:
    try:
        result = to_dong(value, MILLIONS)
    except Refused as exc:
        assert exc.code in ("bad_amount", "bad_type")
    else:
        assert result is None or (isinstance(result, int) and 0 <= result <= MAX_VND)
