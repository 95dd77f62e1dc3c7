"""Record identity: a source's record id as the national `local_id`, "namespace:record id".

The national id allows `[A-Za-z0-9._:/-]`, 1–128 characters. The record id is first
normalised like any text (NFC, trimmed, inner whitespace as one space), so the same id typed
precomposed or decomposed, or with a stray space, is the same record. A namespaced id that then
fits passes unchanged. Any other id (accents, spaces, other signs, or too long) is rewritten
the same way every time:

    ascii    = the id with tone marks dropped and đ/Đ as d/D; every run of characters still
               not allowed becomes "_"; cut so that the whole id fits in 128 characters
    digest   = the first 16 characters of the lower-case base32 SHA-256 of the id (80 bits)
    local_id = namespace + ":" + ascii + "--x" + digest

The digest keeps two ids apart even when their ASCII forms meet ("Đề tài 1", "Đề-tài 1"); a
valid id and a rewritten one could only meet if the valid one happened to end in "--x" and
the other's digest, a chance of 2**-80. "--x" tells an admin at a glance that an id was
rewritten.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

from schemas.mapping.transforms.text import normalize

MAX_LOCAL_ID = 128
ALLOWED = re.compile(r"[A-Za-z0-9._:/-]+")
NAMESPACE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MARKS = re.compile(r"[\u0300-\u036f]")
_OTHER = re.compile(r"[^A-Za-z0-9._:/-]+")
_REWRITTEN = "--x"
_DIGEST_CHARS = 16


def _digest(record_id: str) -> str:
    raw = hashlib.sha256(record_id.encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii").lower()[:_DIGEST_CHARS]


def _ascii(record_id: str) -> str:
    s = unicodedata.normalize("NFD", record_id.replace("đ", "d").replace("Đ", "D"))
    return _OTHER.sub("_", _MARKS.sub("", s)).strip("_")


def local_id(namespace: str, record_id: str) -> str:
    """The national `local_id` of a record; the rules are in the module docstring."""
    rid = normalize(record_id)
    whole = f"{namespace}:{rid}"
    if len(whole) <= MAX_LOCAL_ID and ALLOWED.fullmatch(whole):
        return whole
    suffix = f"{_REWRITTEN}{_digest(rid)}"
    room = MAX_LOCAL_ID - len(namespace) - 1 - len(suffix)
    return f"{namespace}:{_ascii(rid)[:room]}{suffix}"
