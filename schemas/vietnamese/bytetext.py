"""Reader output back to the bytes a legacy font was given ("byte text").

A spreadsheet reader hands us a str in which each legacy byte was read as a Windows
character: xlrd gives the Unicode Excel stored (Latin-1 for compressed strings, the Windows
code page's character otherwise), the CSV reader decodes with the detected codec, which for a
legacy file is Windows-1258. Byte text is a str whose characters U+0000-U+00FF stand for the
bytes of the same value; it is what `bytes.decode("latin-1")` gives for raw bytes.

Windows-1252 typographic punctuation (– — … ‰ “ ” •) stays as it is: Excel and Word store what
a person typed through autocorrect or a symbol menu as Unicode punctuation, and the legacy
fonts drew letters only from A0 upwards in practice (TCVN3's upper-case toned letters at
80-9F were not in the ABC fonts people used).
"""

from __future__ import annotations

import unicodedata
from functools import cache


@cache
def _unread_map() -> dict[str, str]:
    """Character -> the byte (as a U+00xx character) a Windows reader made it from."""
    mapping: dict[str, str] = {}
    keep = passthrough()
    for codec in ("cp1252", "cp1258"):
        for byte in range(0x80, 0x100):
            try:
                char = bytes([byte]).decode(codec)
            except UnicodeDecodeError:
                continue
            # ₫ is Windows-1258's reading of TCVN3's ỵ (FE), so it is un-read too.
            if ord(char) > 0xFF and char not in keep:
                mapping.setdefault(char, chr(byte))
    return mapping


@cache
def passthrough() -> frozenset[str]:
    """The Windows-1252 punctuation and symbols kept as typed."""
    chars = set()
    for byte in range(0x80, 0xA0):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        if unicodedata.category(char)[0] in "PS":
            chars.add(char)
    return frozenset(chars)


def to_byte_text(text: str) -> str | None:
    """`text` as byte text, or None when a character cannot have come from a legacy byte
    (a precomposed Vietnamese letter, CJK...): such text is Unicode already."""
    if text.isascii():
        return text
    unread = _unread_map()
    keep = passthrough()
    out = []
    for char in text:
        if ord(char) <= 0xFF or char in keep:
            out.append(char)
            continue
        byte = unread.get(char)
        if byte is None:
            return None
        out.append(byte)
    return "".join(out)
