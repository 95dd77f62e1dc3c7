"""A record's place, kept in English in the state database, said in Vietnamese to the admin:
`place_in` gives exactly what `describe_origin(origin, "vi")` would have given."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import describe_origin, place_in

# Names as provinces write them: letters with diacritics, digits, spaces, dots, dashes — and
# the English place words themselves, which must not be mistaken for the frame around them.
NAME = (
    st.lists(st.sampled_from([*"abcđăâêôơưyếàảãạ ABCĐ0123456789.-_", "row ", "sheet "]),
             min_size=1, max_size=12)
    .map(lambda parts: "".join(parts).strip())
    .filter(bool)
)
NUMBER = st.integers(min_value=1, max_value=10**6)

ORIGINS = st.one_of(
    st.fixed_dictionaries({"file": NAME, "sheet": NAME, "row": NUMBER}),
    st.fixed_dictionaries({"file": NAME, "row": NUMBER}),
    st.fixed_dictionaries({"file": NAME, "line": NUMBER, "index": NUMBER}),
    st.fixed_dictionaries({"file": NAME, "index": NUMBER}),
    st.fixed_dictionaries({"table": NAME, "row": NUMBER}),
    st.fixed_dictionaries({"query": NAME.map(lambda q: f"SELECT {q}, x FROM t"), "row": NUMBER}),
    st.fixed_dictionaries({"url": NAME.map(lambda p: f"https://so.gov.vn/{p}?page=2"),
                           "page": NUMBER, "index": NUMBER}),
    st.fixed_dictionaries({"url": NAME.map(lambda p: f"http://kho/oai/{p}"), "page": NUMBER,
                           "index": NUMBER, "identifier": NAME.map(lambda i: f"oai:kho:{i}")}),
)


@given(ORIGINS)
def test_an_english_place_reads_in_vietnamese_as_if_written_so(origin: dict[str, Any]) -> None:
    assert place_in(describe_origin(origin), "vi") == describe_origin(origin, "vi")
    assert place_in(describe_origin(origin), "en") == describe_origin(origin)


@pytest.mark.parametrize(
    "english,vietnamese",
    [
        ("danh-muc-2024.xlsx, sheet Danh mục, row 20",
         "tệp danh-muc-2024.xlsx, trang tính Danh mục, dòng 20"),
        ("nhiem-vu.csv, row 8", "tệp nhiem-vu.csv, dòng 8"),
        ("table nhiem_vu, row 17", "bảng nhiem_vu, dòng 17"),
        ('query "SELECT a, b FROM t", row 3', 'truy vấn "SELECT a, b FROM t", dòng 3'),
        ("https://qlkh/api?page=2, page 2, item 1", "https://qlkh/api?page=2, trang 2, mục 1"),
        ("row 5.csv, row 5", "tệp row 5.csv, dòng 5"),  # a file named like the frame
        ("", ""),
        (None, ""),
    ],
)
def test_places_as_the_admin_reads_them(english: str | None, vietnamese: str) -> None:
    assert place_in(english, "vi") == vietnamese
