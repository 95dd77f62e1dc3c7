"""The check that no connector error is made without its Vietnamese text.

Admins read connector errors in Vietnamese (`err.text("vi")`); an error made without
`message_vi` falls back to English there, and nothing else would notice. So the connectors'
source is read with `ast` and every construction of a connector error is looked at, whether it
is raised where it is made or returned by a function that builds it for a `raise` elsewhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

# The connector errors, and the place `message_vi` has among their positional arguments
# (None: keyword only).
VIETNAMESE_AT: dict[str, int | None] = {
    "ConnectorError": 2,
    "SourceAuthError": 2,
    "SourceUnavailable": 2,
    "SourceConfigError": 3,
    "SourceDataError": None,
}


def raises_without_vietnamese(paths: Iterable[Path]) -> list[str]:
    """"file:line: Class" for each connector error made without a `message_vi` in the Python
    files of `paths` (files, or folders searched with their subfolders). A `message_vi=None`
    written out counts as missing; one passed on from a variable counts as given."""
    missing: list[str] = []
    for file in _python_files(paths):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)),
                       key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            name = _error_called(call)
            if name is not None and not _has_vietnamese(call, name):
                missing.append(f"{file}:{call.lineno}: {name}")
    return missing


def _python_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _error_called(call: ast.Call) -> str | None:
    """The connector error `call` makes, if it makes one (`SourceDataError(...)` or
    `errors.SourceDataError(...)`)."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None
    return name if name in VIETNAMESE_AT else None


def _has_vietnamese(call: ast.Call, name: str) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "message_vi":
            return not _is_none(keyword.value)
    position = VIETNAMESE_AT[name]
    if position is None or len(call.args) <= position:
        return False
    if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return False      # cannot tell which argument lands there
    return not _is_none(call.args[position])


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
