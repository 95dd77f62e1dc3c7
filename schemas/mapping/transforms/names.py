"""People: "PGS.TS. Nguyễn Văn A" as {full_name, academic_title, degree}, one or several a cell."""

from __future__ import annotations

import re
from typing import Any

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import ascii_fold, clean

MAX_NAME = 100

_ACADEMIC = {"gs": "GS", "pgs": "PGS"}
_DEGREES = {"tskh": "TSKH", "ts": "TS", "ths": "ThS", "bsckii": "BSCKII", "bsck2": "BSCKII",
            "bscki": "BSCKI", "bsck1": "BSCKI", "cn": "CN", "ks": "KS", "bs": "BS", "ds": "DS",
            "kts": "KTS"}
# "BS.CKII" or a bare "CKII" is a specialist doctor; a pharmacist's "DS.CKI" has no code of
# its own, so it stays DS rather than be promoted to a doctor's degree.
_SPECIALIST = {"ckii": "BSCKII", "ck2": "BSCKII", "cki": "BSCKI", "ck1": "BSCKI"}
_CANDIDATE = {"ncs"}                       # a doctoral candidate: says nothing about the degree
_GENDER = {"ông": "male", "bà": "female"}
# Titles people write in two pieces: "Th.S", "BS CK II".
_JOINED = {("th", "s"): "ths", ("ck", "ii"): "ckii", ("ck", "2"): "ckii", ("ck", "i"): "cki",
           ("ck", "1"): "cki", ("bsck", "ii"): "bsckii", ("bsck", "i"): "bscki"}
# When a name carries several degrees ("TS.BS."), the highest is the one recorded.
_RANK = {"TSKH": 9, "TS": 8, "BSCKII": 7, "BSCKI": 6, "ThS": 5, "BS": 4, "DS": 4, "KTS": 4,
         "KS": 4, "CN": 3}

# A title is a word followed by a dot, comma, dash or space; the name's last word never is.
_TOKEN = re.compile(r"([^\W_]+)(?:\s*[.,:/–-]\s*|\s+)")
_NAME = re.compile(r"[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?")
_BULLET = re.compile(r"^(?:\d{1,3}\s*[.)/-]|[-–•+*·])\s*")
_TRIM = " .,;:-–"


def _bad(person: str, vi: str, en: str) -> Refused:
    return Refused("bad_name", vi, en, person)


def _words(text: str) -> list[tuple[str, str, int]]:
    """The words in front that could be titles: (folded, as written, end of its separator)."""
    found = []
    pos = 0
    while m := _TOKEN.match(text, pos):
        found.append((ascii_fold(m[1]), m[1], m.end()))
        pos = m.end()
    return found


def _titles(text: str) -> tuple[dict[str, str], int]:
    """The titles in front of a name, and where the name starts."""
    words = _words(text)
    found: dict[str, str] = {}
    degree, pos, previous, i = None, 0, "", 0
    while i < len(words):
        key, raw, end = words[i]
        if i + 1 < len(words) and (key, words[i + 1][0]) in _JOINED:
            key, end = _JOINED[key, words[i + 1][0]], words[i + 1][2]
            i += 1
        if raw.casefold() in _GENDER:
            found.setdefault("gender", _GENDER[raw.casefold()])
        elif key in _ACADEMIC:
            found.setdefault("academic_title", _ACADEMIC[key])
        elif key in _DEGREES or key in _SPECIALIST:
            here = _DEGREES.get(key) or ("DS" if previous == "ds" else _SPECIALIST[key])
            if degree is None or _RANK[here] > _RANK[degree]:
                degree = here
        elif key not in _CANDIDATE:
            break
        previous, pos, i = key, end, i + 1
    if degree:
        found["degree"] = degree
    return found, pos


def parse_person(text: str) -> dict[str, str]:
    """One person's name with its titles split off; Refused when no clean name is left."""
    person = _BULLET.sub("", text.strip())
    found, pos = _titles(person)
    name = person[pos:].strip(_TRIM)
    if not name:
        raise _bad(text, "chỉ có học hàm/học vị, không có họ tên",
                   "holds titles but no name")
    if len(name) > MAX_NAME:
        raise _bad(text, f"dài quá {MAX_NAME} ký tự để là một họ tên",
                   f"is longer than {MAX_NAME} characters for one name")
    if not _NAME.fullmatch(name):
        raise _bad(text, "họ tên chứa chữ số hoặc ký tự khác chữ cái (ngoặc, dấu phẩy…); "
                   "mỗi người một dòng hoặc phân cách bằng split",
                   "the name holds digits or characters other than letters (brackets, "
                   "commas…); put one person a line or set split")
    return {"full_name": name, **found}


def people(text: str, split: str | None) -> list[str]:
    """The persons written in one cell: one a line, or separated by `split`."""
    parts = text.split("\n")
    if split:
        parts = [p for line in parts for p in line.split(split)]
    return [p.strip() for p in parts if _BULLET.sub("", p.strip()).strip(_TRIM)]


def to_person(value: Any, opts: Options) -> dict[str, str] | None:
    """A cell holding exactly one person."""
    text = clean(value, keep_newlines=True)
    if text is None:
        return None
    found = people(text, None)
    if len(found) > 1:
        raise _bad(text, f"có {len(found)} dòng nhưng trường này chỉ nhận một người",
                   f"has {len(found)} lines but this field takes one person")
    return parse_person(found[0]) if found else None
