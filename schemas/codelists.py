"""Code lists of the national record: task codes, research fields and provinces."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

SCHEMES = ("qd12_2008", "tt24_2025")
# The act behind each scheme, in Vietnamese and English.
SCHEME_TITLES = {
    "qd12_2008": ("Quyết định 12/2008/QĐ-BKHCN", "Decision 12/2008/QĐ-BKHCN"),
    "tt24_2025": ("Thông tư 24/2025/TT-BKHCN", "Circular 24/2025/TT-BKHCN"),
}

# Two digits 01-99: every level below the first is numbered this way in both schemes.
_G = "(?:0[1-9]|[1-9][0-9])"
# Circular 24/2025 codes by structure; its 7-digit level spans exactly 1010101-6040799.
TT24_CODE_PATTERN = (
    f"^(?:[1-6](?:{_G}{_G}?)?|[1-5]{_G}{_G}{_G}|6(?:0[1-3]{_G}{_G}|040[1-7]{_G}))$"
)
# Decision 12/2008 table 2: objectives 10-23, children xx01 (general) to xx99 (other).
SEO_PATTERN = f"^(?:1[0-9]|2[0-3]){_G}?$"
# Decision 12/2008 table 3: research, technology development, S&T services.
ACTIVITY_TYPE_PATTERN = "^(?:[1-3]|10[12]|20[12]|30[1-9]|399)$"


def fold(text: str, *, accents: bool = True) -> str:
    """The form labels are compared in: NFC, casefolded, whitespace collapsed.

    With `accents=False` tone and vowel marks are dropped too and đ becomes d, so that
    "Huỷ" and "Hủy" (old and new tone placement, not canonically equivalent) meet.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    folded = " ".join(folded.split())
    if not accents:
        decomposed = unicodedata.normalize("NFD", folded.replace("đ", "d"))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded


@dataclass(frozen=True)
class Code:
    """One code of a list, with the labels a person may write for it."""

    code: str
    label_vi: str
    label_en: str
    synonyms: tuple[str, ...] = ()

    def labels(self) -> tuple[str, ...]:
        return (self.code, self.label_vi, self.label_en, *self.synonyms)


class CodeList:
    """A named list of codes; `match_label` turns a province's wording into a code."""

    def __init__(self, name: str, label_vi: str, label_en: str, codes: Iterable[Code]):
        self.name = name
        self.label_vi = label_vi
        self.label_en = label_en
        self._codes = {c.code: c for c in codes}
        self._exact = self._index(accents=True)
        self._loose = self._index(accents=False)

    def _index(self, *, accents: bool) -> dict[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for c in self._codes.values():
            for label in c.labels():
                index.setdefault(fold(label, accents=accents), set()).add(c.code)
        return {k: frozenset(v) for k, v in index.items()}

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._codes

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes.values())

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"CodeList({self.name!r}, {self.codes()!r})"

    def codes(self) -> list[str]:
        return list(self._codes)

    def get(self, code: str) -> Code | None:
        return self._codes.get(code) if isinstance(code, str) else None

    def match_label(self, text: str) -> str | None:
        """The code whose code, label or synonym reads as `text`; None when none or several do.

        Exact wording wins over accent-insensitive wording, so "Đạt" never loses to a
        look-alike without marks.
        """
        if not isinstance(text, str) or not text.strip():
            return None
        for index, accents in ((self._exact, True), (self._loose, False)):
            found = index.get(fold(text, accents=accents))
            if found:
                return next(iter(found)) if len(found) == 1 else None
        return None


def _load(name: str) -> Any:
    return json.loads((files("schemas") / "data" / name).read_text(encoding="utf-8"))


@cache
def _code_lists() -> dict[str, CodeList]:
    lists = _load("codelists.json")["lists"]
    return {
        name: CodeList(
            name, spec["label_vi"], spec["label_en"],
            (Code(c["code"], c["label_vi"], c["label_en"], tuple(c.get("synonyms", ())))
             for c in spec["codes"]),
        )
        for name, spec in lists.items()
    }


def code_list_names() -> tuple[str, ...]:
    return tuple(_code_lists())


def code_list(name: str) -> CodeList:
    """The code list called `name`; LookupError naming the known lists otherwise."""
    try:
        return _code_lists()[name]
    except (KeyError, TypeError):
        known = ", ".join(_code_lists())
        raise LookupError(f"unknown code list {name!r}; known code lists: {known}") from None


# Research fields ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ResearchField:
    """A research field code: `level` 1 field, 2 sector, 3 major, 4 (tt24_2025 only) detail."""

    scheme: str
    code: str
    level: int
    name_vi: str | None
    note_vi: str | None = None


@cache
def _qd12_2008() -> dict[str, ResearchField]:
    return {
        f["code"]: ResearchField("qd12_2008", f["code"], f["level"], f["name_vi"],
                                 f.get("note_vi"))
        for f in _load("qd12-2008-fields.json")["fields"]
    }


def qd12_2008_fields() -> tuple[ResearchField, ...]:
    """The whole Decision 12/2008 table, in its printed order."""
    return tuple(_qd12_2008().values())


def research_field(scheme: str, code: str) -> ResearchField | None:
    """The field `code` of `scheme`, or None when the scheme does not know it.

    Circular 24/2025 names are not available, so its codes are accepted by structure and
    keep the 2008 name where the 2008 table has the same code.
    """
    if not isinstance(code, str):
        return None
    if scheme == "qd12_2008":
        return _qd12_2008().get(code)
    if scheme == "tt24_2025" and re.fullmatch(TT24_CODE_PATTERN, code):
        known = _qd12_2008().get(code)
        return ResearchField(scheme, code, (len(code) + 1) // 2,
                             known.name_vi if known else None)
    return None


