"""A source's text as the mapper reads it: legacy encodings converted to NFC, cell by cell.

Old provincial workbooks hold TCVN3, VNI, VIQR or Windows-1258 text, sometimes two of them in
one file, line by line (`schemas.vietnamese` has the rule). Every string the mapper reads from
a source passes through `SourceText.read`; text that is good Unicode already comes out as it
went in (NFC). What a converted value was before is kept for audit (`MapResult.originals`) and
stored with the record's outbox row and events, never sent.

One `SourceText` serves one read of one source. A line that reads as Vietnamese in two
encodings ("Sè TT" is TCVN3 for "Số TT"; "Khá" is Unicode, or TCVN3 for "Khỏ") is decided by
the record's other cells first, since one person typed a row in one font: legacy cells make it
that legacy encoding, a cell no legacy byte can give ("ệ") makes it Unicode. Only a record with
neither takes the legacy encoding most of the source was found in so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from collections.abc import Mapping as AnyMapping
from functools import lru_cache
from typing import Any

from schemas.vietnamese import Conversion, convert, encoding_name
from schemas.vietnamese.bytetext import to_byte_text

# What `convert` reports for text it changed beyond composing Unicode.
LEGACY = frozenset({"tcvn3", "vni", "viqr", "cp1258", "mixed"})
_HINTS = ("tcvn3", "vni", "cp1258")
# How many of a record's strings are looked at for its context: a record's first cells are
# enough to know its font, and a large JSON payload need not be walked whole.
_CONTEXT_STRINGS = 200


@lru_cache(maxsize=8192)
def _convert(text: str, encoding: str, hint: str | None) -> Conversion:
    # Labels, unit names and dates repeat over thousands of rows.
    return convert(text, encoding, hint=hint)


class SourceText:
    """The source's `text_encoding` setting, and what its cells were found in so far.

    `encoding` is "auto" (the default: each cell detected) or a name `encoding_name` knows;
    an unknown name raises `UnknownEncoding` here, when the source's settings are read.
    """

    def __init__(self, encoding: str = "auto"):
        self.encoding = encoding_name(encoding)
        self.found: Counter[str] = Counter()
        self.record_hint: str | None = None

    @property
    def hint(self) -> str | None:
        """The legacy encoding most cells were found in so far, if any."""
        counts = [(self.found[n], n) for n in _HINTS if self.found[n]]
        return max(counts)[1] if counts else None

    def start_record(self, payload: Any) -> None:
        """Look at a record's own cells before reading any: they decide its ambiguous ones."""
        if self.encoding != "auto":
            return
        legacy: Counter[str] = Counter()
        unicode_only = False
        for text in _strings(payload):
            if to_byte_text(text) is None:
                unicode_only = True
                continue
            found = _convert(text, "auto", None).encoding
            if found in _HINTS:
                legacy[found] += 1
        if legacy:
            self.record_hint = max((n, e) for e, n in legacy.items())[1]
        else:
            self.record_hint = None if unicode_only else self.hint

    def read(self, text: str) -> Conversion:
        """`text` in NFC Unicode, and the encoding it was found in."""
        hint = self.record_hint if self.encoding == "auto" else None
        found = _convert(text, self.encoding, hint)
        if found.encoding in LEGACY:
            self.found[found.encoding] += 1
        return found


def _strings(payload: Any) -> Iterator[str]:
    """The non-ASCII strings of a payload, nested ones too, up to _CONTEXT_STRINGS; an XML
    record's markup (key "_xml") is not a cell."""
    stack = [payload]
    seen = 0
    while stack and seen < _CONTEXT_STRINGS:
        value = stack.pop()
        if isinstance(value, str):
            seen += 1
            if not value.isascii():
                yield value
        elif isinstance(value, AnyMapping):
            stack.extend(v for k, v in value.items() if k != "_xml")
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
