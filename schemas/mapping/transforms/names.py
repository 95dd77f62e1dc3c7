"""People: "PGS.TS. Nguyễn Văn A" as {full_name, academic_title, degree}, one or several a cell."""

from __future__ import annotations

import re
from typing import Any

from schemas.mapping.errors import Refused
from schemas.mapping.transforms.base import Options
from schemas.mapping.transforms.text import ascii_fold, clean

MAX_NAME = 100

_ACADEMIC = {"gs": "GS", "pgs": "PGS"}
_DEGREES = {
    "tskh": "TSKH",
    "ts": "TS",
    "ths": "ThS",
    "bsckii": "BSCKII",
    "bsck2": "BSCKII",
    "bsnt": "BS",
    "bscki": "BSCKI",
    "bsck1": "BSCKI",
    "cn": "CN",
    "ks": "KS",
    "bs": "BS",
    "ds": "DS",
    "kts": "KTS",
}
# "BS.CKII" or a bare "CKII" is a specialist doctor; a pharmacist's "DS.CKI" has no code of
# its own, so it stays DS rather than be promoted to a doctor's degree.
_SPECIALIST = {"ckii": "BSCKII", "ck2": "BSCKII", "cki": "BSCKI", "ck1": "BSCKI"}
# Said of a person but no degree: a doctoral candidate, lecturer and researcher grades, the
# state's honours for teachers and artists. Dropped from the name, never turned into a degree.
_NOT_DEGREES = {"ncs", "gv", "gvc", "gvcc", "ncv", "ncvc", "ncvcc", "ngut", "ngnd", "ttut", "ttnd"}
_GENDER = {"ông": "male", "bà": "female"}
# Titles people write in pieces, compared without tone marks: "Th.S", "BS CK II", "P.GS".
_JOINED: dict[tuple[str, ...], str] = {
    ("th", "s"): "ths",
    ("ck", "ii"): "ckii",
    ("ck", "2"): "ckii",
    ("ck", "i"): "cki",
    ("ck", "1"): "cki",
    ("bsck", "ii"): "bsckii",
    ("bsck", "i"): "bscki",
    ("p", "gs"): "pgs",
    ("ts", "kh"): "tskh",
    ("bs", "nt"): "bs",
}
# Titles spelt out, compared with their tone marks: "Cử nhân" is a degree, "Cù Nhân" a name.
_SPELT = {
    "phó giáo sư": "pgs",
    "giáo sư": "gs",
    "tiến sĩ khoa học": "tskh",
    "tiến sỹ khoa học": "tskh",
    "tiến sĩ": "ts",
    "tiến sỹ": "ts",
    "thạc sĩ": "ths",
    "thạc sỹ": "ths",
    "kỹ sư": "ks",
    "kĩ sư": "ks",
    "cử nhân": "cn",
    "kiến trúc sư": "kts",
    "bác sĩ": "bs",
    "bác sỹ": "bs",
    "dược sĩ": "ds",
    "dược sỹ": "ds",
    "chuyên khoa ii": "ckii",
    "chuyên khoa cấp ii": "ckii",
    "chuyên khoa 2": "ckii",
    "chuyên khoa i": "cki",
    "chuyên khoa cấp i": "cki",
    "chuyên khoa 1": "cki",
    "nghiên cứu sinh": "ncs",
    "giảng viên chính": "gvc",
    "giảng viên": "gv",
    "nhà giáo ưu tú": "ngut",
    "nhà giáo nhân dân": "ngnd",
}
_PHRASES = {tuple(k.split()): v for k, v in _SPELT.items()}
_LONGEST = max(len(k) for k in _PHRASES)
# When a name carries several degrees ("TS.BS."), the highest is the one recorded.
_RANK = {
    "TSKH": 9,
    "TS": 8,
    "BSCKII": 7,
    "BSCKI": 6,
    "ThS": 5,
    "BS": 4,
    "DS": 4,
    "KTS": 4,
    "KS": 4,
    "CN": 3,
}

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


def _phrase(words: list[tuple[str, str, int]], i: int) -> tuple[str, int] | None:
    """A title written in several words from word i: (its key, how many words)."""
    for n in range(min(_LONGEST, len(words) - i), 1, -1):
        exact = tuple(w[1].casefold() for w in words[i : i + n])
        folded = tuple(w[0] for w in words[i : i + n])
        key = _PHRASES.get(exact) or _JOINED.get(folded)
        if key:
            return key, n
    return None


