"""Whether a word is a written Vietnamese syllable: the yardstick legacy detection reads by.

Mis-decoded text gives itself away in words no Vietnamese writer would spell: "Nghiªn",
"Ñaø", "cafộ". A syllable is an onset, a vowel group and a final consonant, with at most one
tone mark on a vowel; either tone placement (hoà, hòa) is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")

_ONSET = "(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
_VOWELS = (
    "iêu|yêu|uyê|uya|uyu|oai|oao|oay|oeo|uây|uôi|ươi|ươu|uơi|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|oo|ôi|ơi|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|"
    "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
)
_CODA = "(ch|ng|nh|c|m|n|p|t)?"
_SYLLABLE = re.compile(f"{_ONSET}({_VOWELS}){_CODA}")
_MODIFIED = frozenset("ăâêôơư")
# Vowel pairs that take the tone on either vowel: hoà/hòa, thuỷ/thủy, khoẻ/khỏe.
_EITHER = frozenset({"oa", "oe", "uy"})
# Abbreviations in capitals such as QĐ, ĐVT, TNLĐ: consonants only, one of them Đ.
_ABBREVIATION = re.compile("[BCDĐGHKLMNPQRSTVX]*Đ[BCDĐGHKLMNPQRSTVX]*")
# Letters, combining marks, and any Latin-1 character except the no-break space: mis-read
# legacy letters show up as Latin-1 symbols (¨ · ª ¹) inside words.
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u00a1-\u00ff\u0080-\u009f])+")


def is_syllable(word: str) -> bool:
    """True for a Vietnamese syllable in lower, upper or title case with its tone mark where
    Vietnamese puts it, e.g. "Nghiên", "khuỷu", "QĐ"; False for "maõ", "tÝnh", "cafộ"."""
    if _ABBREVIATION.fullmatch(word):
        return True
    if not (word.islower() or word.isupper() or word.istitle()):
        return False
    parts = unicodedata.normalize("NFD", word.lower())
    tones = [i for i, c in enumerate(parts) if c in _TONES]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    match = _SYLLABLE.fullmatch(bare)
    if match is None:
        return False
    if not tones:
        return True
    # Which letter of the bare word carries the tone: count the letters before it.
    toned = len(unicodedata.normalize("NFC", parts[: tones[0]])) - 1
    start = len(match.group(1) or "")
    vowels, coda = match.group(2), match.group(3)
    return toned - start in _tone_places(vowels, bool(coda))


def _tone_places(vowels: str, closed: bool) -> set[int]:
    """Where in a vowel group the tone mark may go."""
    modified = [i for i, c in enumerate(vowels) if c in _MODIFIED]
    if modified:
        return {modified[-1]}
    if len(vowels) == 1:
        return {0}
    if len(vowels) == 3:
        return {1}
    if closed:
        return {1}
    return {0, 1} if vowels in _EITHER else {0}


@dataclass(frozen=True)
class Score:
    """Words outside ASCII in a text: those that read as Vietnamese and those that do not."""

    good: int
    bad: int

    def __add__(self, other: Score) -> Score:
        return Score(self.good + other.good, self.bad + other.bad)


def score(text: str) -> Score:
    """Count the words outside ASCII that read as Vietnamese and those that do not.

    In a line of mostly lower-case words, a word in capitals with marks counts as not
    Vietnamese: legacy bytes read as Latin-1 come out as "HÌ" among lower-case words ("Lóa HÌ
    thu" is TCVN3 "Lúa Hè thu"), while a heading in capitals keeps its marks ("BÁO CÁO").
    """
    words = _WORD.findall(text)
    lower = sum(1 for w in words if any(c.islower() for c in w))
    upper = sum(1 for w in words if w.isupper() and len(w) > 1)
    mostly_lower = lower > upper
    good = bad = 0
    for word in words:
        if word.isascii():
            continue
        shouting = mostly_lower and len(word) > 1 and word.isupper()
        if is_syllable(word) and not (shouting and not _ABBREVIATION.fullmatch(word)):
            good += 1
        else:
            bad += 1
    return Score(good, bad)
