"""One page of a provincial API's answer: JSON body, success envelope, and its list of records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import SourceDataError
from connectors.rest.http import body_text, clip
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
        return f"{self.url} (page {self.number})"


def read_page(source: str, response: requests.Response, *, number: int, url: str,
              settings: RestSettings) -> Page:
    """Decode a 2xx answer; anything unreadable raises SourceDataError naming url and page."""
    where = f"{url} (page {number})"
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type") or "no Content-Type"
        text = clip(body_text(response)) or "an empty body"
        raise SourceDataError(source, f"the answer is not JSON ({kind}): {text}",
                              where=where) from None
    if settings.success_path is not None and _is_false(settings.success_path.find(body)):
        said = settings.message_path.get(body) if settings.message_path else None
        raise SourceDataError(
            source, f"the server reports a failure ({settings.success_path} = "
            f"{json.dumps(settings.success_path.get(body))}): {said or '(no message)'}",
            where=where,
        )
    items = settings.records_path.find(body)
    if items is MISSING:
        reached, there = settings.records_path.deepest(body)
        holder = f"{reached!r}" if reached else "the body"
        raise SourceDataError(
            source, f"records_path {settings.records_path.text!r} is not in the answer; "
            f"{holder} has {_keys(there)}", where=where,
        )
    # Several back ends write null for an empty result page.
    if items is None:
        items = []
    if not isinstance(items, list):
        if settings.records_path.keys:
            said = (f"records_path {settings.records_path.text!r} holds a {_kind(items)}, "
                    "not a list of records")
        else:
            said = (f"the body is a {_kind(items)} ({_keys(items)}), not a list of records; "
                    "set records_path")
        raise SourceDataError(source, said, where=where)
    return Page(number, url, body, items, response.headers, response.links)


def _is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in ("false", "0", "no")


def _keys(value: Any) -> str:
    if isinstance(value, Mapping) and value:
        return "keys " + ", ".join(map(repr, list(value)[:12]))
    return f"no keys (a {_kind(value)})"


def _kind(value: Any) -> str:
    names = {dict: "JSON object", list: "list", str: "string", bool: "boolean",
             int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
