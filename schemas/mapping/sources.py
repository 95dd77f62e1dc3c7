"""Where a mapped value comes from: a spreadsheet column, a JSON path into the payload, or an
XPath into the payload's XML."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath, parse
from jsonpath_ng.jsonpath import Child, Fields, Root
from lxml import etree

from schemas.codelists import fold
from schemas.mapping.errors import Refused
from schemas.mapping.xpaths import PREFIX, compile_xpath, read_xpath

_CACHE_SIZE = 256


@dataclass(frozen=True)
class Source:
    """One column name, one JSON path when the text starts with "$", or one XPath when it
    starts with "xpath:"."""

    label: str
    path: JSONPath | None = None
    keys: tuple[str, ...] | None = None     # a path that is a plain chain of keys, walked directly
    xpath: etree.XPath | None = None
    nodes: bool = False                     # XPath elements stay nodes, for `item` paths

    @property
    def is_column(self) -> bool:
        return self.path is None and self.xpath is None

    def read(self, payload: AnyMapping[Any, Any],
             columns: AnyMapping[str, Any]) -> list[Any] | None:
        """The values found ([] when a path finds nothing); None when the column is missing."""
        if self.xpath is not None:
            return read_xpath(self.xpath, payload, nodes=self.nodes)
        if self.path is None:
            if self.label not in columns:
                return None
            return [payload[columns[self.label]]]
        if self.keys is not None:
            value: Any = payload
            for key in self.keys:
                if not isinstance(value, AnyMapping) or key not in value:
                    return []
                value = value[key]
            return [value]
        # jsonpath-ng descends into dicts only; a SourceRecord's payload is a read-only view.
        data = payload if isinstance(payload, dict) else dict(payload)
        try:
            return [m.value for m in self.path.find(data)]
        except Exception as exc:            # jsonpath-ng has no error type of its own for data
            raise Refused("bad_type", f"không đọc được đường dẫn JSON ({exc})",
                          f"the JSON path cannot be read here ({exc})") from None


def source(text: str, namespaces: AnyMapping[str, str] | None = None, *,
           nodes: bool = False) -> Source:
    """A column, a compiled JSON path or a compiled XPath (`namespaces` are its prefixes);
    ValueError with the parser's message when malformed."""
    if text.startswith(PREFIX):
        return Source(text, xpath=compile_xpath(text[len(PREFIX):], namespaces or {}),
                      nodes=nodes)
    if not text.startswith("$"):
        return Source(text)
    try:
        compiled = parse(text)
    except Exception as exc:                # the parser raises several unrelated types
        raise ValueError(f"not a valid JSON path {text!r}: {exc}") from None
    return Source(text, compiled, _plain_keys(compiled))


def _plain_keys(path: JSONPath) -> tuple[str, ...] | None:
    keys: list[str] = []
    while isinstance(path, Child):
        right = path.right
        if not isinstance(right, Fields) or len(right.fields) != 1 or right.fields[0] == "*":
            return None
        keys.append(right.fields[0])
        path = path.left
    return tuple(reversed(keys)) if isinstance(path, Root) else None


def loose(text: str) -> str:
    """Case, spacing and Unicode form do not tell two column names apart."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class Columns:
    """Finds the mapping's column names among a payload's keys: exactly, then ignoring case,
    spacing and Unicode form, then ignoring tone marks too ("Từ khoá" = "Từ khóa").

    Rows of one spreadsheet share their keys, so each set of keys is resolved once.
    """

    def __init__(self, wanted: Iterable[str]):
        self.wanted = tuple(dict.fromkeys(wanted))
        self._cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def resolve(self, keys: Iterable[Any]) -> dict[str, Any]:
        """{column: payload key} for the wanted columns found among `keys`."""
        keyset = tuple(keys)
        found = self._cache.get(keyset)
        if found is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            found = self._cache[keyset] = self._resolve(keyset)
        return found

    def _resolve(self, keys: tuple[Any, ...]) -> dict[str, Any]:
        texts = [k for k in keys if isinstance(k, str)]
        exact = set(texts)
        tiers = [(key_of, _index(texts, key_of)) for key_of in (loose, _accentless)]
        found: dict[str, Any] = {}
        for want in self.wanted:
            if want in exact:
                found[want] = want
                continue
            for key_of, tier in tiers:
                match = tier.get(key_of(want))
                if match is not None:
                    found[want] = match
                    break
        return found


@lru_cache(maxsize=_CACHE_SIZE)
def closest(column: str, keys: tuple[Any, ...]) -> str | None:
    """The payload key most like a missing column, to suggest in the problem."""
    texts = [k for k in keys if isinstance(k, str)]
    close = difflib.get_close_matches(column, texts, n=1, cutoff=0.6)
    return close[0] if close else None


def _accentless(text: str) -> str:
    return fold(text, accents=False)


def _index(texts: list[str], key_of: Callable[[str], str]) -> dict[str, str]:
    index: dict[str, str | None] = {}
    for text in texts:
        key = key_of(text)
        # Two headers that look alike: refuse to pick one.
        index[key] = None if key in index and index[key] != text else text
    return {k: v for k, v in index.items() if v is not None}