def _titles(text: str) -> tuple[dict[str, str], int]:
    """The titles in front of a name, and where the name starts."""
    words = _words(text)
    found: dict[str, str] = {}
    degree, pos, previous, i = None, 0, "", 0
    while i < len(words):
        key, raw, end = words[i]
        if joined := _phrase(words, i):
            key, n = joined
            end = words[i + n - 1][2]
            i += n - 1
        if raw.casefold() in _GENDER:
            found.setdefault("gender", _GENDER[raw.casefold()])
        elif key in _ACADEMIC:
            found.setdefault("academic_title", _ACADEMIC[key])
        elif key in _DEGREES or key in _SPECIALIST:
            here = _DEGREES.get(key) or ("DS" if previous == "ds" else _SPECIALIST[key])
            if degree is None or _RANK[here] > _RANK[degree]:
                degree = here
        elif key not in _NOT_DEGREES:
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
    # The last word is never read as a title ("Nguyễn Văn A"), unless nothing else is left.
    if not name or _titles(name + " ")[1] > len(name):
        raise _bad(text, "chỉ có học hàm/học vị, không có họ tên", "holds titles but no name")
    if len(name) > MAX_NAME:
        raise _bad(
            text,
            f"dài quá {MAX_NAME} ký tự để là một họ tên",
            f"is longer than {MAX_NAME} characters for one name",
        )
    if not _NAME.fullmatch(name):
        raise _bad(
            text,
            "họ tên chứa chữ số hoặc ký tự khác chữ cái (ngoặc, dấu phẩy…); "
            "mỗi người một dòng hoặc phân cách bằng split",
            "the name holds digits or characters other than letters (brackets, "
            "commas…); put one person a line or set split",
        )
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
        raise _bad(
            text,
            f"có {len(found)} dòng nhưng trường này chỉ nhận một người",
            f"has {len(found)} lines but this field takes one person",
        )
    return parse_person(found[0]) if found else None


# Between a unit and its investigator on one line: "Viện Lúa - TS. A", "Viện Lúa (TS. A)".
_UNIT_SEP = re.compile(r"\s*[-–—/;,(|]\s*")


def _titled(text: str) -> bool:
    """Whether a line starts with a person's title ("KS.", "PGS.TS", "Ông")."""
    found, pos = _titles(_BULLET.sub("", text.strip()))
    return pos > 0 and bool(found)


def unit_and_person(text: str) -> tuple[str, str]:
    """A cell holding the host unit and its investigator: (unit, person).

    Spreadsheets write the unit, then the investigator on the next line; the line that starts
    with a title is the person when exactly one does, otherwise the last line is. On one line,
    the person is what follows a dash, slash, semicolon, comma or bracket and starts with a
    title ("Trường ĐH Cần Thơ - PGS.TS. Lê Văn B"). Anything else is refused, never guessed.
    """
    lines = [line.strip(_TRIM) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) >= 2:
        titled = [i for i, line in enumerate(lines) if _titled(line)]
        at = titled[0] if len(titled) == 1 else len(lines) - 1
        unit = " ".join(line for i, line in enumerate(lines) if i != at)
        return unit, lines[at]
    line = lines[0] if lines else ""
    # A separator with spaces round it, a bracket or a semicolon parts the unit from the person
    # before a bare dash does: "Viện KH-CN / TS. Hà C".
    seps = sorted(_UNIT_SEP.finditer(line), key=lambda m: m[0] in ("-", "–", "—", "/"))
    for m in seps:
        unit, person = line[: m.start()].strip(_TRIM), line[m.end() :].strip(_TRIM + ")")
        if unit and person and _titled(person):
            return unit, person
    raise Refused(
        "bad_format",
        "chỉ có một giá trị; cần tên tổ chức, rồi chủ nhiệm ở dòng "
        "sau (hoặc sau dấu “-” và học hàm/học vị: “Viện X - TS. Nguyễn Văn A”)",
        "holds one value; expected the unit, then the investigator on the next line "
        "(or after a “-” with a title: “Viện X - TS. Nguyễn Văn A”)",
        text,
    )


def cell_part(value: Any, part: str) -> str | None:
    """The `part` option: the unit or the person of a cell holding both; None when empty."""
    text = clean(value, keep_newlines=True)
    if text is None:
        return None
    unit, person = unit_and_person(text)
    return unit if part == "organization" else person
