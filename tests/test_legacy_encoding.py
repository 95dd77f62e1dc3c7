"""Legacy Vietnamese text (TCVN3, VNI, VIQR, Windows-1258, decomposed Unicode) becomes NFC,
and text that is good Unicode already is left as it is."""

from __future__ import annotations

import json
import re
import unicodedata
from importlib.resources import files
from pathlib import Path

import pytest

from schemas.vietnamese import (
    UnknownEncoding,
    convert,
    convert_lines,
    cp1258,
    detect,
    encoding_name,
    tcvn3,
    viqr,
    vni,
)
from schemas.vietnamese.syllables import is_syllable

REGULATIONS = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "regulations.md"


# Cells as the project's .xls reader gives them (xlrd: legacy bytes as Latin-1 characters; the
# TCVN3 ư byte AD as a soft hyphen), from the sample workbooks and the regulations.
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Nghiªn cøu", "Nghiên cứu"),
        (
            " Tèc ®é t¨ng tæng s¶n phÈm trong n\xadíc (GDP)",
            " Tốc độ tăng tổng sản phẩm trong nước (GDP)",
        ),
        ("§¬n vÞ \ntÝnh", "Đơn vị \ntính"),
        ("B. ChØ tiªu x· héi vµ xo¸ ®ãi gi¶m nghÌo", "B. Chỉ tiêu xã hội và xoá đói giảm nghèo"),
        ("Lóa HÌ thu", "Lúa Hè thu"),
        ("  - ¤ t« c¸c lo¹i", "  - Ô tô các loại"),
        ("  2. Ph©n Urª", "  2. Phân Urê"),
        ("Ngh. tÊn", "Ngh. tấn"),
    ],
    ids=lambda v: v[:16] if isinstance(v, str) else v,
)
def test_tcvn3_cells_become_unicode(cell: str, expected: str) -> None:
    assert convert(cell) == (expected, "tcvn3")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Ñaø Naüng", "Đà Nẵng"),
        ("THAØNH PHOÁ HOÀ CHÍ MINH", "THÀNH PHỐ HỒ CHÍ MINH"),
        ("cuûa Uûy ban nhaân daân huyeän Caàn Giôø )", "của Ủy ban nhân dân huyện Cần Giờ )"),
        ("ÑVT: ñoàng", "ĐVT: đồng"),
        ("Thu ngaân saùch huyeän höôûn theo phaân caáp", "Thu ngân sách huyện hưởn theo phân cấp"),
        ("BAÙO CAÙO TAI NAÏN LAO ÑOÄNG (tieáp theo)", "BÁO CÁO TAI NẠN LAO ĐỘNG (tiếp theo)"),
        # a typist's "i" + dot below instead of VNI's one-byte ị
        ("Khoâng xaùc ñiïnh thôøi haïn", "Không xác định thời hạn"),
    ],
    ids=lambda v: v[:16] if isinstance(v, str) else v,
)
def test_vni_cells_become_unicode(cell: str, expected: str) -> None:
    assert convert(cell) == (expected, "vni")


def test_a_cell_mixing_vni_and_tcvn3_lines_is_read_line_by_line() -> None:
    assert convert("THAØNH PHOÁ\nTèc ®é t¨ng") == ("THÀNH PHỐ\nTốc độ tăng", "mixed")
    assert convert_lines("THAØNH PHOÁ\nTèc ®é t¨ng\nGDP") == [
        ("THÀNH PHỐ", "vni"),
        ("Tốc độ tăng", "tcvn3"),
        ("GDP", "ascii"),
    ]


def test_a_short_line_takes_the_encoding_of_the_rest_of_its_cell() -> None:
    # "tÝnh" alone could be a typo; beside "§¬n vÞ" it is TCVN3
    assert convert("§¬n vÞ\ntÝnh") == ("Đơn vị\ntính", "tcvn3")


# What a CSV of TCVN3 bytes becomes when the CSV reader falls back to Windows-1258: the tone
# bytes turn into combining marks and ế into Ơ; it is read back as the bytes it was.
def test_tcvn3_read_through_windows_1258_is_recovered() -> None:
    raw = "Tiếng Việt, nghiên cứu, đào tạo"
    as_bytes = bytes(_tcvn3_encode(raw))
    read_by_csv = as_bytes.decode("cp1258")
    assert read_by_csv != raw
    assert convert(read_by_csv) == (raw, "tcvn3")