# "Khoa học kỹ thuật" and "Khoa học kĩ thuật": a lone i or y after a consonant is spelled both
# ways in official texts, so names are compared with that y read as i.
_LONE_Y = re.compile(r"\b([bcdghklmnpqrstvx]+)y\b")
_NOT_WORD = re.compile(r"[^\w]+")


def field_name_key(name: str) -> str:
    """The form research field names are compared in: no accents, case or punctuation,
    "kĩ" = "kỹ", "&" = "và", "KH" = "khoa học"."""
    key = fold(name.replace("&", " và "), accents=False)
    key = _LONE_Y.sub(r"\1i", _NOT_WORD.sub(" ", key))
    return " ".join("khoa hoc" if w == "kh" else w for w in key.split())


@cache
def _qd12_2008_names() -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for f in _qd12_2008().values():
        if f.name_vi:
            names.setdefault(field_name_key(f.name_vi), []).append(f.code)
    return {k: tuple(v) for k, v in names.items()}


def qd12_2008_codes_named(name: str) -> tuple[str, ...]:
    """The Decision 12/2008 codes, at any level, whose printed name reads as `name`.

    Two names are printed twice ("Khoa học chính trị" is sector 506 and major 50601), so
    the answer may hold more than one code; none when no name matches.
    """
    if not isinstance(name, str):
        return ()
    return _qd12_2008_names().get(field_name_key(name), ())


def qd12_2008_close_names(name: str, n: int = 3) -> list[str]:
    """Printed names that look like `name`, for a hint when it matches none."""
    import difflib

    keys = difflib.get_close_matches(field_name_key(name), list(_qd12_2008_names()), n=n,
                                     cutoff=0.75)
    by_key = {field_name_key(f.name_vi): f for f in _qd12_2008().values() if f.name_vi}
    return [f"{by_key[k].code} {by_key[k].name_vi}" for k in keys]


def socio_economic_objective_ok(code: str) -> bool:
    return isinstance(code, str) and re.fullmatch(SEO_PATTERN, code) is not None


def activity_type_ok(code: str) -> bool:
    return isinstance(code, str) and re.fullmatch(ACTIVITY_TYPE_PATTERN, code) is not None


# Provinces ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Province:
    """A provincial unit from 2025-07-01, with the pre-merger codes it took over."""

    code: str
    name_vi: str
    merged_from: tuple[str, ...]


@dataclass(frozen=True)
class FormerProvince:
    """One of the 63 provincial units before 2025-07-01 and the unit that succeeded it."""

    code: str
    name_vi: str
    successor: str


_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp\.?)\s*")
_DASH = re.compile(r"\s*[-‐‑–—]\s*")


def _province_key(name: str) -> str:
    key = _PREFIX.sub("", fold(name, accents=False), count=1)
    return _DASH.sub("-", key)


_ProvinceTables = tuple[dict[str, Province], dict[str, FormerProvince], dict[str, frozenset[str]]]


@cache
def _provinces() -> _ProvinceTables:
    data = _load("provinces.json")
    current = {p["code"]: Province(p["code"], p["name_vi"], tuple(p["merged_from"]))
               for p in data["current"]}
    former = {p["code"]: FormerProvince(p["code"], p["name_vi"], p["successor"])
              for p in data["before_2025_07_01"]}
    names: dict[str, set[str]] = {}
    pairs = [(p.name_vi, p.code) for p in current.values()]
    pairs += [(p.name_vi, p.successor) for p in former.values()]
    pairs += [(alias, code) for code, aliases in data["aliases"].items() for alias in aliases]
    for name, code in pairs:
        names.setdefault(_province_key(name), set()).add(code)
    return current, former, {k: frozenset(v) for k, v in names.items()}


def current_provinces() -> dict[str, Province]:
    return dict(_provinces()[0])


def former_provinces() -> dict[str, FormerProvince]:
    return dict(_provinces()[1])


def successor_province(old_code: str) -> str | None:
    """The current code of a province as coded before 2025-07-01."""
    former = _provinces()[1].get(old_code) if isinstance(old_code, str) else None
    return former.successor if former else None


def province_by_name(name: str) -> str | None:
    """The current code for an old or current province name, written any usual way."""
    if not isinstance(name, str) or not name.strip():
        return None
    found = _provinces()[2].get(_province_key(name))
    return next(iter(found)) if found and len(found) == 1 else None


def province_of(written: str) -> tuple[Province, FormerProvince | None] | None:
    """The current province a setting names, by its current or pre-2025 code ("52", "37",
    "6") or its name, old or new ("Gia Lai", "Bình Định", "TP.HCM"); with the pre-2025 unit
    when that is what was written (a former code, or a former name that is not the current
    unit's). None when nothing matches."""
    if not isinstance(written, str) or not written.strip():
        return None
    text = written.strip()
    current, former, _ = _provinces()
    if text.isdigit() and len(text) <= 2:
        code = text.zfill(2)
        if code in current:
            return current[code], None
        old = former.get(code)
        return (current[old.successor], old) if old else None
    named = province_by_name(text)
    if named is None:
        return None
    key = _province_key(text)
    if key == _province_key(current[named].name_vi):
        return current[named], None
    old = next((p for p in former.values() if _province_key(p.name_vi) == key), None)
    return current[named], old


def former_by_name(name: str) -> FormerProvince | None:
    """The pre-2025 unit called `name`, written any usual way; None when none or several."""
    key = _province_key(name) if isinstance(name, str) else ""
    found = [p for p in _provinces()[1].values() if _province_key(p.name_vi) == key]
    return found[0] if len(found) == 1 else None
