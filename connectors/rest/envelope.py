"""One page of a provincial API's answer: JSON body, success envelope, and its list of records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import SourceDataError
from connectors.rest.http import body_text, clip, page_place
from connectors.rest.options import RestSettings
from connectors.rest.paths import MISSING


@dataclass(frozen=True)
class Page:
    """A decoded page. `url` is the full request URL; `links` is the parsed RFC 8288 header."""

    number: int
    url: str
    body: Any
    items: list[Any]
    headers: Mapping[str, str]
    links: Mapping[str, Mapping[str, str]]

    @property
    def where(self) -> str:
        return page_place(self.url, self.number)

    @property
    def where_vi(self) -> str:
        return page_place(self.url, self.number, "vi")


def read_page(source: str, response: requests.Response, *, number: int, url: str,
              settings: RestSettings) -> Page:
    """Decode a 2xx answer; anything unreadable raises SourceDataError naming url and page."""
    where, where_vi = page_place(url, number), page_place(url, number, "vi")
    try:
        body = response.json()
    except ValueError:
        declared = response.headers.get("Content-Type")
        text = clip(body_text(response))
        raise SourceDataError(
            source, f"the answer is not JSON ({declared or 'no Content-Type'}): "
            f"{text or 'an empty body'}", where=where,
            message_vi=f"câu trả lời không phải JSON ({declared or 'không có Content-Type'}): "
            f"{text or 'nội dung trống'}", where_vi=where_vi,
        ) from None
    if settings.success_path is not None and _is_false(settings.success_path.find(body)):
        said = settings.message_path.get(body) if settings.message_path else None
        flag = f"{settings.success_path} = {json.dumps(settings.success_path.get(body))}"
        raise SourceDataError(
            source, f"the server reports a failure ({flag}): {said or '(no message)'}",
            where=where,
            message_vi=f"máy chủ báo lỗi ({flag}): {said or '(không có thông báo)'}",
            where_vi=where_vi,
        )
    items = settings.records_path.find(body)
    path = settings.records_path.text
    if items is MISSING:
        reached, there = settings.records_path.deepest(body)
        holder, holder_vi = (f"{reached!r}",) * 2 if reached else ("the body", "nội dung trả về")
        raise SourceDataError(
            source, f"records_path {path!r} is not in the answer; {holder} has {_keys(there)}",
            where=where,
            message_vi=f"records_path {path!r} không có trong câu trả lời; {holder_vi} "
            f"{_keys(there, 'vi')}", where_vi=where_vi,
        )
    # Several back ends write null for an empty result page.
    if items is None:
        items = []
    if not isinstance(items, list):
        if settings.records_path.keys:
            said = f"records_path {path!r} holds a {_kind(items)}, not a list of records"
            said_vi = (f"records_path {path!r} chứa {_kind(items, 'vi')}, không phải danh sách "
                       "bản ghi")
        else:
            said = (f"the body is a {_kind(items)} ({_keys(items)}), not a list of records; "
                    "set records_path")
            said_vi = (f"nội dung trả về là {_kind(items, 'vi')} ({_keys(items, 'vi')}), không "
                       "phải danh sách bản ghi; hãy đặt records_path")
        raise SourceDataError(source, said, where=where, message_vi=said_vi, where_vi=where_vi)
    return Page(number, url, body, items, response.headers, response.links)


def _is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in ("false", "0", "no")


def _keys(value: Any, lang: str = "en") -> str:
    """The keys of a JSON value, for saying what an answer holds where records were expected:
    "keys 'a', 'b'" in English, "có các khoá 'a', 'b'" in Vietnamese (read after its holder)."""
    if isinstance(value, Mapping) and value:
        listed = ", ".join(map(repr, list(value)[:12]))
        return f"có các khoá {listed}" if lang == "vi" else f"keys {listed}"
    if lang == "vi":
        return f"không có khoá nào (là {_kind(value, 'vi')})"
    return f"no keys (a {_kind(value)})"


# JSON kinds, as English says them after "a" and Vietnamese after "là".
_KINDS = {dict: ("JSON object", "một đối tượng JSON"), list: ("list", "một danh sách"),
          str: ("string", "một chuỗi"), bool: ("boolean", "một giá trị boolean"),
          int: ("number", "một số"), float: ("number", "một số"), type(None): ("null", "null")}


def _kind(value: Any, lang: str = "en") -> str:
    en, vi = _KINDS.get(type(value), (type(value).__name__,) * 2)
    return vi if lang == "vi" else en
