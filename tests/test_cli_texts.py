"""The command's two languages: every text in both, with the same placeholders; Vietnamese
unless `--lang` or STISYNC_LANG asks for English; a wrong STISYNC_LANG said plainly."""

from __future__ import annotations

import ast
import string
from enum import Enum
from pathlib import Path

import pytest

from schemas.problems import Problem
from stisync import cli
from stisync import texts as cli_texts
from stisync.texts import ENV_LANG, LangError, choose_lang, word
from sync.context import COUNT_KEYS
from sync.extract import Planned
from sync.quality import texts as report_texts
from sync.state.models import Outcome, QuarantineReason, RunStatus, Trigger

CATALOGS = {
    "cli": cli_texts._TEXTS,
    "report": report_texts._TEXTS,
    "codes": report_texts.CODES,
}
ENTRIES = [(name, key) for name, catalog in CATALOGS.items() for key in catalog]
# Texts that read the same in both languages.
SAME_IN_BOTH = {("report", "none")}


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("catalog, key", ENTRIES, ids=[f"{c}:{k}" for c, k in ENTRIES])
def test_every_text_has_both_languages_with_the_same_placeholders(catalog: str, key: str) -> None:
    vi, en = CATALOGS[catalog][key]
    assert vi.strip() and en.strip()
    assert placeholders(vi) == placeholders(en)
    if (catalog, key) not in SAME_IN_BOTH:
        assert vi != en, "the Vietnamese is the English, untranslated"


def test_placeholders_are_compared_by_name() -> None:
    # The check above would let a translation that lost or renamed a placeholder through
    # if `placeholders` read nothing.
    assert placeholders("{source}: đã đọc {read}, {n:>3} lỗi") == ["n", "read", "source"]
    assert placeholders("{source}: read {read}") != placeholders("{source}: đã đọc {n}")


@pytest.mark.parametrize(
    "group, values",
    [
        ("status", RunStatus),
        ("trigger", Trigger),
        ("outcome", Outcome),
        ("reason", QuarantineReason),
        ("count", COUNT_KEYS),
    ],
)
def test_every_stored_value_has_a_vietnamese_word_and_keeps_its_english_one(
    group: str, values: type[Enum] | tuple[str, ...]
) -> None:
    for value in values:
        stored = value.value if isinstance(value, Enum) else value
        assert word(group, stored, "vi") != stored, (group, stored)
        assert word(group, stored, "en") == stored  # what --status, JSON and CSV use


def test_a_value_the_catalog_does_not_know_is_shown_as_stored() -> None:
    assert word("status", "paused", "vi") == "paused"


