"""The oaipmh connector's options: defaults, and a clear error naming the key for each mistake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceConfigError
from connectors.oaipmh import OaiPmhConnector

URL = "https://kho.example.edu.vn/oai/request"


def test_the_defaults() -> None:
    s = OaiPmhConnector("kho", {"url": URL}).settings
    assert (s.metadata_prefix, s.set_spec, s.overlap, s.cerif) == (
        "oai_dc", None, timedelta(hours=1), False)
    assert (s.timeout, s.retries, s.max_pages, s.verify) == (30.0, 4, 100_000, True)


@pytest.mark.parametrize("given,expected", [
    ("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)), ("2d", timedelta(days=2)),
    (" 1h ", timedelta(hours=1)), (0, timedelta(0)), (600, timedelta(minutes=10)),
], ids=["seconds", "minutes", "days", "spaces", "zero", "a-number"])
def test_overlap_durations(given: Any, expected: timedelta) -> None:
    assert OaiPmhConnector("kho", {"url": URL, "overlap": given}).settings.overlap == expected


def test_a_relative_ca_bundle_is_beside_the_config(tmp_path: Path) -> None:
    s = OaiPmhConnector("kho", {"url": URL, "ca_bundle": "certs/kho.pem"}, base_dir=tmp_path)
    assert s.settings.verify == str(tmp_path / "certs" / "kho.pem")


# case -> (the options, the key the error names, what it says)
BAD = {
    "url missing": ({}, "url", "is required"),
    "url not http": ({"url": "ftp://kho.example.edu.vn/oai"}, "url",
                     "must be an http:// or https:// URL"),
    "url with a verb": ({"url": f"{URL}?verb=Identify"}, "url", "without ?query"),
    "prefix with a space": ({"url": URL, "metadata_prefix": "oai dc"}, "metadata_prefix",
                            "must be a metadataPrefix"),
    "set not a setSpec": ({"url": URL, "set": "nhiệm vụ"}, "set", "must be a setSpec"),
    "overlap unreadable": ({"url": URL, "overlap": "an hour"}, "overlap", "must be a duration"),
    "overlap negative": ({"url": URL, "overlap": -5}, "overlap", "must be a duration"),
    "cerif as text": ({"url": URL, "cerif": "yes"}, "cerif", "must be true or false"),
    "timeout zero": ({"url": URL, "timeout": 0}, "timeout", "must be a number of seconds > 0"),
    "retries zero": ({"url": URL, "retries": 0}, "retries", "must be a whole number >= 1"),
    "max_pages as text": ({"url": URL, "max_pages": "10"}, "max_pages",
                          "must be a whole number >= 1"),
    "bundle without verify": ({"url": URL, "verify_tls": False, "ca_bundle": "x.pem"},
                              "ca_bundle", "keep one of them"),
    "a misspelt option": ({"url": URL, "metadataPrefix": "oai_dc"}, "metadataPrefix",
                          "did you mean 'metadata_prefix'?"),
}


@pytest.mark.parametrize("options,key,says", BAD.values(), ids=BAD.keys())
def test_a_bad_option_names_its_key(options: dict[str, Any], key: str, says: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        OaiPmhConnector("kho", options)
    assert caught.value.key == key
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"kho: option {key!r}")
