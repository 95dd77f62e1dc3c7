"""Two languages, one way: every text stisync shows a person — the command line's
(`stisync.texts`) and the data-quality report's (`sync.quality.texts`) — sits in a catalog
`key -> (Vietnamese, English)`, and `pick` takes one out.

Vietnamese comes first because the readers are a province's staff; keeping both languages
side by side in one table makes a missing translation visible at a glance. This module
imports nothing, so that the command line can use it at every start without loading the
report writers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("vi", "en")

Catalog = Mapping[str, tuple[str, str]]

# The legacy encodings a cell may be found in (schemas.vietnamese), as admins name them.
ENCODING_NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI", "viqr": "VIQR",
                  "cp1258": "Windows-1258", "mixed": "TCVN3/VNI"}


def pick(catalog: Catalog, key: str, lang: str, **values: Any) -> str:
    """The text `key` of `catalog` in `lang` ("vi" or "en"), with its `{name}` placeholders
    filled from `values`."""
    vi, en = catalog[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def error_text(exc: BaseException, lang: str) -> str:
    """An error as a person reads it in `lang`. stisync's own errors (ConfigError,
    MappingConfigError, ConnectorError, NationalError…) carry both languages and say them with
    `text(lang)`; `str()` of any of them stays English, for logs the national agency reads.
    Anything else is said as it is."""
    text = getattr(exc, "text", None)
    if callable(text):
        said = text(lang)
        if isinstance(said, str):
            return said
    return str(exc)
