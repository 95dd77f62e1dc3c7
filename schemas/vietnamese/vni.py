"""VNI-Windows (the "VNI-Times" fonts): an ASCII base letter followed by a mark byte."""

from __future__ import annotations

import unicodedata

from schemas.vietnamese.tables import vni_table


def decode(byte_text: str) -> str:
    """Byte text (see bytetext) as NFC Unicode.

    A mark byte is read as a mark only after a letter it can mark (â after a, e or o; ă after
    a; a tone after a vowel without one); anywhere else it is left as the character it reads
    as, so that the result shows what could not be read.
    """
    return read(byte_text)[0]


def read(byte_text: str) -> tuple[str, int]:
    """The decoded text, and how many mark bytes were left over: VNI text has none, so each
    one is a sign that the text is not VNI."""
    table = vni_table()
    stray = 0
    out: list[str] = []
    base = ""  # the vowel a mark may still attach to, as a Vietnamese letter
    marked = False  # whether that vowel already carries a tone
    for char in byte_text:
        letter = table.letters.get(char)
        if letter is not None:
            out.append(letter)
            base, marked = unicodedata.normalize("NFD", letter)[0], _has_tone(letter)
            if letter in "ơưƠƯ":
                base = letter
            continue
        marks = table.marks.get(char)
        if marks is not None and base and base in table.bases[char] and not marked:
            if base in "iI":
                stray += 1  # VNI has one-byte ị, í...; "iï" is a typist's workaround
            out.append(marks)
            marked = _has_tone(marks)
            # after â/ă the letter is â/ă: only a tone may follow
            if not marked:
                base = unicodedata.normalize("NFC", base + marks)
            continue
        if marks is not None:
            stray += 1
        out.append(char)
        base, marked = (char, False) if char in _VOWELS else ("", False)
    return unicodedata.normalize("NFC", "".join(out)), stray


_VOWELS = frozenset("aeiouyAEIOUY")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _has_tone(text: str) -> bool:
    return any(c in _TONES for c in unicodedata.normalize("NFD", text))
