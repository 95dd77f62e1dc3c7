"""Which encoding a cell's text is in, line by line, and its NFC Unicode.

The rule, for each line of a cell:
1. A line that cannot have come from legacy bytes (it holds a letter such as "ệ" that no
   Windows reading of a byte gives) is Unicode: only composed to NFC.
2. A line whose Unicode reading is Vietnamese already — every word outside ASCII a valid
   syllable — is never touched (NFC only): "Nghiên cứu", "Hà", "José". The one exception:
   a line of Latin-1 letters only that reads as Vietnamese both ways ("Sè TT", TCVN3 for
   "Số TT") is read in the encoding the source is set to, or was found in (`hint`).
3. Otherwise each legacy reading (TCVN3, VNI, Windows-1258) is scored by its words; one that
   has fewer implausible words than the Unicode reading, no fewer good words than bad, and
   beats every other reading is taken, provided reading its result again changes nothing.
4. A line no reading wins on its own (too short, or ambiguous) takes the reading that wins
   over the whole cell, when that makes the line read cleanly.
ASCII lines are left alone, except VIQR: in "auto" only a line with at least two words
that become Vietnamese syllables, no word spoilt, and a mark punctuation cannot explain
(a modifier ^ ( +, đ, or a tone inside a word) — so "a?", "e.g." and "U+00E9" stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from schemas.vietnamese import cp1258, tcvn3, viqr, vni
from schemas.vietnamese.bytetext import to_byte_text
from schemas.vietnamese.syllables import Score, is_syllable, score

# Each reading gives the text and a count of bytes the encoding's real texts never hold.
LEGACY: dict[str, Callable[[str], tuple[str, int]]] = {
    "tcvn3": tcvn3.read,
    "vni": vni.read,
    "cp1258": cp1258.read,
}
ENCODINGS = ("auto", "unicode", "tcvn3", "vni", "viqr", "cp1258")
ALIASES = {
    "tcvn": "tcvn3",
    "tcvn5712": "tcvn3",
    "tcvn5712-1": "tcvn3",
    "abc": "tcvn3",
    "vni-windows": "vni",
    "windows-1258": "cp1258",
    "1258": "cp1258",
    "utf-8": "unicode",
    "nfc": "unicode",
}
# What a cell was found in: the names above, and
ASCII, UNICODE, MIXED, UNKNOWN = "ascii", "unicode", "mixed", "unknown"

# Signs of a mis-read legacy text left unconverted: C1 controls, and Latin-1 symbols that
# technical text does not use (° ± ² ³ µ ¹ ¼ ½ ¾ it does).
_MOJIBAKE = re.compile(r"[\u0080-\u009f\u00a1-\u00af\u00b4\u00b6-\u00b8\u00ba\u00bb\u00bf]")
_VIQR_SIGNS = re.compile(r"[(^+'`?~.]|dd|DD|Dd")
_WORDS = re.compile(r"[^\W\d_]+")


class UnknownEncoding(ValueError):
    """A source setting names an encoding this package does not read."""

    def __init__(self, name: str):
        super().__init__(f"unknown text encoding {name!r}; use one of: {', '.join(ENCODINGS)}")
        self.name = name


class Conversion(NamedTuple):
    text: str  # NFC
    encoding: str  # what the text was found in: ascii, unicode, tcvn3, vni, viqr, cp1258,
    # mixed (lines in different legacy encodings) or unknown (left as it is)


def encoding_name(name: str) -> str:
    """A setting's encoding as one of ENCODINGS; raises UnknownEncoding."""
    key = name.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in ENCODINGS:
        raise UnknownEncoding(name)
    return key


_NOTHING = Score(0, 0)


@dataclass(frozen=True)
class _Line:
    text: str
    encoding: str
    decided: bool  # False: no reading won on this line alone
    unicode_score: Score = _NOTHING
    readings: tuple[tuple[str, str, Score], ...] = ()


def convert_lines(
    text: str | bytes, encoding: str = "auto", *, hint: str | None = None
) -> list[Conversion]:
    """Each line of a cell converted, with the encoding it was found in."""
    name = encoding_name(encoding)
    prefer = encoding_name(hint) if hint else None
    if name in LEGACY:
        prefer = name
    elif prefer not in LEGACY:
        prefer = None
    if isinstance(text, bytes):
        try:
            cell = text.decode("utf-8")
        except UnicodeDecodeError:
            cell = text.decode("latin-1")
            if name in LEGACY:  # named bytes are not Unicode: read them straight
                read = LEGACY[name]
                return [Conversion(read(line)[0], name) for line in cell.split("\n")]
    else:
        cell = text
    lines = [_line(line, name, prefer) for line in cell.split("\n")]
    undecided = [line for line in lines if not line.decided and line.readings]
    if undecided:
        lines = _with_cell_reading(lines, undecided)
    return [Conversion(line.text, line.encoding) for line in lines]