def _tcvn3_encode(text: str) -> bytes:
    table = {
        v: k
        for k, v in json.loads(
            (files("schemas") / "data" / "legacy-tcvn3.json").read_text("utf-8")
        )["bytes"].items()
    }
    return bytes(int(table[c], 16) if c in table else ord(c) for c in text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tie^'ng Vie^.t", "Tiếng Việt"),
        (
            "O^ng te^n gi`\\? To^i te^n la` Tra^`n Va(n Hie^'u\\.",
            "Ông tên gì? Tôi tên là Trần Văn Hiếu.",
        ),
        ("DDu+'c va` ddo+`i", "Đức và đời"),
        ("Nguye^~n Thi. Thu?y", "Nguyễn Thị Thủy"),
    ],
)
def test_viqr_is_read_by_rfc_1456(text: str, expected: str) -> None:
    assert convert(text, "viqr") == (expected, "viqr")
    assert convert(text) == (expected, "viqr")  # unambiguous: read in auto too


@pytest.mark.parametrize(
    "text",
    [
        "a?",  # a question, not ả
        "Is it ready?",
        "e.g. i.e. U.S.A.",
        "U+00E9 is é",
        "don't add it",  # ' after n, dd inside a word
        "O'Brien",
        "Vie^.t",  # one word is not enough in auto
        "C++ and C#",
    ],
)
def test_auto_never_reads_english_as_viqr(text: str) -> None:
    assert convert(text) == (text, "unicode" if not text.isascii() else "ascii")


def test_named_viqr_reads_what_auto_leaves() -> None:
    assert convert("Vie^.t", "viqr") == ("Việt", "viqr")
    assert convert("Nghiên cứu?", "viqr") == ("Nghiên cứu?", "unicode")


@pytest.mark.parametrize(
    "text",
    [
        "Nghiên cứu khoa học và phát triển công nghệ",
        "Ủy ban nhân dân tỉnh Hưng Yên",
        "Hà Nội",
        "Hà",
        "José Martí",
        "café au lait",
        "naïve résumé",
        "Đà Nẵng",
        "25°C",
        "1.250.000 ₫",
        "Ngày 12 THÁNG 3",
        "‰",
        "…………",
        "Größe",
        "東京",
        "QĐ-UBND",
        "plain ASCII text",
        "",
    ],
    ids=lambda v: v[:14] or "empty",
)
def test_good_unicode_is_never_touched(text: str) -> None:
    found = convert(text)
    assert found.text == text
    assert found.encoding in ("unicode", "ascii")


@pytest.mark.parametrize(
    "text",
    [
        "Nghiên cứu khoa học và phát triển công nghệ",
        "Ủy ban nhân dân tỉnh Hưng Yên",
        "Sở Khoa học và Công nghệ Đà Nẵng",
    ],
)
def test_a_windows_1258_csv_as_read_comes_out_as_written(text: str) -> None:
    read_by_csv = cp1258.encode(text).decode("cp1258")
    assert read_by_csv != text
    assert convert(read_by_csv).text == text


def test_decomposed_unicode_comes_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thuỷ, Đà Nẵng")
    assert convert(decomposed) == ("Nguyễn Thị Thuỷ, Đà Nẵng", "unicode")
    # Windows-1258's own form: base letter (with ê, ơ…) plus a combining tone mark
    assert convert("Vie\u0302\u0323t Nam") == ("Việt Nam", "unicode")


