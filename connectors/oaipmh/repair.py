"""Illegal XML 1.0 characters in a repository's answer, and taking them out of it."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# XML 1.0 §2.2 Char, plus the lone surrogates that `surrogateescape` decoding leaves where a
# byte was not valid in the declared encoding.
_ILLEGAL = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
# One pass finds both: character references (legal ones are kept) and illegal characters.
_FIND = re.compile(rf"&#(?:x([0-9A-Fa-f]{{1,8}})|([0-9]{{1,10}}));|{_ILLEGAL}")
_LEGAL = re.compile(rf"(?!{_ILLEGAL}).", re.DOTALL)
_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_BAD_BYTE = range(0xDC80, 0xDD00)


@dataclass(frozen=True)
class Repaired:
    """The answer without its illegal characters, and the lines (1-based) they were on."""

    data: bytes
    lines: tuple[int, ...]
    removed: int


def strip_illegal(data: bytes) -> Repaired | None:
    """`data` with the characters XML 1.0 forbids taken out: control characters and character
    references to them are dropped, bytes that are not text in the declared encoding become
    U+FFFD. None when there is nothing to take out, or the encoding is not one we can
    rewrite safely (only ASCII-compatible ones)."""
    m = _DECLARED.match(data[:256])
    encoding = m[1].decode("ascii") if m else "utf-8"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if "<".encode(name) != b"<":
        return None
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) and name == "utf-8" else b""
    text = data[len(bom):].decode(name, "surrogateescape")
    lines: set[int] = set()
    removed = 0
    line, counted = 1, 0

    def fix(found: re.Match[str]) -> str:
        nonlocal removed, line, counted
        if found[0].startswith("&#"):
            point = int(found[1], 16) if found[1] else int(found[2])
            if point <= 0x10FFFF and _LEGAL.fullmatch(chr(point)):
                return found[0]
        # Matches come in order, so the line count only ever moves forward.
        line += text.count("\n", counted, found.start())
        counted = found.start()
        lines.add(line)
        removed += 1
        return "\ufffd" if len(found[0]) == 1 and ord(found[0]) in _BAD_BYTE else ""

    cleaned = _FIND.sub(fix, text)
    if not removed:
        return None
    return Repaired(bom + cleaned.encode(name, "xmlcharrefreplace"), tuple(sorted(lines)),
                    removed)
