"""The legacy code tables, read once from schemas/data (TCVN3, VNI, VIQR)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


def _load(name: str) -> Any:
    return json.loads((files("schemas") / "data" / name).read_text(encoding="utf-8"))


@cache
def tcvn3_table() -> dict[int, str]:
    """Byte -> text for every TCVN3 byte that is not itself (glibc's TCVN5712-1)."""
    return {int(byte, 16): text for byte, text in _load("legacy-tcvn3.json")["bytes"].items()}


@dataclass(frozen=True)
class VniTable:
    letters: dict[str, str]  # a one-byte letter, as read, -> the letter
    marks: dict[str, str]  # a mark byte, as read, -> combining marks
    bases: dict[str, frozenset[str]]  # a mark byte, as read -> the letters it may follow


@cache
def vni_table() -> VniTable:
    data = _load("legacy-vni.json")
    classes = {name: frozenset(letters) for name, letters in data["mark_bases"].items()}
    marks: dict[str, str] = {}
    bases: dict[str, frozenset[str]] = {}
    for entry in data["marks"]:
        byte = int(entry["byte"], 16)
        # The upper-case form of each mark byte is 0x20 below it; either may follow either case.
        for char in (chr(byte), chr(byte - 0x20)):
            marks[char] = entry["marks"]
            bases[char] = classes[entry["after"]]
    return VniTable(
        letters={chr(int(e["byte"], 16)): e["letter"] for e in data["letters"]},
        marks=marks,
        bases=bases,
    )


@dataclass(frozen=True)
class ViqrTable:
    modifiers: dict[str, tuple[str, frozenset[str]]]  # mnemonic -> (combining mark, bases)
    tones: dict[str, str]  # mnemonic -> combining tone mark
    tone_bases: frozenset[str]
    letters: dict[str, str]  # "dd" -> "đ"
    escape: str


@cache
def viqr_table() -> ViqrTable:
    data = _load("legacy-viqr.json")
    return ViqrTable(
        modifiers={k: (v["marks"], frozenset(v["bases"])) for k, v in data["modifiers"].items()},
        tones=dict(data["tones"]),
        tone_bases=frozenset(data["tone_bases"]),
        letters=dict(data["letters"]),
        escape=data["escape"],
    )
