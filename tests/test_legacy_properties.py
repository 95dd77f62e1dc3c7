"""Normalisation of any text is total, deterministic and idempotent; VIQR and Windows-1258
round-trip Vietnamese text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.vietnamese import convert, cp1258, viqr

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
LETTERS = VIETNAMESE + VIETNAMESE.upper() + "bcdghklmnpqrstvx"
# Vietnamese letters, ASCII with every VIQR mnemonic and the backslash, spaces and lines.
vietnamese_text = st.text(alphabet=LETTERS + " \n.,;:?!'`~^(+)\\/-0123456789dD", max_size=60)
# Anything: legacy-looking Latin-1 and Windows punctuation weighted in with all of Unicode.
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
    st.text(alphabet="Nghiªn cøu§¬vÞtÝnhÑaøüâêôö‰–\n ĐđơưăÀÁ\u0301\u0300", max_size=40),
    st.text(alphabet="abcdeghiklmnoqstuvyATHN'`?~.^(+\\ \n", max_size=40),
)


@settings(max_examples=400, deadline=None)
@given(any_text, st.sampled_from(["auto", "tcvn3", "vni", "viqr", "cp1258", "unicode"]))
def test_convert_is_total_deterministic_and_gives_nfc(text: str, encoding: str) -> None:
    first = convert(text, encoding)
    assert first == convert(text, encoding)
    assert unicodedata.is_normalized("NFC", first.text)
    assert first.text.count("\n") == text.count("\n")


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_auto_is_idempotent(text: str) -> None:
    # Only "auto": a hint or a named encoding describes the source's text, and applying it to
    # text already converted would decode twice.
    once = convert(text).text
    assert convert(once).text == once


@settings(max_examples=300, deadline=None)
@given(vietnamese_text)
def test_viqr_round_trips(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert viqr.decode(viqr.encode(nfc)) == nfc
    assert convert(viqr.encode(nfc), "viqr").text == nfc


@settings(max_examples=300, deadline=None)
@given(vietnamese_text)
def test_windows_1258_round_trips(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    data = cp1258.encode(nfc)
    assert cp1258.decode(data.decode("latin-1")) == nfc
    assert convert(data, "cp1258").text == nfc
    # as the CSV reader reads a Windows-1258 file: combining tone marks, composed here
    assert convert(data.decode("cp1258"), "unicode").text == nfc
