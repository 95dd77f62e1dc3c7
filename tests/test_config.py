"""The configuration file: a complete example parses; each mistake names the file and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from schemas.mapping import load_mapping
from schemas.mapping.ready import ready_mapping_path
from sync.config import ConfigError, load_config

GOOD = """
province = "52"
state_url = "sqlite:///state/stisync.sqlite"
log_dir = "logs"

[national]
url = "http://127.0.0.1:8450/api/"
client_id = "tinh-52"
client_secret_env = "TEST_NATIONAL_SECRET"
headers = { "X-Gateway" = "tinh-52" }

[sources.qlkh-csv]
kind = "spreadsheet"
schedule = "0 2 * * *"
mapping = "mappings/qlkh.toml"
connector = { path = "data/nv.csv", id_column = "Mã số" }

[sources.qlkh-api]
kind = "rest"
schedule = "every 30m"
mapping = "mappings/qlkh.toml"
enabled = false
[sources.qlkh-api.connector]
url = "http://127.0.0.1:9/api"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "mappings").mkdir(exist_ok=True)
    (tmp_path / "mappings" / "qlkh.toml").write_text(
        "[mapping]\nnamespace = 'q'\n", encoding="utf-8"
    )
    p = tmp_path / "stisync.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_complete_config_parses_into_typed_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_NATIONAL_SECRET", "s3cret")
    c = load_config(write(tmp_path, GOOD))
    assert c.province == "52"
    assert c.state_url == f"sqlite:///{tmp_path / 'state' / 'stisync.sqlite'}"
    assert c.log_dir == tmp_path / "logs"
    assert c.national.url == "http://127.0.0.1:8450/api"
    assert c.national.token_url == "http://127.0.0.1:8450/api/oauth/token"
    assert c.national.client_secret is not None and c.national.client_secret.value() == "s3cret"
    assert c.national.headers == {"X-Gateway": "tinh-52"}
    csv_src, api_src = c.sources["qlkh-csv"], c.sources["qlkh-api"]
    assert csv_src.schedule is not None and csv_src.schedule.cron == "0 2 * * *"
    assert api_src.schedule is not None and api_src.schedule.interval == timedelta(minutes=30)
    assert not api_src.enabled
    assert csv_src.connector["id_column"] == "Mã số"
    assert csv_src.mapping == tmp_path / "mappings" / "qlkh.toml"


def test_the_state_url_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STISYNC_STATE_URL", "postgresql+psycopg://u@db/stisync")
    assert load_config(write(tmp_path, GOOD)).state_url == "postgresql+psycopg://u@db/stisync"


def test_a_missing_secret_is_reported_when_it_is_needed_not_before(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, GOOD))  # status and logs work without the secret
    assert c.national.client_secret is not None
    with pytest.raises(
        ConfigError,
        match=r"national\.client_secret_env: environment variable TEST_NATIONAL_SECRET is not set",
    ):
        c.national.client_secret.value()


@pytest.mark.parametrize(
    "change, key, message",
    [
        (('province = "52"', 'province = "99"'), "province", "neither a province code nor"),
        (('province = "52"', "province = true"), "province", "must be str or int"),
        (('log_dir = "logs"', 'log_dir = "logs"\nloglevel = 1'), "loglevel", "unknown key"),
        (('url = "http://127.0.0.1:8450/api/"', 'url = "ftp://x"'), "national.url", "http(s) URL"),
        (
            ('client_secret_env = "TEST_NATIONAL_SECRET"', 'client_secret = "plain"'),
            "national.client_secret",
            "secrets are not read from the config",
        ),
        (
            ('schedule = "0 2 * * *"', 'schedule = "at two"'),
            "sources.qlkh-csv.schedule",
            "neither a cron",
        ),
        (
            ('schedule = "every 30m"', 'schedule = "every 0m"'),
            "sources.qlkh-api.schedule",
            "positive",
        ),
        (
            ('kind = "rest"', 'kind = "soap"'),
            "sources.qlkh-api.kind",
            "known kinds: oaipmh, rest, spreadsheet, sql, xml",
        ),
        (
            (
                'mapping = "mappings/qlkh.toml"\nconnector',
                'mapping = "mappings/none.toml"\nconnector',
            ),
            "sources.qlkh-csv.mapping",
            "not found",
        ),
        (
            (
                'mapping = "mappings/qlkh.toml"\nconnector',
                'mapping = "ready:dublin_core"\nconnector',
            ),
            "sources.qlkh-csv.mapping",
            "no ready mapping 'dublin_core'; the ready mappings are: ready:oai_dc, "
            "ready:openaire_cerif_project",
        ),
        (("[sources.qlkh-csv]", '[sources."Qlkh CSV"]'), "sources.Qlkh CSV", "lowercase"),
        (
            ('headers = { "X-Gateway" = "tinh-52" }', "batch_size = 500"),
            "national.batch_size",
            "between 1 and 200",
        ),
    ],
    ids=[
        "unknown-province",
        "province-not-text",
        "unknown-key",
        "bad-url",
        "secret-in-text",
        "bad-cron",
        "zero-interval",
        "unknown-kind",
        "missing-mapping",
        "unknown-ready-mapping",
        "bad-source-name",
        "batch-too-big",
    ],
)
def test_mistakes_name_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 3"):
        load_config(write(tmp_path, 'province = "52"\n\n[national\n'))


def test_unknown_source_lists_the_configured_ones(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="configured sources: qlkh-csv, qlkh-api"):
        c.source("nope")


@pytest.mark.parametrize(
    "name, namespace", [("oai_dc", "oai-dc"), ("openaire_cerif_project", "cerif")]
)
def test_a_ready_mapping_is_named_instead_of_a_file(
    tmp_path: Path, name: str, namespace: str
) -> None:
    text = GOOD.replace(
        'mapping = "mappings/qlkh.toml"\nenabled', f'mapping = "ready:{name}"\nenabled'
    )
    assert text != GOOD
    source = load_config(write(tmp_path, text)).sources["qlkh-api"]
    assert source.mapping == ready_mapping_path(name)
    assert load_mapping(source.mapping).namespace == namespace
