"""Text as a legacy-font file shows it, made from Unicode, for tests of the conversion."""

from __future__ import annotations

import json
from importlib.resources import files


def tcvn3(text: str) -> str:
    """`text` typed in a TCVN3 (ABC) font, as a Unicode reader of the file shows it."""
    table = {
        letter: int(byte, 16)
        for byte, letter in json.loads(
            (files("schemas") / "data" / "legacy-tcvn3.json").read_text("utf-8")
        )["bytes"].items()
    }
    raw = bytes(table.get(c, ord(c)) for c in text)
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw)