def _keys_used(path: Path) -> list[tuple[str, str, int]]:
    """(catalog, key, line) of every literal key a module of the command looks up."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if node.func.id in ("t", "h", "_error"):
                    found.append(("cli", first.value, node.lineno))
                elif node.func.id == "report_t":
                    found.append(("report", first.value, node.lineno))
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Dict)):
            names = [n.id for n in node.targets if isinstance(n, ast.Name)]
            if names in (["headers"], ["_ERROR_KINDS"]):
                values = node.value.elts if isinstance(node.value, ast.List) else node.value.values
                found += [
                    ("cli", v.value, node.lineno)
                    for v in values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                ]
    return found


@pytest.mark.parametrize("module", ["cli.py", "output.py", "demo.py"])
def test_every_key_the_command_looks_up_is_in_the_catalog(module: str) -> None:
    used = _keys_used(Path(cli.__file__).with_name(module))
    assert used, "the scan found no look-up at all"
    missing = [(c, k, line) for c, k, line in used if k not in CATALOGS[c]]
    assert missing == []


def test_lang_comes_from_the_option_then_the_environment_then_vietnamese() -> None:
    assert choose_lang("en", {ENV_LANG: "vi"}) == "en"
    assert choose_lang(None, {ENV_LANG: "en"}) == "en"
    assert choose_lang(None, {ENV_LANG: " EN "}) == "en"
    assert choose_lang(None, {}) == "vi"
    assert choose_lang(None, {ENV_LANG: ""}) == "vi"
    # The option wins, and a wrong variable is then never read.
    assert choose_lang("vi", {ENV_LANG: "fr"}) == "vi"


@pytest.mark.parametrize("value", ["fr", "vi_VN.UTF-8", "english", "vie"])
def test_an_unknown_stisync_lang_is_refused(value: str) -> None:
    with pytest.raises(LangError) as caught:
        choose_lang(None, {ENV_LANG: value})
    for lang in ("vi", "en"):
        message = caught.value.message(lang)
        assert ENV_LANG in message and repr(value) in message
        assert "vi" in message and "en" in message


def test_a_wrong_stisync_lang_stops_the_command_with_both_languages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_LANG, "vi_VN")
    assert cli.main(["status"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    vi, en = err.splitlines()
    assert vi == (
        "Lỗi: biến môi trường STISYNC_LANG có giá trị 'vi_VN', không hợp lệ; hãy đặt vi "
        "(tiếng Việt) hoặc en (tiếng Anh), hoặc bỏ biến này đi"
    )
    assert en.startswith("Error: the environment variable STISYNC_LANG is 'vi_VN'")


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_is_vietnamese_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(["--help"], capsys)
    assert text.startswith("Cách dùng: stisync [-h] [--config TỆP]")
    assert "Đồng bộ các nhiệm vụ KH&CN của tỉnh lên cơ sở dữ liệu quốc gia" in text
    assert "\ntuỳ chọn:\n" in text
    assert "hiện hướng dẫn này rồi thoát" in text
    assert "quarantine    các bản ghi bị cách ly (giữ lại, không gửi) và lý do" in text
    assert "show this help" not in text and "usage:" not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--lang", "en", "sync", "--help"],
        ["--lang=en", "sync", "--help"],
        ["sync", "--help"],  # from STISYNC_LANG
    ],
)
def test_help_is_english_when_asked(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if "en" not in " ".join(argv):
        monkeypatch.setenv(ENV_LANG, "en")
    text = help_text(argv, capsys)
    assert text.startswith("usage: stisync sync [-h]")
    assert "sources to sync (default: all enabled)" in text
    assert "Cách dùng" not in text and "đồng bộ" not in text


def test_validate_own_lang_option_sets_the_help_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_LANG, "en")
    text = help_text(["validate", "--lang", "vi", "--help"], capsys)
    assert text.startswith("Cách dùng: stisync validate")
    assert "ghi báo cáo vào TỆP: .xlsx, .html hoặc .csv" in text


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("vi", "stisync logs: Lỗi: argument --since: 'hôm qua' không phải là ngày"),
        ("en", "stisync logs: Error: argument --since: 'hôm qua' is not a date"),
    ],
)
def test_a_wrong_argument_is_framed_in_the_admins_language(
    lang: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--lang", lang, "logs", "--since", "hôm qua"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.startswith("Cách dùng: stisync logs" if lang == "vi" else "usage: stisync logs")


def test_a_dry_runs_reasons_are_in_the_admins_language() -> None:
    def why(reason: str, lang: str, problems: tuple[Problem, ...] = ()) -> str:
        return cli._why(Planned("q:1", "update", reason, "nv.csv, row 2", problems), lang)

    assert why("new record", "vi") == "bản ghi mới"
    assert why("changed: title, budget.total_vnd", "vi") == "thay đổi: title, budget.total_vnd"
    assert why("changed: title", "en") == "changed: title"
    held = (Problem("title", "required", "Thiếu tên nhiệm vụ (title).",
                    "Title (title): a required value is missing."),)
    assert why("Title (title): a required value is missing.", "vi", held) == (
        "Thiếu tên nhiệm vụ (title).")
    assert why("Title (title): a required value is missing.", "en", held) == (
        "Title (title): a required value is missing.")
