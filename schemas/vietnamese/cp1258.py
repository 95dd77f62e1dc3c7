"""Windows-1258: the Vietnamese Windows code page, base letters plus combining tone marks.

Python reads and writes it (`cp1258`) but leaves the tone marks combining, so decoded text
must be composed, and precomposed text must be split before it can be written.
"""

from __future__ import annotations

import unicodedata
from functools import cache

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


@cache
def _byte_chars() -> dict[str, str]:
    """Byte (as a U+00xx character) -> its Windows-1258 character, where they differ."""
    table = {}
    for byte in range(0x80, 0x100):
        try:
            char = bytes([byte]).decode("cp1258")
        except UnicodeDecodeError:
            continue  # 81, 8A, 8D-90, 9A, 9D, 9E are unassigned: kept as they are
        if char != chr(byte):
            table[chr(byte)] = char
    return table


def decode(byte_text: str) -> str:
    """Byte text (see bytetext) as NFC Unicode."""
    table = _byte_chars()
    return unicodedata.normalize("NFC", "".join(table.get(c, c) for c in byte_text))


def read(byte_text: str) -> tuple[str, int]:
    """The decoded text, and how many bytes Windows-1258 leaves unassigned."""
    table = _byte_chars()
    unassigned = sum(
        1 for c in byte_text if "\x80" <= c <= "\xff" and c not in table and c in _UNASSIGNED
    )
    return decode(byte_text), unassigned


_UNASSIGNED = frozenset("\x81\x8a\x8d\x8e\x8f\x90\x9a\x9d\x9e")


def encode(text: str) -> bytes:
    """NFC (or any) Unicode as Windows-1258 bytes, the way Vietnamese Windows writes it: a
    letter the code page has as one byte stays one byte, any other is its base letter (with
    its circumflex, breve or horn) followed by a combining tone mark.

    Raises UnicodeEncodeError for a character Windows-1258 cannot write at all.
    """
    out = bytearray()
    for index, char in enumerate(unicodedata.normalize("NFC", text)):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        try:
            out += (base + tones).encode("cp1258")
        except UnicodeEncodeError as exc:
            raise UnicodeEncodeError("cp1258", text, index, index + 1, exc.reason) from exc
    return bytes(out)
