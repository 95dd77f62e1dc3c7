"""A mistake in the configuration or in a mapping file, said to the admin in Vietnamese (the
command's default) and in English with `--lang en`, with the same facts: the file, the key,
the value and what is allowed. `str()` of the error, which logs and run records keep for the
national agency's staff, stays English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from schemas.mapping import MappingConfigError, parse_mapping
from sync.config import ConfigError, load_config
from sync.runner import run_source
from sync.state.models import Run
from sync.texts import error_text
from tests.cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent
# The modules whose errors an admin meets while setting up, and the error each raises.
MODULES = {"sync/config.py": "ConfigError", "schemas/mapping/spec.py": "MappingConfigError"}
# Letters only Vietnamese has (a translation that is the English copied has none of them).
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)

NATIONAL = """
[national]
url = "http://127.0.0.1:9/api"
auth = "token"
token_env = "STISYNC_TEST_TOKEN_NEVER_SET"
"""
SOURCE = """
[sources.nv]
kind = "spreadsheet"
mapping = "m.toml"
connector = { path = "nv.csv", id_column = "Mã số" }
"""
MAPPING = '[mapping]\nschema_version = "1"\nnamespace = "nv"\n[fields]\n'


def setup(folder: Path, config: str, fields: str = 'title = "Tên"\n') -> Path:
    """A config folder: `config` as the file, a mapping with `fields`, a one-row CSV."""
    (folder / "m.toml").write_text(MAPPING + fields, encoding="utf-8")
    (folder / "nv.csv").write_text("Mã số,Tên\nNV-1,Nhiệm vụ một\n", encoding="utf-8")
    path = folder / "stisync.toml"
    path.write_text(config, encoding="utf-8")
    return path


GOOD = 'province = "52"\n' + NATIONAL + SOURCE


# --- what the admin sees ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",  # the config file, the key named, the Vietnamese, the English
    [
        (
            'province = "52"\n' + NATIONAL.replace("http://127.0.0.1:9/api", "ftp://x") + SOURCE,
            "national.url",
            "phải là một URL http(s), không phải 'ftp://x'",
            "must be an http(s) URL, not 'ftp://x'",
        ),
        (
            'provnce = "52"\n' + NATIONAL + SOURCE,
            "provnce",
            "khoá không hợp lệ; các khoá hợp lệ ở đây: log_dir, national, province,",
            "unknown key; known keys here: log_dir, national, province,",
        ),
        (
            'province = "52"\n' + NATIONAL.replace('auth = "token"', 'auth = "magic"') + SOURCE,
            "national.auth",
            'phải là "oauth2" hoặc "token", không phải \'magic\'',
            'must be "oauth2" or "token", not \'magic\'',
        ),
        (
            NATIONAL + SOURCE,
            "province",
            "là bắt buộc",
            "is required",
        ),
        (
            GOOD + 'deletions = "drop"\n',
            "sources.nv.deletions",
            "phải là một trong report, propagate, không phải 'drop'",
            "must be one of report, propagate, not 'drop'",
        ),
        (
            GOOD.replace('"m.toml"', '"khong-co.toml"'),
            "sources.nv.mapping",
            "không tìm thấy tệp ánh xạ ",
            "mapping file ",
        ),
        (
            GOOD + "mass_delete_share = 5\n",
            "sources.nv.mass_delete_share",
            "là một tỷ lệ từ 0 đến 1 (0.1 = 10%), không phải 5.0",
            "is a share between 0 and 1 (0.1 = 10%), not 5.0",
        ),
    ],
    ids=["url", "unknown-key", "auth", "missing", "choice", "mapping-file", "share"],
)
def test_a_config_mistake_is_said_in_vietnamese_and_in_english_when_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str, str],
) -> None:
    config, key, vi, en = case
    path = setup(tmp_path, config)
    said = run_cli(monkeypatch, capsys, path, "check", "nv")
    assert said.returncode == 2 and said.stdout == ""
    assert said.stderr.startswith(f"Lỗi cấu hình: {path}: {key}: ")
    assert vi in said.stderr and en not in said.stderr
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "check", "nv")
    assert english.returncode == 2
    assert english.stderr.startswith(f"Configuration error: {path}: {key}: ")
    assert en in english.stderr and vi not in english.stderr
    # STISYNC_LANG=en speaks English as --lang en does.
    monkeypatch.setenv("STISYNC_LANG", "en")
    assert run_cli(monkeypatch, capsys, path, "check", "nv").stderr == english.stderr


def test_a_missing_config_file_is_said_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "khong-co.toml"
    said = run_cli(monkeypatch, capsys, missing, "status")
    assert said.returncode == 2
    assert said.stderr == f"Lỗi cấu hình: {missing}: (tệp): không tìm thấy tệp cấu hình\n"
    english = run_cli(monkeypatch, capsys, missing, "--lang", "en", "status")
    assert english.stderr == (
        f"Configuration error: {missing}: (file): configuration file not found\n"
    )


def test_a_config_that_is_not_toml_keeps_the_parsers_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = setup(tmp_path, 'province = "52\n')
    said = run_cli(monkeypatch, capsys, path, "check", "nv")
    assert said.stderr.startswith(f"Lỗi cấu hình: {path}: (tệp): không phải TOML hợp lệ: ")
    assert "(at line 1, column" in said.stderr  # the TOML parser's own words say where


@pytest.mark.parametrize(
    "case",  # the mapping's [fields], the key named, the Vietnamese, the English
    [
        (
            'titel = "Tên"\n',
            "[fields] titel",
            "trường quốc gia không hợp lệ 'titel'; có phải 'title'?",
            "unknown national field 'titel'; did you mean 'title'?",
        ),
        (
            '"budget.total_vnd" = { from = "Tên", unit = "USD" }\n',
            "[fields] budget.total_vnd",
            "đơn vị 'USD' không hợp lệ; hãy dùng đồng, nghìn, triệu hoặc tỷ",
            "unknown unit 'USD'; use đồng, nghìn, triệu or tỷ",
        ),
        (
            'local_id = "Mã số"\n',
            "[fields] local_id",
            "local_id được tạo từ [mapping] namespace và mã bản ghi; hãy xoá dòng này",
            "local_id is built from [mapping] namespace and the record id; remove this line",
        ),
        (
            'start_date = { from = "Tên", partial = "middle" }\n',
            "[fields] start_date",
            "partial phải là \"start\" hoặc \"end\", nhận được 'middle'",
            "partial must be \"start\" or \"end\", got 'middle'",
        ),
        (
            'management_level = { from = "Tên", labels = { "Cấp tỉnh" = "tinh" } }\n',
            "[fields] management_level labels 'Cấp tỉnh'",
            "'tinh' không phải mã của danh sách management_level",
            "'tinh' is not a code of list management_level",
        ),
    ],
    ids=["unknown-field", "unit", "reserved", "partial", "label-code"],
)
def test_a_mapping_mistake_is_said_in_vietnamese_and_in_english_when_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str, str],
) -> None:
    fields, key, vi, en = case
    path = setup(tmp_path, GOOD, fields)
    mapping = tmp_path / "m.toml"
    said = run_cli(monkeypatch, capsys, path, "check", "nv")
    assert said.returncode == 2
    assert said.stderr.startswith(f"Lỗi cấu hình: {mapping}: {key}: ")
    assert vi in said.stderr and en not in said.stderr
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "check", "nv")
    assert english.returncode == 2
    assert english.stderr.startswith(f"Configuration error: {mapping}: {key}: ")
    assert en in english.stderr and vi not in english.stderr


def test_validate_says_a_mapping_mistake_in_the_admins_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = setup(tmp_path, GOOD, 'titel = "Tên"\n')
    said = run_cli(monkeypatch, capsys, path, "validate", "nv")
    assert said.returncode == 2
    assert said.stderr == (f"Lỗi cấu hình: {tmp_path / 'm.toml'}: [fields] titel: trường quốc "
                           "gia không hợp lệ 'titel'; có phải 'title'?\n")
    english = run_cli(monkeypatch, capsys, path, "validate", "nv", "--lang", "en")
    assert english.stderr.startswith("Configuration error: ")
    assert "unknown national field 'titel'; did you mean 'title'?" in english.stderr


def test_a_sync_shows_the_vietnamese_and_keeps_the_english_in_the_run_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = setup(tmp_path, GOOD, 'title = { from = "Tên", transform = "dat" }\n')
    mapping = tmp_path / "m.toml"
    takes = "'text', 'long_text', 'date', 'timestamp'"
    vi = f"transform 'dat' không hợp lệ (trường này nhận {takes})"
    en = f"unknown transform 'dat' (this field takes {takes})"
    said = run_cli(monkeypatch, capsys, path, "sync", "nv")
    assert said.returncode == 2
    assert f"  Lỗi cấu hình: {mapping}: [fields] title: {vi}\n" in said.stdout
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "sync", "nv")
    assert f"  Configuration error: {mapping}: [fields] title: {en}\n" in english.stdout

    result = run_source(str(path), "nv", "manual")
    assert result.error == f"configuration: {mapping}: [fields] title: {en}"
    assert result.error_vi == f"configuration: {mapping}: [fields] title: {vi}"
    from sync.runner import open_state

    db = open_state(load_config(path))
    try:
        with db.session() as s:
            stored = {row.error for row in s.query(Run).all()}
    finally:
        db.dispose()
    assert stored == {result.error}  # national staff read the run records: English


# --- the errors themselves -------------------------------------------------------------------


def test_str_stays_english_and_text_gives_either_language(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(setup(tmp_path, GOOD.replace('"52"', '"99"')))
    err = caught.value
    assert str(err) == err.text("en") == f"{err.file}: province: {err.message}"
    assert err.message.startswith("'99' is neither a province code nor a province name")
    assert err.text("vi") == f"{err.file}: province: {err.message_vi}"
    assert err.message_vi.startswith("'99' không phải mã tỉnh cũng không phải tên tỉnh")
    assert error_text(err, "vi") == err.text("vi")

    with pytest.raises(MappingConfigError) as mapped:
        parse_mapping("[mapping]\n", name="m.toml")
    m = mapped.value
    assert str(m) == m.text("en") == "m.toml: [mapping] schema_version: must be \"1\", got None"
    assert m.text("vi") == "m.toml: [mapping] schema_version: phải là \"1\", nhận được None"
    assert error_text(m, "en") == str(m)
    # Errors that carry no Vietnamese (a connector's) are shown as they are.
    assert error_text(ValueError("x: y"), "vi") == "x: y"


def test_a_mapping_that_is_not_toml_has_no_key() -> None:
    with pytest.raises(MappingConfigError) as caught:
        parse_mapping("[mapping\n", name="m.toml")
    assert caught.value.key is None
    assert caught.value.text("vi").startswith("m.toml: không phải TOML hợp lệ: ")
    assert str(caught.value).startswith("m.toml: is not valid TOML: ")


# --- every message has both languages, side by side ----------------------------------------


def untranslated(source: str, error: str) -> list[str]:
    """The `fail(...)` and `<error>(...)` calls in `source` that do not pass an English and a
    Vietnamese message as their own arguments: `fail(key, en, vi)`, `error(file, key, en, vi)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        wanted = {"fail": 3, error: 4}.get(name or "")
        if wanted is None:
            continue
        args = node.args
        if len(args) != wanted or node.keywords or any(isinstance(a, ast.Starred) for a in args):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
            continue
        en, vi = args[-2], args[-1]
        vi_names = {n.attr for n in ast.walk(vi) if isinstance(n, ast.Attribute)} | {
            n.id for n in ast.walk(vi) if isinstance(n, ast.Name)
        }
        words = "".join(n.value for n in ast.walk(vi)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str))
        # Vietnamese words, or a Vietnamese text made elsewhere (reason_vi, why_vi...).
        translated = VIETNAMESE.search(words) or any(n.endswith("_vi") for n in vi_names)
        if ast.dump(en) == ast.dump(vi) or not translated:
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def calls(source: str, error: str) -> int:
    return sum(1 for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
               and getattr(n.func, "attr", getattr(n.func, "id", None)) in ("fail", error))


@pytest.mark.parametrize("module", list(MODULES))
def test_every_message_of_the_module_is_written_in_both_languages(module: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8")
    assert calls(source, MODULES[module]) >= 30  # the scan reads the calls it is meant to
    assert untranslated(source, MODULES[module]) == []


@pytest.mark.parametrize(
    "call",
    [
        'raise self.fail("k", "is required")',
        'raise self.fail("k", "is required", "is required")',
        'raise self.fail("k", f"unknown {x!r}", f"unknown {x!r}")',
        'raise self.fail("k", *pair)',
        'raise self.fail("k", message="is required", message_vi="là bắt buộc")',
        'raise ConfigError(path, "(file)", "not found")',
    ],
    ids=["english-only", "copied", "copied-fstring", "starred", "keywords", "direct"],
)
def test_the_scan_finds_a_message_without_its_translation(call: str) -> None:
    assert untranslated(call, "ConfigError") != []


def test_the_scan_accepts_a_translation() -> None:
    ok = ('raise self.fail("k", "is required", "là bắt buộc")\n'
          'raise self.fail(k, f"{o}: {exc.reason_en}", f"{o}: {exc.reason_vi}")\n'
          'raise ConfigError(p, "(file)", "not found", "không tìm thấy")\n')
    assert untranslated(ok, "ConfigError") == []