def convert(text: str | bytes, encoding: str = "auto", *, hint: str | None = None) -> Conversion:
    """The NFC text of a cell and the encoding it was found in (see the module's rule).

    `encoding` is the source's setting: "auto", or the encoding the source is known to be in.
    `hint` (with "auto") is the legacy encoding most of the source's other cells were found
    in; it decides lines that read as Vietnamese both ways ("Sè TT" is TCVN3 "Số TT").
    """
    parts = convert_lines(text, encoding, hint=hint)
    found = {p.encoding for p in parts}
    legacy = found - {ASCII, UNICODE, UNKNOWN}
    if len(legacy) > 1:
        label = MIXED
    elif legacy:
        label = legacy.pop()
    elif UNKNOWN in found:
        label = UNKNOWN
    else:
        label = UNICODE if UNICODE in found else ASCII
    return Conversion("\n".join(p.text for p in parts), label)


def detect(text: str | bytes, *, hint: str | None = None) -> str:
    """The encoding `convert(text)` finds; text is never changed by asking."""
    return convert(text, hint=hint).encoding


def _line(line: str, name: str, prefer: str | None = None, *, check: bool = True) -> _Line:
    """One line decided; with `check`, a reading is taken only if reading its result again
    would leave it as it is, so that converting twice is converting once."""
    if line.isascii():
        if name == "viqr" or (name == "auto" and _VIQR_SIGNS.search(line)):
            decoded = _viqr(line, strict=name == "auto")
            if decoded is not None and decoded != line:
                return _Line(decoded, "viqr", True)
        return _Line(line, ASCII, True)
    nfc = unicodedata.normalize("NFC", line)
    byte_text = to_byte_text(line)
    if byte_text is None or name in ("unicode", "viqr"):
        return _Line(nfc, UNICODE, True)
    own = score(nfc)
    if own.bad == 0:
        # Vietnamese as it stands. Only a line of Latin-1 letters alone ("Sè TT") may still be
        # legacy, and is read so only in the encoding the source is known or found to use.
        if prefer is not None and to_byte_text(nfc) == nfc:
            _, decoded, found = _reading(prefer, nfc)
            if (
                decoded != nfc
                and found.bad == 0
                and found.good >= own.good
                and _stable(decoded, check)
            ):
                return _Line(decoded, prefer, True)
        return _Line(nfc, UNICODE, True)
    names = [name] if name in LEGACY else list(LEGACY)
    readings = tuple(_reading(n, byte_text) for n in names)
    winner = _winner(own, readings)
    if winner is None and prefer is not None:
        preferred = _reading(prefer, byte_text)
        if preferred[2].bad < own.bad:
            winner = preferred
    if winner is not None and _stable(winner[1], check):
        return _Line(winner[1], winner[0], True)
    label = UNKNOWN if _MOJIBAKE.search(nfc) else UNICODE
    return _Line(nfc, label, False, own, readings)


def _reading(name: str, byte_text: str) -> tuple[str, str, Score]:
    text, odd = LEGACY[name](byte_text)
    return name, text, score(text) + Score(0, odd)


def _winner(
    own: Score, readings: tuple[tuple[str, str, Score], ...]
) -> tuple[str, str, Score] | None:
    fit = [r for r in readings if r[2].bad < own.bad and 0 < r[2].good >= r[2].bad]
    if not fit:
        return None
    fit.sort(key=lambda r: (r[2].bad, -r[2].good))
    best = fit[0]
    rivals = [r for r in fit[1:] if r[2] == best[2] and r[1] != best[1]]
    return None if rivals else best


def _stable(text: str, check: bool = True) -> bool:
    """True when reading `text` again would leave it as it is."""
    if not check or text.isascii():
        return True
    # Without the source's encoding: a hint or a named encoding describes the source's text,
    # not ours, and reading ours in it again would decode twice.
    return _line(text, "auto", None, check=False).text == unicodedata.normalize("NFC", text)


def _with_cell_reading(lines: list[_Line], undecided: list[_Line]) -> list[_Line]:
    totals: dict[str, Score] = {}
    own = Score(0, 0)
    for line in undecided:
        own += line.unicode_score
        for n, _, s in line.readings:
            totals[n] = totals.get(n, Score(0, 0)) + s
    winner = _winner(own, tuple((n, n, s) for n, s in totals.items()))
    if winner is None:
        return lines
    chosen = winner[0]
    out = []
    for line in lines:
        taken = line
        if line in undecided:
            reading = next(r for r in line.readings if r[0] == chosen)
            if reading[2].bad == 0 and reading[2].good > 0 and _stable(reading[1]):
                taken = _Line(reading[1], chosen, True)
        out.append(taken)
    return out


def _viqr(line: str, *, strict: bool) -> str | None:
    decoded = viqr.scan(line)
    if not strict:
        return decoded.text
    marked = [w for w in _WORDS.findall(decoded.text) if not w.isascii()]
    if decoded.strong == 0 or len(marked) < 2 or not all(is_syllable(w) for w in marked):
        return None
    # a mnemonic left in a word means a mark that did not combine: not VIQR after all
    if any(not w.isascii() for w in _WORDS.findall(line)):
        return None
    return decoded.text
