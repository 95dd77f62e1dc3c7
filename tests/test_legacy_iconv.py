"""TCVN3 decodes as glibc's iconv does: the independent oracle on every Linux machine."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from schemas.vietnamese import tcvn3


def _iconv(data: bytes) -> str:
    iconv = shutil.which("iconv")
    if iconv is None:
        pytest.skip("iconv is not installed")
    found = subprocess.run([iconv, "-l"], capture_output=True, text=True, check=False)
    if "TCVN5712-1" not in found.stdout:
        pytest.skip("this iconv has no TCVN5712-1 converter (glibc has it; musl does not)")
    done = subprocess.run(
        [iconv, "-f", "TCVN5712-1", "-t", "UTF-8"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize("byte", range(0x80, 0x100), ids=lambda b: f"{b:02X}")
def test_every_high_byte_decodes_as_iconv_does(byte: int) -> None:
    assert tcvn3.decode_bytes(bytes([byte])) == _iconv(bytes([byte]))


def test_whole_text_decodes_as_iconv_does() -> None:
    # Every byte after each vowel, so that the combining tone bytes B0-B4 are joined alike.
    data = b" ".join(
        bytes([v, b]) for v in b"aeiouyAEIOUY\xa8\xa9\xaa\xab\xac\xad" for b in range(0x80, 0x100)
    )
    assert tcvn3.decode_bytes(data) == _iconv(data)
