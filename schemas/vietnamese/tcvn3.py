"""TCVN3 (TCVN 5712:1993, the ABC ".VnTime" fonts): one byte per Vietnamese letter."""

from __future__ import annotations

import unicodedata
from functools import cache

from schemas.vietnamese.tables import tcvn3_table


def decode(byte_text: str) -> str:
    """Byte text (see bytetext) as NFC Unicode, byte for byte as glibc's TCVN5712-1 reads it.

    Bytes B0-B4 are combining tone marks; NFC joins them to the letter before, as glibc does.
    Characters above U+00FF (kept punctuation) pass through.
    """
    table = tcvn3_table()
    decoded = "".join(table.get(ord(c), c) for c in byte_text)
    return unicodedata.normalize("NFC", decoded)


def decode_bytes(data: bytes) -> str:
    return decode(data.decode("latin-1"))


def read(byte_text: str) -> tuple[str, int]:
    """The decoded text, and how many bytes were capitals with a tone mark: the ABC fonts
    people used had none (headings used .VnTimeH with the lower-case bytes), so each one is a
    sign that the text is not TCVN3."""
    rare = sum(1 for c in byte_text if ord(c) in _capitals_with_tone())
    return decode(byte_text), rare


@cache
def _capitals_with_tone() -> frozenset[int]:
    tones = set("\u0300\u0301\u0303\u0309\u0323")
    return frozenset(
        byte
        for byte, text in tcvn3_table().items()
        if text.isupper() and tones & set(unicodedata.normalize("NFD", text))
    )
