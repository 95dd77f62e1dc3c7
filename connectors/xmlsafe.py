"""Hardened XML parsing: the one way this project turns untrusted bytes into lxml elements.

Every XML entry point (XML exports, OAI-PMH pages) parses through here:

- `iterparse(source, tag=...)` streams a file or a download in constant memory;
- `parse_bytes(data, where=...)` parses a small document (an OAI-PMH page) whole;
- `safe_parser()` is the lxml parser both use, for code that needs a parser object.

Two layers. First, a gate reads the prolog (everything before the root element) with expat and
refuses a document whose DTD declares any entity or points at an external DTD: XXE, billion
laughs, quadratic blowup and parameter-entity tricks are refused there, before libxml2 has seen
a byte. Second, libxml2 itself never loads a DTD, never substitutes an entity, never touches the
network and keeps its limits (depth 256, 10 MB text nodes), so a document the gate misjudged
still expands and fetches nothing. (A record's XML already in a payload is parsed again by
`schemas.mapping.xpaths`, with the same libxml2 settings, since schemas import nothing of ours.)
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Generator, Iterable
from contextlib import ExitStack
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any, Protocol
from xml.parsers import expat

from lxml import etree

DEFAULT_MAX_BYTES = 1 << 30
# libxml2's own nesting limit without XML_PARSE_HUGE; deeper caps would need huge_tree.
DEFAULT_MAX_DEPTH = 256
CHUNK_SIZE = 1 << 16

_SAFE: dict[str, Any] = {
    "resolve_entities": False, "load_dtd": False, "no_network": True, "huge_tree": False,
    "dtd_validation": False, "attribute_defaults": False, "decompress": False,
}
_RESOURCE_LIMITS = (etree.ErrorTypes.ERR_RESOURCE_LIMIT, etree.ErrorTypes.ERR_NAME_TOO_LONG)
_LOCATION = re.compile(r", line \d+, column \d+$")
_ENCODINGS_READ = (
    "only UTF-8, UTF-16 and single-byte encodings such as windows-1258 are read",
    "chỉ đọc được UTF-8, UTF-16 và các bảng mã một byte như windows-1258",
)


class XmlError(Exception):
    """A document we will not hand on. `where` names the file or URL, `line` the line if known.

    `str()` and `reason` say why in English, `reason_vi` and `text("vi")` in Vietnamese; what
    the parser itself said is quoted as it is in both."""

    def __init__(self, where: str, reason: str, reason_vi: str, *, line: int | None = None):
        super().__init__(f"{_at(where, line, 'line')}: {reason}")
        self.where = where
        self.reason = reason
        self.reason_vi = reason_vi
        self.line = line

    def text(self, lang: str = "vi") -> str:
        """The whole error, place included, in `lang` ("vi" or "en")."""
        if lang == "en":
            return str(self)
        return f"{_at(self.where, self.line, 'dòng')}: {self.reason_vi}"


def _at(where: str, line: int | None, word: str) -> str:
    return f"{where}, {word} {line}" if line else where


class XmlRefused(XmlError):
    """The document is hostile or beyond our limits: entities, an external DTD, too big, too
    deep. Nothing in it was expanded or fetched."""


class XmlMalformed(XmlError):
    """The document is not well-formed XML (or not in an encoding we can read)."""


def safe_parser(**kw: Any) -> etree.XMLParser:
    """An lxml parser that loads no DTD, expands no entity and reaches no network.

    Other options (encoding, remove_blank_text...) pass through; the safety ones cannot be
    changed. On its own it does not refuse a DTD: use `parse_bytes` or `iterparse` for that.
    """
    for key, value in kw.items():
        if key in _SAFE and value != _SAFE[key]:
            raise ValueError(f"safe_parser: {key}={value!r} would weaken the parser")
    return etree.XMLParser(**{**kw, **_SAFE})


class EncodingRefused(ValueError):
    """An encoding that cannot be forced on a document: `str()` says why in English,
    `reason_vi` in Vietnamese."""

    def __init__(self, reason: str, reason_vi: str):
        super().__init__(reason)
        self.reason_vi = reason_vi


def check_encoding(name: str) -> str:
    """`name` as both parsers know it, for forcing an encoding; EncodingRefused (a ValueError)
    saying why not, in both languages.

    The gate's expat reads UTF-8, UTF-16 and single-byte encodings (windows-1258...);
    multi-byte ones and encodings Python does not know (TCVN3) cannot be checked, so they are
    refused rather than parsed unchecked."""
    try:
        python_name = codecs.lookup(name).name
        sample = "<a/>".encode(python_name)
    except (LookupError, UnicodeError):
        raise EncodingRefused(f"{name!r} is not a known text encoding",
                              f"{name!r} không phải bảng mã văn bản đã biết") from None
    try:
        expat.ParserCreate(name).Parse(sample, True)
    except (expat.ExpatError, ValueError, LookupError):
        raise EncodingRefused(
            f"{name!r} cannot be checked before parsing (only UTF-8, UTF-16 and single-byte "
            "encodings such as windows-1258 can)",
            f"{name!r} không kiểm tra được trước khi phân tích (chỉ kiểm tra được UTF-8, "
            "UTF-16 và các bảng mã một byte như windows-1258)",
        ) from None
    for candidate in (name, python_name):
        try:
            etree.XMLParser(encoding=candidate)
        except LookupError:
            continue
        return candidate
    raise EncodingRefused(f"{name!r} is not an encoding libxml2 knows",
                          f"{name!r} không phải bảng mã mà libxml2 biết")


class _RootReached(Exception):
    """The prolog is over: the gate has nothing more to judge."""


class _Gate:
    """Reads the prolog with expat and refuses entity declarations and external DTDs.

    expat is used directly, not through defusedxml's readers, because the check must stop at
    the root element and must decode with the same forced encoding as libxml2.
    """

    def __init__(self, where: str, encoding: str | None):
        self.where = where
        self.passed = False
        self._expat = expat.ParserCreate(encoding)
        self._expat.StartDoctypeDeclHandler = self._doctype
        self._expat.EntityDeclHandler = self._entity
        self._expat.UnparsedEntityDeclHandler = self._unparsed
        self._expat.ExternalEntityRefHandler = self._external
        self._expat.StartElementHandler = self._root

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if self.passed:
            return
        try:
            self._expat.Parse(data, final)
        except _RootReached:
            self.passed = True
        except (LookupError, ValueError) as exc:   # an encoding expat cannot decode
            raise XmlMalformed(
                self.where,
                f"is in an encoding that cannot be read ({exc}); {_ENCODINGS_READ[0]}",
                f"dùng một bảng mã không đọc được ({exc}); {_ENCODINGS_READ[1]}", line=1,
            ) from None
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code) or str(exc)
            hint, hint_vi = ("", "") if "encoding" not in reason else \
                (f"; {_ENCODINGS_READ[0]}", f"; {_ENCODINGS_READ[1]}")
            raise _malformed(self.where, f"{reason}{hint}", f"{reason}{hint_vi}",
                             exc.lineno) from None

    def _refuse(self, reason: str, reason_vi: str) -> XmlRefused:
        line = self._expat.CurrentLineNumber
        return XmlRefused(
            self.where,
            f"{reason}; documents with entity declarations or an external DTD are refused (XXE "
            "and entity-expansion protection), and nothing in this one was expanded or fetched",
            f"{reason_vi}; tài liệu có khai báo thực thể (entity) hoặc DTD bên ngoài đều bị từ "
            "chối (để chống tấn công XXE và bùng nổ thực thể), và không có gì trong tài liệu "
            "này được mở rộng hay tải về",
            line=line,
        )

    def _doctype(self, name: str, sysid: str | None, pubid: str | None, _subset: int) -> None:
        if sysid or pubid:
            raise self._refuse(f"its DOCTYPE {name} points at an external DTD "
                               f"{sysid or pubid!r}",
                               f"khai báo DOCTYPE {name} của tài liệu trỏ tới một DTD bên "
                               f"ngoài {sysid or pubid!r}")

    def _entity(self, name: str, is_parameter: int, _value: str | None, _base: str | None,
                sysid: str | None, _pubid: str | None, _notation: str | None) -> None:
        kind, kind_vi = ("parameter entity", "thực thể tham số") if is_parameter else \
            ("entity", "thực thể")
        target = f" (SYSTEM {sysid!r})" if sysid else ""
        raise self._refuse(f"its DTD declares the {kind} {name!r}{target}",
                           f"DTD của tài liệu khai báo {kind_vi} {name!r}{target}")

    def _unparsed(self, name: str, _base: str | None, sysid: str | None, *_: Any) -> None:
        raise self._refuse(f"its DTD declares the unparsed entity {name!r} (SYSTEM {sysid!r})",
                           f"DTD của tài liệu khai báo thực thể không phân tích (unparsed "
                           f"entity) {name!r} (SYSTEM {sysid!r})")

    def _external(self, _context: str, _base: str | None, sysid: str | None, *_: Any) -> int:
        raise self._refuse(f"it refers to the external entity {sysid!r}",
                           f"tài liệu tham chiếu tới thực thể bên ngoài {sysid!r}")

    def _root(self, _name: str, _attrs: Any) -> None:
        raise _RootReached


def _malformed(where: str, reason: str, reason_vi: str, line: int | None) -> XmlMalformed:
    """A document that is not well-formed: `reason` is the parser's own words, with any hint
    of ours in each language."""
    return XmlMalformed(where, f"is not well-formed XML: {reason}",
                        f"không phải XML đúng cú pháp: {reason_vi}", line=line)


def _too_deep(levels: int) -> tuple[str, str]:
    return (f"elements nest deeper than {levels} levels",
            f"các phần tử lồng nhau sâu quá {levels} cấp")


def _syntax_error(where: str, exc: etree.XMLSyntaxError) -> XmlError:
    reason = _LOCATION.sub("", (exc.msg or str(exc)).strip())
    if exc.code in _RESOURCE_LIMITS:
        reason, reason_vi = _too_deep(DEFAULT_MAX_DEPTH) if "depth" in reason.lower() else \
            (reason, reason)
        return XmlRefused(where, f"exceeds a parser limit: {reason}",
                          f"vượt một giới hạn của bộ phân tích: {reason_vi}", line=exc.lineno)
    return _malformed(where, reason, reason, exc.lineno)


def _check_doctype(where: str, element: etree._Element) -> None:
    """The second layer: what libxml2 recorded about the DTD, should the gate have missed it."""
    info = element.getroottree().docinfo
    if info.system_url or info.public_id:
        raise XmlRefused(where, "points at an external DTD; it was not fetched",
                         "trỏ tới một DTD bên ngoài; DTD đó không được tải về")
    dtd = info.internalDTD
    names = [e.name for e in dtd.iterentities()] if dtd is not None else []
    if names:
        listed = ", ".join(names[:5])
        raise XmlRefused(where, f"its DTD declares entities ({listed}); none was expanded",
                         f"DTD của tài liệu khai báo thực thể ({listed}); không thực thể nào "
                         "được mở rộng")


@lru_cache(maxsize=64)
def _nodes_below(levels: int) -> etree.XPath:
    return etree.XPath("boolean(" + "/".join(["*"] * levels) + ")")


def _check_depth(where: str, element: etree._Element, max_depth: int) -> None:
    """Refuse an element, or anything inside it, deeper than `max_depth` (the root is 1)."""
    if max_depth >= DEFAULT_MAX_DEPTH:
        return          # libxml2 enforces this one while parsing
    depth = 1 + sum(1 for _ in element.iterancestors())
    if depth > max_depth or _nodes_below(max_depth - depth + 1)(element):
        raise XmlRefused(where, *_too_deep(max_depth), line=element.sourceline)


def _check_limits(max_bytes: int, max_depth: int) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive whole number, not {max_bytes!r}")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or \
            not 1 <= max_depth <= DEFAULT_MAX_DEPTH:
        raise ValueError(f"max_depth must be from 1 to {DEFAULT_MAX_DEPTH}, not {max_depth!r}")


def parse_bytes(data: bytes, *, where: str, encoding: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES,
                max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element:
    """Parse a whole small document (an OAI-PMH page) and return its root element.

    Raises XmlRefused (hostile or over a limit) or XmlMalformed, both naming `where`.
    """
    _check_limits(max_bytes, max_depth)
    if len(data) > max_bytes:
        raise XmlRefused(where, f"is {len(data):,} bytes, over the limit of {max_bytes:,}",
                         f"có {len(data)} byte, vượt giới hạn {max_bytes} byte")
    forced = check_encoding(encoding) if encoding else None
    _Gate(where, encoding).feed(data, final=True)
    try:
        root = etree.fromstring(data, safe_parser(encoding=forced))
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(where, exc) from None
    _check_doctype(where, root)
    _check_depth(where, root, max_depth)
    return root


class Readable(Protocol):
    """A binary stream: an open file, or a download's body."""

    def read(self, size: int = -1, /) -> bytes: ...