@pytest.mark.parametrize(
    ("text", "expected", "found"),
    [
        ("Viêòt Nam hoòc", "Việt Nam học", "cp1258"),  # Windows-1258 read as Latin-1
        (b"Nghi\xean c\xfd\xecu", "Nghiên cứu", "cp1258"),  # raw Windows-1258 bytes
        (b"Nghi\xaan c\xf8u", "Nghiên cứu", "tcvn3"),  # raw TCVN3 bytes
        ("Nghiên cứu".encode(), "Nghiên cứu", "unicode"),  # UTF-8 bytes
    ],
)
def test_raw_bytes_and_windows_1258(text: str | bytes, expected: str, found: str) -> None:
    assert convert(text) == (expected, found)


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("Sè TT", "tcvn3", ("Số TT", "tcvn3")),  # reads as Vietnamese both ways
        ("Sè TT", None, ("Sè TT", "unicode")),  # without the hint it is left alone
        ("Lóa", "tcvn3", ("Lúa", "tcvn3")),
        ("Hưng Yên", "tcvn3", ("Hưng Yên", "unicode")),  # ư is typed Unicode, never a byte
        ("Nghiên cứu", "vni", ("Nghiên cứu", "unicode")),
    ],
)
def test_the_source_hint_decides_lines_that_read_both_ways(
    text: str, hint: str | None, expected: tuple[str, str]
) -> None:
    assert convert(text, hint=hint) == expected


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("Sè TT", "tcvn3", ("Số TT", "tcvn3")),
        ("Tªn", "tcvn3", ("Tên", "tcvn3")),
        ("Nguyễn Văn A", "tcvn3", ("Nguyễn Văn A", "unicode")),  # refused: Unicode already
        ("café", "tcvn3", ("café", "unicode")),  # refused: no better reading
        ("Ñaø Naüng", "vni", ("Đà Nẵng", "vni")),
        ("Ñaø Naüng", "unicode", ("Ñaø Naüng", "unicode")),  # unicode: NFC only
    ],
)
def test_a_named_encoding(text: str, encoding: str, expected: tuple[str, str]) -> None:
    assert convert(text, encoding) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("§iezen", "unknown"),  # looks mis-read, no reading is clearly right: left as it is
        ("n¨m", "tcvn3"),
        ("Maõ soá", "vni"),  # reads as Latin-1 Vietnamese, but with tones out of place
    ],
)
def test_detect_names_without_changing(text: str, found: str) -> None:
    assert detect(text) == found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auto", "auto"),
        ("TCVN3", "tcvn3"),
        ("tcvn5712-1", "tcvn3"),
        ("VNI", "vni"),
        ("windows-1258", "cp1258"),
        ("VIQR", "viqr"),
        ("utf-8", "unicode"),
        ("koi8-r", pytest.raises(UnknownEncoding, match=r"'koi8-r'.*auto, unicode, tcvn3")),
        ("", pytest.raises(UnknownEncoding)),
    ],
)
def test_encoding_names(name: str, expected: object) -> None:
    if isinstance(expected, str):
        assert encoding_name(name) == expected
    else:
        with expected:  # type: ignore[attr-defined]
            encoding_name(name)


def test_an_unknown_encoding_is_refused_before_any_text_is_read() -> None:
    with pytest.raises(UnknownEncoding, match="unknown text encoding 'viscii'"):
        convert("abc", "viscii")


def test_the_tcvn3_table_agrees_with_the_regulations() -> None:
    if not REGULATIONS.is_file():
        pytest.skip("the shared regulations are not beside this checkout")
    text = REGULATIONS.read_text(encoding="utf-8")
    section = text[text.index("**TCVN3") : text.index("**VNI")]
    pairs = re.findall(r"(\w) ([0-9A-F]{2})\b", section)
    assert len(pairs) >= 70
    for letter, byte in pairs:
        assert tcvn3.decode_bytes(bytes([int(byte, 16)])) == letter, byte


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a" + "\u00b3", "á"),  # glibc joins a combining tone byte to its letter
        ("\u00a9\u00b3", "ấ"),
        ("\u00ad", "ư"),  # AD is ư, not a soft hyphen
        ("\u2013", "\u2013"),  # Windows punctuation read by xlrd stays punctuation
    ],
)
def test_tcvn3_decoder(raw: str, expected: str) -> None:
    assert tcvn3.decode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Vieät Nam", "Việt Nam"),
        ("Ngöôøi", "Người"),
        ("ñaïi hoïc", "đại học"),
        ("Kyõ thuaät", "Kỹ thuật"),
        ("yù kieán", "ý kiến"),
        ("café", "café"),  # a mark byte after f marks nothing: left as read
        ("aùù", "áù"),  # one tone per letter
    ],
)
def test_vni_decoder(raw: str, expected: str) -> None:
    assert vni.decode(raw) == expected


def test_windows_1258_writes_tones_as_combining_marks() -> None:
    assert cp1258.encode("Việt") == b"Vi\xea\xf2t"
    with pytest.raises(UnicodeEncodeError):
        cp1258.encode("東京")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tiếng Việt", "Tie^'ng Vie^.t"),
        ("Ông tên gì?", "O^ng te^n gi`\\?"),
        ("Đức, add", "DDu+'c, a\\dd"),
    ],
)
def test_viqr_encoder_escapes_what_would_be_read_as_marks(text: str, expected: str) -> None:
    assert viqr.encode(text) == expected
    assert viqr.decode(expected) == text


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Nghiên", True),
        ("khuỷu", True),
        ("hoà", True),
        ("hòa", True),
        ("QĐ", True),
        ("maõ", False),
        ("tÝnh", False),
        ("cafộ", False),
        ("gìa", False),
        ("ngóai", False),
    ],
)
def test_syllables(word: str, expected: bool) -> None:
    assert is_syllable(word) is expected
