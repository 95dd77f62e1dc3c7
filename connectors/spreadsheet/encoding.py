"""The text encoding of a CSV file: detection from a sample, and incremental decoding by line."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

SAMPLE_SIZE = 64 * 1024
_CHUNK_SIZE = 64 * 1024

# Longest BOM first: the UTF-32 LE BOM begins with the UTF-16 LE one.
# The BOM is skipped and the byte order named in the codec, so that any later chunk can be
# decoded on its own when a bad byte's line has to be found.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Legacy Vietnamese Windows exports are Windows-1258; it is the last resort because it
# decodes almost any byte string, so it can never prove itself right.
FALLBACK = "cp1258"


class LineDecodeError(Exception):
    """Bytes that the chosen encoding cannot decode; `line` is their 1-based physical line."""

    def __init__(self, line: int, encoding: str, reason: str):
        super().__init__(f"line {line} is not valid {encoding} ({reason})")
        self.line = line
        self.encoding = encoding
        self.reason = reason


def detect_encoding(sample: bytes, *, complete: bool) -> tuple[str, int]:
    """The codec for a file starting with `sample`, and how many BOM bytes to skip before
    decoding with it. `complete` says the sample is the whole file."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name, len(bom)
    try:
        # A sample cut in the middle of a multi-byte character is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8", 0
    except UnicodeDecodeError:
        pass
    return _utf16_without_bom(sample) or FALLBACK, 0


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text is mostly Latin letters and Vietnamese in U+00xx-U+1Exx, so one byte of
    each pair is NUL far more often than in any 8-bit encoding."""
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 2:
        return None
    even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nuls >= 0.25 and even_nuls < 0.05:
        name = "utf-16-le"
    elif even_nuls >= 0.25 and odd_nuls < 0.05:
        name = "utf-16-be"
    else:
        return None
    try:
        codecs.getincrementaldecoder(name)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return name


def decoded_lines(raw: BinaryIO, encoding: str) -> Iterator[str]:
    """Lines of text (terminators kept) read chunk by chunk, never the whole file at once.

    Every complete line before a byte that does not decode is yielded; then LineDecodeError
    names the physical line holding that byte.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    pending = ""
    while True:
        chunk = raw.read(_CHUNK_SIZE)
        final = not chunk
        data = getattr(decoder, "buffer", b"") + chunk
        failure: UnicodeDecodeError | None = None
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            failure = exc
            text = data[: exc.start].decode(encoding, errors="replace")
        parts = (pending + text).split("\n")
        pending = parts.pop()
        for part in parts:
            line += 1
            yield part + "\n"
        if failure is not None:
            raise LineDecodeError(line, encoding, failure.reason) from failure
        if final:
            break
    if pending:
        yield pending