Source = str | PathLike[str] | Readable


def iterparse(source: Source, *, tag: str | Iterable[str] | None,
              events: tuple[str, ...] = ("end",), where: str | None = None,
              encoding: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
              max_depth: int = DEFAULT_MAX_DEPTH, chunk_size: int = CHUNK_SIZE,
              clear: bool = True) -> XmlEvents:
    """Stream the (event, element) pairs of the elements matching `tag`, like lxml's
    iterparse, through the gate and the hardened parser; see `XmlEvents`."""
    return XmlEvents(source, tag=tag, events=events, where=where, encoding=encoding,
                     max_bytes=max_bytes, max_depth=max_depth, chunk_size=chunk_size,
                     clear=clear)


class XmlEvents:
    """(event, element) pairs for the elements matching `tag`, read in `chunk_size` pieces.

    `source` is a path or a binary file-like object (a download's raw stream); a path is opened
    and closed here. Memory stays constant: unless `clear=False`, once the consumer asks for the
    next pair, an element whose "end" was handed out is cleared and its preceding siblings
    dropped, so copy what you need first. `root` is the document's root once the iteration is
    over. The iterator raises XmlRefused or XmlMalformed, after every pair found before the
    problem has been handed out; errors of `source` itself (OSError...) pass through.
    """

    def __init__(self, source: Source, *, tag: str | Iterable[str] | None,
                 events: tuple[str, ...] = ("end",), where: str | None = None,
                 encoding: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_depth: int = DEFAULT_MAX_DEPTH, chunk_size: int = CHUNK_SIZE,
                 clear: bool = True):
        _check_limits(max_bytes, max_depth)
        if not events or set(events) - {"start", "end"}:
            raise ValueError(f"events must be \"start\" and/or \"end\", not {events!r}")
        self.where = where or (str(source) if isinstance(source, (str, PathLike)) else
                               str(getattr(source, "name", "XML stream")))
        self.root: etree._Element | None = None
        self._forced = check_encoding(encoding) if encoding else None
        self._args = (source, tag, events, encoding, max_bytes, max_depth, chunk_size, clear)
        self._pairs = self._run()

    def __iter__(self) -> XmlEvents:
        return self

    def __next__(self) -> tuple[str, etree._Element]:
        return next(self._pairs)

    def close(self) -> None:
        self._pairs.close()

    def _run(self) -> Generator[tuple[str, etree._Element], None, None]:
        source, tag, events, encoding, max_bytes, max_depth, chunk_size, clear = self._args
        where = self.where
        with ExitStack() as stack:
            stream: Readable = source if not isinstance(source, (str, PathLike)) else \
                stack.enter_context(Path(source).open("rb"))
            gate = _Gate(where, encoding)
            parser = etree.XMLPullParser(events=events, tag=tag, encoding=self._forced, **_SAFE)
            held: list[bytes] = []      # libxml2 sees nothing until the gate has passed the prolog
            total = 0
            while True:
                chunk = stream.read(chunk_size)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise XmlRefused(where, f"is over the limit of {max_bytes:,} bytes",
                                     f"vượt giới hạn {max_bytes} byte")
                gate.feed(chunk)
                held.append(chunk)
                if not gate.passed:
                    continue
                failure = None
                try:
                    for piece in held:
                        parser.feed(piece)
                except etree.XMLSyntaxError as exc:
                    failure = exc
                held.clear()
                yield from self._drain(parser, max_depth, clear)
                if failure is not None:
                    raise _syntax_error(where, failure)
            gate.feed(b"", final=True)
            try:
                self.root = parser.close()
            except etree.XMLSyntaxError as exc:
                raise _syntax_error(where, exc) from None
            yield from self._drain(parser, max_depth, clear)
            _check_doctype(where, self.root)

    def _drain(self, parser: etree.XMLPullParser, max_depth: int,
               clear: bool) -> Generator[tuple[str, etree._Element], None, None]:
        for event, element in parser.read_events():
            if self.root is None:
                self.root = element.getroottree().getroot()
                _check_doctype(self.where, element)
            if event == "end":
                _check_depth(self.where, element, max_depth)
            yield event, element
            if clear and event == "end":
                _forget(element)


def _forget(element: etree._Element) -> None:
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
