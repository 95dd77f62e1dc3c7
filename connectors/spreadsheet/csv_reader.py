"""CSV files: encoding and delimiter detection on a sample, then rows streamed line by line."""

from __future__ import annotations

import codecs
import csv
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from connectors.base import cannot_open, describe_origin
from connectors.errors import SourceDataError
from connectors.spreadsheet.encoding import (
    SAMPLE_SIZE,
    LineDecodeError,
    decoded_lines,
    detect_encoding,
)
from connectors.spreadsheet.options import DELIMITERS
from connectors.spreadsheet.sheet import OpenSheet, Row, require_file

logger = logging.getLogger(__name__)

# Sniffing a few hundred lines is as good as sniffing all of them, and much faster.
_SNIFF_LINES = 200


@contextmanager
def open_csv(source: str, path: Path, encoding: str, delimiter: str | None
             ) -> Iterator[OpenSheet]:
    """`encoding` is "auto" or a codec name; `delimiter` None means sniff it."""
    require_file(source, path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise cannot_open(source, path, exc) from exc
    with raw:
        sample = raw.read(SAMPLE_SIZE + 1)
        complete = len(sample) <= SAMPLE_SIZE
        sample = sample[:SAMPLE_SIZE]
        if encoding == "auto":
            codec, skip = detect_encoding(sample, complete=complete)
        else:
            codec, skip = encoding, 0
        text = codecs.getincrementaldecoder(codec)(errors="replace").decode(
            sample[skip:], final=complete
        )
        if delimiter is None:
            delimiter = sniff_delimiter(text if complete else text.rpartition("\n")[0])
        logger.info("%s: reading %s as %s%s, delimiter %r", source, path.name, codec,
                    " (byte-order mark)" if skip else "", delimiter)
        raw.seek(skip)
        yield OpenSheet(file=path.name, sheet=None,
                        rows=_rows(source, path.name, raw, codec, delimiter))


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the sample's lines most consistently."""
    lines = [line for line in text.splitlines() if line.strip()][:_SNIFF_LINES]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    # The sniffer gives up on samples with few rows or ragged title lines; the most frequent
    # candidate is then the best guess, and a one-column file is read with the default.
    counts = Counter(ch for ch in sample if ch in DELIMITERS)
    return counts.most_common(1)[0][0] if counts else ","


def _rows(source: str, file: str, raw: BinaryIO, codec: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(decoded_lines(raw, codec), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except LineDecodeError as exc:
            raise SourceDataError(
                source, f"line {exc.line} cannot be decoded as {codec} ({exc.reason}); "
                "set the source's encoding option", where=file,
                message_vi=f"dòng {exc.line} không giải mã được bằng bảng mã {codec} "
                f"({exc.reason}); hãy đặt tuỳ chọn encoding của nguồn",
                where_vi=describe_origin({"file": file}, "vi"),
            ) from exc
        except csv.Error as exc:
            at = {"file": file, "line": reader.line_num}
            raise SourceDataError(source, f"malformed CSV: {exc}", where=describe_origin(at),
                                  message_vi=f"CSV sai cấu trúc: {exc}",
                                  where_vi=describe_origin(at, "vi")) from exc
        # A quoted value spanning lines is still one row, as a spreadsheet program shows it.
        number += 1
        yield number, cells
