"""Every problem code the mapper and the validator can report has a description in the
data-quality report's summary, in both languages: a data owner never meets a bare code."""

from __future__ import annotations

import ast
from pathlib import Path

from sync.quality.texts import CODES

ROOT = Path(__file__).resolve().parents[1]


def _codes_in_code() -> dict[str, str]:
    """code -> the file that reports it: the first string of Refused(...), the second of
    Problem(...) and of the validator's self.add(...)."""
    found: dict[str, str] = {}
    for path in [*(ROOT / "schemas").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"Refused": 0, "Problem": 1, "add": 1}.get(name or "")
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, path.relative_to(ROOT).as_posix())
    return found


def test_every_problem_code_is_described_for_data_owners() -> None:
    found = _codes_in_code()
    assert len(found) >= 20  # the scan itself works
    missing = {code: where for code, where in found.items() if code not in CODES}
    assert missing == {}


def test_every_description_is_in_both_languages() -> None:
    for code, (vi, en) in CODES.items():
        assert vi.strip() and en.strip() and vi != en, code
