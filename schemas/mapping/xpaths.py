"""XPath sources: paths into the record element an XML connector puts in `payload["_xml"]`.

A mapping that reads XPath declares its prefixes under `[namespaces]`; each path is compiled
once, when the mapping is loaded, and tried on an empty element so that an undeclared prefix or
an unknown function fails there, not on the first record. The record text is parsed once per
record, here rather than through `connectors.xmlsafe` (schemas import nothing of ours), with a
parser that loads no DTD, expands no entity and reaches no network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from lxml import etree

from schemas.mapping.errors import Refused, shown
from schemas.mapping.transforms.text import normalize

XML_KEY = "_xml"
PREFIX = "xpath:"

_STRING_VALUE = etree.XPath("string()")
_PROBE = etree.Element("{urn:stisync:probe}probe")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_SAFE = {"resolve_entities": False, "load_dtd": False, "no_network": True, "huge_tree": False,
         "dtd_validation": False, "attribute_defaults": False, "decompress": False}


class XmlPayload(Mapping[str, Any]):
    """A payload and the XML element its XPaths read: the whole record, or one node that
    `item` paths are relative to. As a mapping it is the payload's own keys, for columns."""

    def __init__(self, element: etree._Element, payload: Mapping[str, Any] = _EMPTY):
        self.element = element
        self._payload = payload

    def __getitem__(self, key: str) -> Any:
        return self._payload[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._payload)

    def __len__(self) -> int:
        return len(self._payload)

    def __repr__(self) -> str:
        return f"XmlPayload(<{etree.QName(self.element).localname}>)"


def compile_xpath(expression: str, namespaces: Mapping[str, str]) -> etree.XPath:
    """A compiled XPath; ValueError saying why when it does not compile or cannot run."""
    if not expression.strip():
        raise ValueError("the xpath is empty")
    try:
        compiled = etree.XPath(expression, namespaces=dict(namespaces))
        compiled(_PROBE)
    except (etree.XPathError, TypeError, ValueError) as exc:
        hint = " (declare its prefix under [namespaces])" if "prefix" in str(exc) else ""
        raise ValueError(f"xpath {expression!r} does not compile: {exc}{hint}") from None
    return compiled


def parse_record(text: Any) -> etree._Element:
    """The record element of a payload's "_xml" text; Refused when it is not safe, sound XML."""
    if isinstance(text, bytes):
        data = text
    elif isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad("chứa ký tự không mã hoá được", "holds characters that cannot be encoded",
                       text) from None
    else:
        raise Refused("bad_type", f"khoá {XML_KEY} phải chứa văn bản XML, nhận được "
                      f"{type(text).__name__}", f"key {XML_KEY} must hold XML text, got "
                      f"{type(text).__name__}", shown(text))
    # The text is serialised by us as UTF-8 whatever its declaration says (str has no bytes).
    parser = etree.XMLParser(encoding="utf-8" if isinstance(text, str) else None, **_SAFE)
    try:
        element = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        reason = (exc.msg or str(exc)).strip()
        raise _bad(f"không phải XML hợp lệ ({reason})", f"is not well-formed XML ({reason})",
                   text) from None
    info = element.getroottree().docinfo
    dtd = info.internalDTD
    if info.system_url or info.public_id or (dtd is not None and any(dtd.iterentities())):
        raise _bad("khai báo thực thể hoặc DTD ngoài nên bị từ chối",
                   "declares entities or an external DTD, so it is refused", text)
    return element


def _bad(reason_vi: str, reason_en: str, text: Any) -> Refused:
    return Refused("bad_xml", f"XML của bản ghi ({XML_KEY}) {reason_vi}",
                   f"the record's XML ({XML_KEY}) {reason_en}", shown(text))


def read_xpath(xpath: etree.XPath, payload: Any, *, nodes: bool) -> list[Any]:
    """What the path finds in the payload's element ([] without one). Elements become their
    text, whitespace-normalised, or with `nodes` an XmlPayload for `item` paths; attributes
    and string() results are text; numbers and booleans stay as they are."""
    if not isinstance(payload, XmlPayload):
        return []
    try:
        result = xpath(payload.element)
    except etree.XPathError as exc:
        raise Refused("bad_type", f"không đọc được XPath ({exc})",
                      f"the XPath cannot be read here ({exc})") from None
    if isinstance(result, list):
        return [_value(item, nodes) for item in result]
    if isinstance(result, str):
        return [normalize(str(result), keep_newlines=True)]
    return [result]


def _value(item: Any, nodes: bool) -> Any:
    if isinstance(item, (etree._Comment, etree._ProcessingInstruction)):
        return normalize(item.text or "", keep_newlines=True)
    if isinstance(item, etree._Element):
        if nodes:
            return XmlPayload(item)
        return normalize(str(_STRING_VALUE(item)), keep_newlines=True)
    if isinstance(item, tuple):             # a namespace node: (prefix, uri)
        return str(item[1])
    return normalize(str(item), keep_newlines=True)


def is_prefix(text: str) -> bool:
    """Whether `text` can be a namespace prefix in [namespaces]."""
    if not text or ":" in text:
        return False
    try:
        etree.QName(text)           # raises for what cannot be an XML name
    except ValueError:
        return False
    return True


def item_as_xpath(spec: Any) -> Any:
    """An `item` entry under an XPath: `full_name = "q:HoTen"` means the XPath q:HoTen."""
    def one(text: Any) -> Any:
        plain = isinstance(text, str) and text.strip() and not text.startswith(PREFIX)
        return PREFIX + text if plain else text
    if isinstance(spec, str):
        return one(spec)
    if isinstance(spec, dict) and "from" in spec:
        return {**spec, "from": one(spec["from"])}
    if isinstance(spec, dict) and isinstance(spec.get("concat"), list):
        return {**spec, "concat": [one(t) for t in spec["concat"]]}
    return spec
