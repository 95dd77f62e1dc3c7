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
from tests.conftest import samples_dir

COMMA = Options()  # Vietnamese: "," is the decimal mark
DOT = Options(decimal_separator=".")
MILLIONS = Options(unit=10**6)  # a "triệu đồng" column
THOUSANDS = Options(unit=10**3)


@pytest.mark.parametrize(
    ("value", "opts", "expected"),
    [
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
        pytest.param("0,250", MILLIONS, 250_000, id="leading-zero-can-only-be-decimal"),
        pytest.param("1250,500", MILLIONS, 1_250_500_000, id="four-digits-cannot-be-a-group"),
        pytest.param("1,2505", MILLIONS, 1_250_500, id="four-decimals"),
        pytest.param("1,25 tỷ", MILLIONS, 1_250_000_000, id="cell-unit-beats-column-unit"),
        pytest.param("1.250.000 đồng", MILLIONS, 1_250_000, id="cell-dong-beats-column-unit"),
        pytest.param("1.250.000,5", MILLIONS, 1_250_000_500_000, id="both-separators"),
        pytest.param("15237170", THOUSANDS, 15_237_170_000, id="thousand-dong-column"),
        pytest.param("1,250", DOT, 1250, id="dot-convention-comma-groups"),
        pytest.param("1.5 tỷ", DOT, 1_500_000_000, id="dot-convention-decimal"),
        pytest.param(
            "1,250,000.5",
            Options(decimal_separator=".", unit=10**6),
            1_250_000_500_000,
            id="dot-convention-both",
        ),
        pytest.param("0", COMMA, 0, id="zero"),
        pytest.param("500 tr", COMMA, 500_000_000, id="tr"),
        pytest.param("500tr", COMMA, 500_000_000, id="tr-no-space"),
        pytest.param("1.250 Tr.đ", COMMA, 1_250_000_000, id="tr.d"),
        pytest.param("1.250.000.000 đ", COMMA, 1_250_000_000, id="d-spaced"),
        pytest.param("1,250,000,000 VNĐ", COMMA, 1_250_000_000, id="comma-groups-vnd"),
        pytest.param("1.250.000.000,00 đồng", COMMA, 1_250_000_000, id="zero-decimals"),
        pytest.param("1,25 tỷ đồng", COMMA, 1_250_000_000, id="ty-dong"),
        pytest.param("1 tỷ 250 triệu", COMMA, 1_250_000_000, id="compound"),
        pytest.param("2 tỷ 500 triệu đồng", COMMA, 2_500_000_000, id="compound-dong"),
        pytest.param("1 tỷ 250 triệu 500 nghìn đồng", COMMA, 1_250_500_000, id="compound-three"),
        pytest.param("1 tỷ 5 triệu", MILLIONS, 1_005_000_000, id="compound-beats-column-unit"),
        pytest.param("1,5 nghìn tỷ", COMMA, 1_500_000_000_000, id="nghin-ty"),
        pytest.param("850,5", MILLIONS, 850_500_000, id="trieu-column-decimal"),
        pytest.param("1.250,5", MILLIONS, 1_250_500_000, id="trieu-column-both"),
        pytest.param(" 1.250.000 ", COMMA, 1_250_000, id="padded"),
        pytest.param("+1.000", COMMA, 1000, id="plus-sign"),
    ],
)
def test_amounts_read(value: Any, opts: Options, expected: int) -> None:
    assert to_dong(value, opts) == expected


@pytest.mark.parametrize(
    ("value", "opts", "says"),
    [
        pytest.param("1,5", COMMA, "whole number of đồng (1.5 đồng)", id="fraction-of-dong"),
        pytest.param("1.250", DOT, "reads two ways: 1.25 or 1,250", id="dot-convention-1.250"),
        pytest.param("1,250", MILLIONS, "reads two ways: 1,25 or 1.250", id="comma-1,250"),
        pytest.param("1,250 tỷ", COMMA, "reads two ways", id="comma-1,250-ty"),
        pytest.param("125,000", COMMA, "reads two ways: 125 or 125.000", id="comma-125,000"),
        pytest.param("250 triệu 1 tỷ", COMMA, "units must fall", id="compound-rising"),
        pytest.param("1 tỷ 1500 triệu", COMMA, "less than the unit before", id="compound-overflow"),
        pytest.param("1,5 tỷ 200 triệu", COMMA, "not an amount", id="compound-with-fraction"),
        pytest.param("khoảng 1 tỷ", COMMA, "not an amount", id="khoang"),
        pytest.param("1 tỷ USD", COMMA, "not an amount", id="ty-usd"),
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
    ],
)
def test_amounts_refused(value: Any, opts: Options, says: str) -> None:
    with pytest.raises(Refused) as err:
        to_dong(value, opts)
    assert err.value.code in ("bad_amount", "ambiguous_amount", "bad_type")
    assert says in err.value.reason_en
    assert err.value.value == value


@pytest.mark.parametrize("value", ["", "  ", "-", "—", None, float("nan")])
def test_empty_amount_is_nothing(value: Any) -> None:
    assert to_dong(value, COMMA) is None


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("đồng", 1),
        ("VNĐ", 1),
        ("nghìn", 10**3),
        ("ngàn đồng", 10**3),
        ("triệu", 10**6),
        ("triệu đồng", 10**6),
        ("tr", 10**6),
        ("tỷ", 10**9),
        ("Tỉ đồng", 10**9),
        ("USD", None),
        ("", None),
        ("ĐVT: triệu đồng", 10**6),
        ("(triệu đồng)", 10**6),
        ("1000 đồng", 10**3),
        ("1.000 đồng", 10**3),
        ("1000đ", 10**3),
        ("Ngh. tỷ đồng", 10**12),
        ("Nghìn tỷ đồng", 10**12),
        ("1500 đồng", None),
        ("triệu USD", None),
    ],
)
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
        assert exc.code in ("bad_amount", "ambiguous_amount", "bad_type")
    else:
        assert result is None or (isinstance(result, int) and 0 <= result <= MAX_VND)


def test_unit_columns_of_a_real_planning_sheet() -> None:
    # A ministry's 2003 plan tables (.xls, TCVN3/VNI, read through a checked transcript): each
    # row names its own unit in a column beside the figures.
    path = samples_dir() / "legacy-excel" / "ground-truth" / "2005-KH2003-bieu.txt"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    units = {
        cell.strip()
        for row in rows
        for cell in row
        if cell.strip().endswith(("tỷ đồng", "Triệu USD"))
    }
    assert {"Ngh. tỷ đồng", "Nghìn tỷ đồng", "Triệu USD"} <= units
    for unit in units:
        assert unit_factor(unit) == (None if "USD" in unit else 10**12), unit
    total = next(row for row in rows if "Ngh. tỷ đồng" in row and row[0].strip() == "Tổng số")
    figure = float(total[total.index("Ngh. tỷ đồng") + 1])  # a numeric cell: 163.5
    assert to_dong(figure, Options(unit=10**12)) == 163_500_000_000_000


def test_unit_lines_of_a_real_settlement() -> None:
    # A district's 2006 settlement form: "ĐVT" (đơn vị tính) lines above its tables.
    path = samples_dir() / "legacy-excel" / "ground-truth" / "2006-Mau21_CKTC_NSH.txt"
    lines = {
        c.strip()
        for row in path.read_text(encoding="utf-8").splitlines()
        for c in row.split("\t")
        if c.strip().startswith("ĐVT")
    }
    assert {line: unit_factor(line) for line in lines} == {"ĐVT: đồng": 1, "ĐVT : 1000 đồng": 10**3}
