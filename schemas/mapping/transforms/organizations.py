"""Organisation names compared as people read them: "Trường ĐH Cần Thơ" is "Trường Đại học
Cần Thơ", whatever the case, tone marks or abbreviations.

`org_key(name)` gives the form two names are compared in; it is for matching only, and what is
sent keeps the name as the source wrote it. The abbreviations are data, in
`schemas/data/org-abbreviations.json`, so that a province can see and extend them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib.resources import files

from schemas.mapping.transforms.text import normalize

_DATA = "org-abbreviations.json"
_WORD = re.compile(r"[^\W_]+")
# "và" and "&" join parts of a name and are written either way, or left out ("NN-PTNT").
_JOINERS = frozenset({"va"})


def _fold(text: str) -> str:
    """Case, tone marks, the đ stroke and compatibility forms (full-width letters) dropped,
    until nothing changes: casefolding can bring marks back ("İ")."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKD", text.casefold().replace("đ", "d"))
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        if folded == text:
            break
        text = folded
    return text


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(_fold(normalize(text))) if w not in _JOINERS]


@cache
def _tables() -> tuple[dict[tuple[str, ...], tuple[str, ...]], dict[str, str], int]:
    """(abbreviation words -> expansion words, spelling -> spelling, longest abbreviation)."""
    data = json.loads(files("schemas").joinpath("data", _DATA).read_text(encoding="utf-8"))
    spellings: dict[str, str] = {}
    for a, b in data["spellings"].items():
        (key,), (to,) = _words(a), _words(b)
        spellings[key] = to
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for short, long in data["abbreviations"].items():
        words = tuple(spellings.get(w, w) for w in _words(short))
        expansion = tuple(spellings.get(w, w) for w in _words(long))
        if table.setdefault(words, expansion) != expansion:
            raise ValueError(f"{_DATA}: {short!r} is listed twice with different expansions")
    return table, spellings, max(len(k) for k in table)


def org_key(name: str) -> str:
    """The form organisation names are compared in: lower case ASCII words without tone marks,
    abbreviations written out, "và"/"&"/"-" between words ignored. Idempotent."""
    table, spellings, longest = _tables()
    words = [spellings.get(w, w) for w in _words(name)]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            expansion = table.get(tuple(words[i : i + n]))
            if expansion is not None:
                out.extend(expansion)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def same_organization(a: str, b: str) -> bool:
    """Whether two names name the same organisation as far as their words tell."""
    key = org_key(a)
    return bool(key) and key == org_key(b)
