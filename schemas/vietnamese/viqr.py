"""VIQR (RFC 1456): Vietnamese in 7-bit ASCII, marks typed as mnemonics after the letter.

"Tie^'ng Vie^.t" is "Tiếng Việt": ( breve, ^ circumflex, + horn, then ' acute, ` grave,
? hook, ~ tilde, . dot below; dd/DD/Dd is đ/Đ. A mnemonic is a mark only when it combines
with the letter before it into a Vietnamese letter; a backslash before it keeps it literal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from schemas.vietnamese.tables import viqr_table


@dataclass(frozen=True)
class Decoded:
    text: str  # NFC
    strong: int  # marks that punctuation cannot explain: a modifier, a tone inside a word, đ


def decode(text: str) -> str:
    return scan(text).text


def scan(text: str) -> Decoded:
    table = viqr_table()
    literal = set(table.modifiers) | set(table.tones) | {"d", "D", table.escape}
    out: list[str] = []
    base = ""  # the last letter, while marks may still attach to it
    modified = toned = False
    strong = 0
    i = 0
    while i < len(text):
        char = text[i]
        pair = text[i : i + 2]
        if char == table.escape and i + 1 < len(text) and text[i + 1] in literal:
            out.append(text[i + 1])
            base, i = "", i + 2
            continue
        if pair in table.letters:
            out.append(table.letters[pair])
            base, i = "", i + 2
            strong += 1
            continue
        modifier = table.modifiers.get(char)
        if modifier and base in modifier[1] and not (modified or toned):
            base = unicodedata.normalize("NFC", base + modifier[0])
            out[-1] = base
            modified, i = True, i + 1
            strong += 1
            continue
        tone = table.tones.get(char)
        if tone and base in table.tone_bases and not toned:
            out[-1] = unicodedata.normalize("NFC", base + tone)
            toned, i = True, i + 1
            if i < len(text) and text[i].isalpha():
                strong += 1
            continue
        out.append(char)
        base, modified, toned = (char, False, False) if char.isalpha() else ("", False, False)
        i += 1
    return Decoded(unicodedata.normalize("NFC", "".join(out)), strong)


_MODIFIER_MNEMONIC = {"\u0306": "(", "\u0302": "^", "\u031b": "+"}


def encode(text: str) -> str:
    """Unicode as VIQR, escaping every literal mnemonic that could be read as a mark, so that
    `decode(encode(t)) == NFC(t)`."""
    table = viqr_table()
    tone_mnemonic = {mark: key for key, mark in table.tones.items()}
    mnemonics = set(table.modifiers) | set(table.tones)
    source = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for index, char in enumerate(source):
        following = source[index + 1 : index + 2]
        if char in "đĐ":
            out.append("dd" if char == "đ" else "DD")
            continue
        if char == table.escape:
            out.append(table.escape * 2)
            continue
        if char in mnemonics and index and source[index - 1].isalpha():
            out.append(table.escape + char)
            continue
        if char in "dD" and following in ("d", "D", "đ", "Đ"):
            out.append(table.escape + char)
            continue
        parts = unicodedata.normalize("NFD", char)
        if len(parts) == 1 or not parts[0].isascii():
            out.append(char)
            continue
        word = parts[0]
        # NFD puts the dot below before the circumflex; VIQR writes the modifier first
        for mark in sorted(parts[1:], key=lambda m: m not in _MODIFIER_MNEMONIC):
            if mark in _MODIFIER_MNEMONIC:
                word += _MODIFIER_MNEMONIC[mark]
            elif mark in tone_mnemonic:
                word += tone_mnemonic[mark]
            else:
                word = char  # not a Vietnamese letter: written as it is
                break
        out.append(word)
    return "".join(out)
