"""The spreadsheet connector on CSV files: encodings, delimiters, streaming, decode faults."""

from __future__ import annotations

import codecs
import csv
import logging
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors import SourceDataError, SourceRecord
from connectors.spreadsheet import SpreadsheetConnector

HEADER = ["Mã số", "Tên nhiệm vụ", "Chủ nhiệm", "Ngày cập nhật"]
ROWS = [
    ["ĐT-01", "Nghiên cứu giống lúa, chịu mặn", "Nguyễn Văn Ấn", "15/03/2024"],
    ["ĐT-02", "Ứng dụng công nghệ sinh học", "Trần Thị Bích Ngọc", "2024-04-01"],
]
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 has â ê ô ă ơ ư đ precomposed but the five tone marks only as combining
    characters, the way Vietnamese Windows programs wrote it."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append(base + "".join(c for c in decomposed if c in _TONES))
    return "".join(out).encode("cp1258")


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    lines = []
    for row in rows:
        cells = [f'"{c}"' if delimiter in c or "," in c else c for c in row]
        lines.append(delimiter.join(cells))
    return "\r\n".join(lines) + "\r\n"


def connector(path: Path, **options: Any) -> SpreadsheetConnector:
    options.setdefault("id_column", "Mã số")
    return SpreadsheetConnector("tinh", {"path": path.name, **options}, base_dir=path.parent)


def nfc(record: SourceRecord) -> dict[str, str]:
    return {k: unicodedata.normalize("NFC", v) for k, v in record.payload.items()}


ENCODERS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "windows-1258": to_cp1258,
}


@pytest.mark.parametrize("encode", ENCODERS.values(), ids=ENCODERS.keys())
def test_every_encoding_reads_the_same_vietnamese_text(tmp_path: Path,
                                                       encode: Callable[[str], bytes]) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_bytes(encode(csv_text([HEADER, *ROWS])))

    records = list(connector(path).records())

    assert [r.record_id for r in records] == ["ĐT-01", "ĐT-02"]
    assert [nfc(r) for r in records] == [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    assert records[0].origin == {"file": "nhiem-vu.csv", "row": 2,
                                 "columns": {"Mã số": "A", "Tên nhiệm vụ": "B",
                                             "Chủ nhiệm": "C", "Ngày cập nhật": "D"}}


@pytest.mark.parametrize(("encode", "expected"), [
    (ENCODERS["utf-8"], "utf-8"),
    (ENCODERS["utf-16-le-no-bom"], "utf-16-le"),
    (ENCODERS["windows-1258"], "cp1258"),
], ids=["utf-8", "utf-16-le-no-bom", "windows-1258"])
def test_the_detected_encoding_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                         encode: Callable[[str], bytes], expected: str) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_bytes(encode(csv_text([HEADER, *ROWS])))

    with caplog.at_level(logging.INFO, logger="connectors.spreadsheet"):
        list(connector(path).records())

    assert f"nhiem-vu.csv as {expected}" in caplog.text


def test_an_explicit_encoding_is_used_as_given(tmp_path: Path) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_bytes(csv_text([HEADER, *ROWS]).encode("utf-16"))

    records = list(connector(path, encoding="utf-16").records())

    assert nfc(records[1])["Chủ nhiệm"] == "Trần Thị Bích Ngọc"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"],
                         ids=["comma", "semicolon", "tab", "pipe"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_text(csv_text([HEADER, *ROWS], delimiter), encoding="utf-8")

    records = list(connector(path).records())

    assert [dict(r.payload) for r in records] == [dict(zip(HEADER, row, strict=True))
                                                  for row in ROWS]


def test_semicolons_win_over_commas_inside_vietnamese_amounts(tmp_path: Path) -> None:
    path = tmp_path / "kinh-phi.csv"
    path.write_text(
        "Mã số;Kinh phí;Ghi chú\n"
        "ĐT-01;1.250.000.000;đợt 1, đợt 2\n"
        "ĐT-02;1,25 tỷ;chuyển tiếp, gia hạn, điều chỉnh\n"
        "ĐT-03;850,5 triệu;\n",
        encoding="utf-8",
    )

    records = list(connector(path).records())

    assert [r.payload["Kinh phí"] for r in records] == ["1.250.000.000", "1,25 tỷ", "850,5 triệu"]
    assert records[1].payload["Ghi chú"] == "chuyển tiếp, gia hạn, điều chỉnh"


def test_an_explicit_delimiter_overrides_sniffing(tmp_path: Path) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_text("Mã số|Tên\nA,1|x;y\n", encoding="utf-8")

    records = list(connector(path, delimiter="|").records())

    assert dict(records[0].payload) == {"Mã số": "A,1", "Tên": "x;y"}


def test_a_value_on_two_lines_is_one_row_as_a_spreadsheet_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "nhiem-vu.csv"
    path.write_text('Mã số,Cơ quan chủ trì\nĐT-01,"Viện Lúa\nKS. Nguyễn Văn A"\nĐT-02,Sở KH&CN\n',
                    encoding="utf-8")

    records = list(connector(path).records())

    assert records[0].payload["Cơ quan chủ trì"] == "Viện Lúa\nKS. Nguyễn Văn A"
    assert [r.origin["row"] for r in records] == [2, 3]


def test_twenty_thousand_rows_are_streamed(tmp_path: Path) -> None:
    path = tmp_path / "lon.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mã số", "Tên nhiệm vụ", "Kinh phí"])
        for i in range(1, 20_001):
            writer.writerow([f"NV-{i:05d}", f"Nhiệm vụ số {i}", i * 1000])

    count, last = 0, None
    for record in connector(path).records():
        count += 1
        last = record

    assert count == 20_000
    assert last is not None
    assert last.record_id == "NV-20000"
    assert last.origin["row"] == 20_001
    assert last.payload == {"Mã số": "NV-20000", "Tên nhiệm vụ": "Nhiệm vụ số 20000",
                            "Kinh phí": "20000000"}


@pytest.mark.parametrize(("options", "good_rows", "bad_line"), [
    # detection saw only clean UTF-8 in its 64 KB sample; the bad byte comes much later
    ({}, 3000, 3002),
    ({"encoding": "utf-8"}, 5, 7),
], ids=["auto-after-the-sample", "explicit-utf-8"])
def test_a_byte_that_does_not_decode_names_file_and_line(
    tmp_path: Path, options: dict[str, str], good_rows: int, bad_line: int
) -> None:
    path = tmp_path / "hong.csv"
    body = "".join(f"NV-{i:05d},Nhiệm vụ nghiên cứu khoa học số {i}\n" for i in range(good_rows))
    path.write_bytes(("Mã số,Tên\n" + body).encode("utf-8") + b"NV-X,\xff\xfe bad\nNV-Y,ok\n")

    read: list[SourceRecord] = []
    with pytest.raises(SourceDataError) as caught:
        for record in connector(path, **options).records():
            read.append(record)

    message = str(caught.value)
    assert "hong.csv" in message
    assert f"line {bad_line} " in message
    assert "utf-8" in message
    # every row before the bad line was yielded and stays with the caller
    assert len(read) == good_rows
    assert read[-1].record_id == f"NV-{good_rows - 1:05d}"
