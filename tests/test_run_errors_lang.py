"""A run's error said to the admin in Vietnamese (the command's default) and in English with
`--lang en`: a national side that cannot be reached, that refuses our credentials or answers
5xx, a source that cannot be read, a mass deletion held back, a reconcile whose mapping is
wrong, a defect. The run record keeps the English in `error` (sync reports and logs are read
by the national agency's staff) and the Vietnamese beside it in `error_vi`, so that
`stisync logs` says it again after the fact; runs recorded before that column existed are
shown with their English."""

from __future__ import annotations

import ast
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import sync.runner
from national_sim import sim_state
from sync.national import NationalError, RetryPolicy, RunBudget, classify, retrying
from sync.state.db import StateDB
from sync.state.models import Run, RunStatus
from tests.cli_run import Done, run_cli
from tests.e2e import Env, e2e_env
from tests.sim_tamper import add_national

pytest_plugins = ["tests.db_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
# Letters only Vietnamese has: an English text has none, a Vietnamese sentence some.
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)
PROPAGATE = 'deletions = "propagate"'
# The frames of the national failures, as the command says them (stisync.texts).
UNAVAILABLE_VI = "Hệ thống quốc gia không sẵn sàng (các bản ghi chờ gửi ở lượt chạy sau): "
UNAVAILABLE_EN = "National API unavailable (the records wait for the next run): "


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.sqlite'}"


def free_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def error_line(done: Done) -> str:
    """The error a `sync` printed under its result line."""
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("  ")]
    return line.strip()


def stored_runs(env: Env) -> list[Run]:
    db = env.db()
    try:
        with db.session() as s:
            return list(s.scalars(select(Run).order_by(Run.id)))
    finally:
        db.dispose()


def assert_kept_in_both(run: Run, english: str, vietnamese: str) -> None:
    """The run record: `error` English, as the national agency reads it; `error_vi` beside."""
    assert run.error is not None and run.error.startswith(english), run.error
    assert not VIETNAMESE.search(run.error), run.error
    assert run.error_vi is not None and run.error_vi.startswith(vietnamese), run.error_vi
    assert VIETNAMESE.search(run.error_vi), run.error_vi


def assert_logs_say_it(cli: Callable[..., Done], run_id: int, vi: str, en: str) -> None:
    """`stisync logs` and `stisync logs RUN` say the stored error again, in either language."""
    table_vi, table_en = cli("logs").stdout, cli("--lang", "en", "logs").stdout
    detail_vi = cli("logs", str(run_id)).stdout
    detail_en = cli("--lang", "en", "logs", str(run_id)).stdout
    assert vi in table_vi and vi in detail_vi
    assert en in table_en and en in detail_en
    assert vi not in table_en and en not in detail_vi


# --- the national side ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_national_side_that_cannot_be_reached_is_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with e2e_env(tmp_path, sqlite_url(tmp_path), max_attempts=2, max_retry_seconds=3) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        nowhere = f"http://127.0.0.1:{free_port()}/api"
        text = env.config.read_text(encoding="utf-8").replace(env.sim.url, nowhere)
        env.config.write_text(text, encoding="utf-8")

        said = cli("sync", "tinh-csv")
        assert said.returncode == 2
        line = error_line(said)
        assert line.startswith(f"{UNAVAILABLE_VI}API quốc gia POST /api/oauth/token: "
                               "không kết nối được: máy chủ từ chối kết nối (Connection "
                               "refused)"), line
        assert "(đã dừng sau 2 lần thử trong " in line and "gave up" not in line

        english = cli("--lang", "en", "sync", "tinh-csv")
        line_en = error_line(english)
        assert line_en.startswith(f"{UNAVAILABLE_EN}national API POST /api/oauth/token: "
                                  "connection failed: "), line_en
        assert "(gave up after 2 attempt(s) in " in line_en
        assert not VIETNAMESE.search(line_en)

        first, second = stored_runs(env)
        for run in (first, second):
            assert_kept_in_both(
                run,
                "national API unavailable: national API POST /api/oauth/token: connection failed",
                "national API unavailable: API quốc gia POST /api/oauth/token: không kết nối được",
            )
        assert_logs_say_it(cli, first.id, "không kết nối được", "connection failed")

        # reconcile meets the same national side, and says so alike.
        check = cli("reconcile", "tinh-csv")
        assert check.returncode == 2
        assert check.stderr.startswith(f"{UNAVAILABLE_VI}API quốc gia POST /api/oauth/token: ")
        check_en = cli("--lang", "en", "reconcile", "tinh-csv")
        assert check_en.stderr.startswith(f"{UNAVAILABLE_EN}national API POST /api/oauth/token: ")


@pytest.mark.slow
def test_refused_credentials_are_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with e2e_env(tmp_path, sqlite_url(tmp_path)) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        (env.folder / "national-secret").write_text("wrong", encoding="utf-8")
        client_id = env.sim.client_id
        said = cli("sync", "tinh-csv")
        assert said.returncode == 2
        line = error_line(said)
        assert line.startswith(
            "Hệ thống quốc gia từ chối thông tin xác thực: nơi cấp mã truy cập của API quốc gia "
            "POST /api/oauth/token: 401 "
        ), line
        assert line.endswith(f": hãy kiểm tra client_id {client_id!r}, client_secret của nó và "
                             "token_url")
        english = cli("--lang", "en", "sync", "tinh-csv")
        assert error_line(english).startswith(
            "The national API refused our credentials: national API token endpoint "
            "POST /api/oauth/token: 401 "
        )
        assert error_line(english).endswith(f": check client_id {client_id!r}, its secret and "
                                            "token_url")
        run = stored_runs(env)[0]
        assert_kept_in_both(run, "national API refused our credentials: national API token "
                            "endpoint", "national API refused our credentials: nơi cấp mã")
        assert_logs_say_it(cli, run.id, "hãy kiểm tra client_id", "check client_id")


@pytest.mark.slow
def test_a_5xx_answer_is_said_in_vietnamese_with_the_servers_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with e2e_env(tmp_path, sqlite_url(tmp_path), max_attempts=2, max_retry_seconds=3) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sim.set_faults(down=True)  # every request answered 503
        said = cli("sync", "tinh-csv")
        assert said.returncode == 2
        line = error_line(said)
        assert line.startswith(f"{UNAVAILABLE_VI}API quốc gia POST /api/oauth/token: 503 "), line
        assert "(đã dừng sau 2 lần thử trong " in line
        (run,) = stored_runs(env)
        # The server's own words (after the status) are quoted as they came, in both.
        server = run.error.split(": 503 ", 1)[1].split(" (gave up", 1)[0] if run.error else ""
        assert server and server in line
        assert_kept_in_both(run, "national API unavailable: national API POST /api/oauth/token: "
                            "503 ", "national API unavailable: API quốc gia POST")
        english = cli("--lang", "en", "sync", "tinh-csv")
        assert error_line(english).startswith(
            f"{UNAVAILABLE_EN}national API POST /api/oauth/token: 503 {server} (gave up after"
        )


# --- the source, the mass-delete guard --------------------------------------------------------


@pytest.mark.slow
def test_a_source_that_cannot_be_read_while_the_national_side_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with e2e_env(tmp_path, sqlite_url(tmp_path), max_attempts=1) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sim.set_faults(down=True)
        assert cli("sync", "tinh-csv").returncode == 2  # its records wait in the outbox
        env.csv_path.unlink()
        said = cli("sync", "tinh-csv")
        line = error_line(said)
        # Both parts of the error, each framed in Vietnamese.
        assert line.startswith("Lỗi: không đọc được nguồn: tinh-csv: "), line
        assert f"; {UNAVAILABLE_VI}API quốc gia POST /api/oauth/token: 503 " in line
        english = error_line(cli("--lang", "en", "sync", "tinh-csv"))
        assert english.startswith("Error: cannot read the source: tinh-csv: "), english
        assert f"; {UNAVAILABLE_EN}national API POST /api/oauth/token: 503 " in english
        assert not VIETNAMESE.search(english.replace(str(env.csv_path), ""))
        run = stored_runs(env)[1]
        assert run.error is not None and run.error.startswith("source: tinh-csv: ")
        assert "; national API unavailable: national API POST" in run.error
        assert run.error_vi is not None and run.error_vi.startswith("source: tinh-csv: ")
        assert "; national API unavailable: API quốc gia POST" in run.error_vi
        assert_logs_say_it(cli, run.id, f"; {UNAVAILABLE_VI}API quốc gia",
                           f"; {UNAVAILABLE_EN}national API")


@pytest.mark.slow
def test_a_mass_deletion_held_back_is_said_in_vietnamese_and_reported_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with e2e_env(tmp_path, sqlite_url(tmp_path), csv_extra=PROPAGATE, max_attempts=1) as env:

        def cli(*argv: str) -> Done:
            return run_cli(monkeypatch, capsys, env.config, *argv)

        env.sync("tinh-csv")
        env.remove_csv_rows(*(f"NV-2023-{i:03d}" for i in range(1, 6)))  # 5 of 20: 25%
        said = cli("sync", "tinh-csv")
        assert said.returncode == 2
        assert error_line(said) == (
            "Lỗi: lượt chạy này sẽ xoá 5 trong số 20 bản ghi của nguồn tinh-csv khỏi CSDL quốc "
            "gia (25%, nhiều hơn tỉ lệ 10% mà mass_delete_share cho phép); chưa xoá bản ghi "
            "nào. Nếu đúng là cần xoá, hãy chạy `stisync sync tinh-csv --allow-mass-delete`"
        )
        english = cli("--lang", "en", "sync", "tinh-csv")
        assert error_line(english) == (
            "Error: this run would delete 5 of the 20 records of source tinh-csv in the "
            "national database (25%, more than the 10% allowed by mass_delete_share); nothing "
            "was deleted. If that is right, run `stisync sync tinh-csv --allow-mass-delete`"
        )
        blocked = stored_runs(env)[1]
        assert_kept_in_both(blocked, "this run would delete 5", "lượt chạy này sẽ xoá 5")
        assert_logs_say_it(cli, blocked.id, "lượt chạy này sẽ xoá 5", "this run would delete 5")
        # What the national agency receives stays English.
        reports = sim_state(env.sim.app).store.reports(env.sim.province, None)
        sent = [e["message"] for r in reports for e in r["errors"] if e["code"] == "run_failed"]
        assert blocked.error in sent and not any(VIETNAMESE.search(m) for m in sent)

        # reconcile --repair holds back its withdrawals alike; its run keeps both.
        assert cli("sync", "tinh-csv", "--allow-mass-delete").returncode == 0
        record = env.national()["tinh-csv:NV-2023-010"].record
        for i in range(3):  # 3 of the 15 left: over 10%
            add_national(env.sim, f"tinh-csv:NV-LA-{i}", record)
        repair = cli("reconcile", "tinh-csv", "--repair", "--format", "json")
        outcome = json.loads(repair.stdout)
        assert outcome["blocked"] == 3
        assert outcome["error"].startswith("reconcile would withdraw 3 record(s)")
        assert outcome["error_vi"].startswith("đối soát sẽ xoá 3 bản ghi của nguồn tinh-csv")
        run = stored_runs(env)[-1]
        assert_kept_in_both(run, "reconcile would withdraw 3", "đối soát sẽ xoá 3")
        assert_logs_say_it(cli, run.id, "Lỗi: đối soát sẽ xoá 3",
                           "Error: reconcile would withdraw 3")


# --- configuration, defects, the state database: no national side needed ---------------------

CONFIG = """province = "52"
state_url = "{state}"
[national]
url = "http://127.0.0.1:{port}/api"
auth = "token"
token_env = "STISYNC_TEST_RUN_ERRORS_TOKEN"
[sources.nv]
kind = "spreadsheet"
mapping = "m.toml"
connector = {{ path = "nv.csv", id_column = "Mã số" }}
"""
MAPPING = '[mapping]\nschema_version = "1"\nnamespace = "nv"\n[fields]\n'


def folder(tmp_path: Path, fields: str = 'title = "Tên"\n') -> Path:
    (tmp_path / "m.toml").write_text(MAPPING + fields, encoding="utf-8")
    (tmp_path / "nv.csv").write_text("Mã số,Tên\nNV-1,Nhiệm vụ một\n", encoding="utf-8")
    path = tmp_path / "stisync.toml"
    path.write_text(CONFIG.format(state=sqlite_url(tmp_path), port=free_port()), encoding="utf-8")
    return path


def test_a_reconcile_with_a_broken_mapping_is_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder(tmp_path, 'title = { from = "Tên", transform = "dat" }\n')
    mapping = tmp_path / "m.toml"
    said = run_cli(monkeypatch, capsys, path, "reconcile", "nv")
    assert said.returncode == 2
    assert said.stderr.startswith(f"Lỗi cấu hình: {mapping}: [fields] title: transform 'dat' "
                                  "không hợp lệ"), said.stderr
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "reconcile", "nv")
    assert english.stderr.startswith(f"Configuration error: {mapping}: [fields] title: unknown "
                                     "transform 'dat'"), english.stderr
    as_json = json.loads(run_cli(monkeypatch, capsys, path, "reconcile", "nv", "--format",
                                 "json").stdout)
    assert as_json["error"].startswith(f"configuration: {mapping}: [fields] title: unknown")
    assert as_json["error_vi"].startswith(f"configuration: {mapping}: [fields] title: transform")


def test_a_defect_and_a_locked_state_database_are_framed_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder(tmp_path)

    def defect(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(sync.runner, "mass_delete_guard", defect)
    said = run_cli(monkeypatch, capsys, path, "sync", "nv")
    assert said.returncode == 2
    assert error_line(said) == "Lỗi nội bộ của stisync: ValueError: boom"
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "sync", "nv")
    assert error_line(english) == "Internal error of stisync: ValueError: boom"

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE runs", {}, Exception("database is locked"))

    monkeypatch.setattr(sync.runner, "mass_delete_guard", locked)
    said = run_cli(monkeypatch, capsys, path, "sync", "nv")
    assert error_line(said) == (
        "Lỗi cơ sở dữ liệu trạng thái: cơ sở dữ liệu trạng thái đang bị một chương trình khác "
        "khoá ghi (chương trình sao lưu, trình duyệt cơ sở dữ liệu?) (database is locked)")
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "sync", "nv")
    assert error_line(english) == (
        "State database error: the state database is locked by another program (a backup, a "
        "database browser?) that holds a write lock (database is locked)")
    db = StateDB(sqlite_url(tmp_path))
    try:
        with db.session() as s:
            errors = [(r.error, r.error_vi) for r in s.scalars(select(Run).order_by(Run.id))]
    finally:
        db.dispose()
    assert errors[0] == ("internal error: ValueError: boom",) * 2
    assert len(errors) == 4
    assert all((en or "").startswith("state database: ") for en, _ in errors[2:])


def test_a_state_database_that_cannot_be_opened_is_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be", encoding="utf-8")
    monkeypatch.setenv("STISYNC_STATE_URL", f"sqlite:///{blocker / 'state.sqlite'}")
    said = run_cli(monkeypatch, capsys, path, "status")
    assert said.returncode == 2
    assert "Lỗi cơ sở dữ liệu trạng thái: " in said.stderr
    assert "cơ sở dữ liệu trạng thái" in said.stderr.split(": ", 1)[1]
    assert str(blocker) in said.stderr
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "status")
    assert english.returncode == 2
    assert "State database error: " in english.stderr
    assert not VIETNAMESE.search(english.stderr), english.stderr


def test_a_daemon_with_nothing_scheduled_says_so_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder(tmp_path)  # its one source has no schedule
    said = run_cli(monkeypatch, capsys, path, "daemon")
    assert said.returncode == 2
    assert f"Không có nguồn nào được bật và có lịch chạy trong {path}" in said.stdout
    english = run_cli(monkeypatch, capsys, path, "--lang", "en", "daemon")
    assert f"No enabled source has a schedule in {path}" in english.stdout


def test_a_source_busy_with_another_run_is_said_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sync.state.locks import SourceLease

    path = folder(tmp_path)
    (tmp_path / "nv.csv").write_text("Mã số,Tên\nNV-1,Nhiệm vụ một\nNV-2,\n", encoding="utf-8")
    run_cli(monkeypatch, capsys, path, "sync", "nv")  # NV-2 has no title: held back
    db = StateDB(sqlite_url(tmp_path))
    lease = SourceLease(db, "nv", owner="may-khac:4242:abcd")
    lease.acquire()
    try:
        said = run_cli(monkeypatch, capsys, path, "sync", "nv", "--no-wait")
        assert said.returncode == 2
        assert said.stdout.startswith("nv: thất bại (chưa bắt đầu lượt chạy nào): ")
        assert "'nv' đang được một lượt khác đồng bộ (may-khac:4242:abcd" in said.stdout
        english = run_cli(monkeypatch, capsys, path, "--lang", "en", "sync", "nv", "--no-wait")
        assert "'nv' is being synced by another run" in english.stdout + english.stderr
        retried = run_cli(monkeypatch, capsys, path, "quarantine", "retry", "--all",
                          "--wait", "0")
        assert retried.returncode == 2
        assert "nv: Lỗi: nguồn 'nv' đang được một lượt khác đồng bộ" in retried.stdout
    finally:
        lease.release()
        db.dispose()


# --- the national client's errors -----------------------------------------------------------

NATIONAL_ERRORS = {"NationalError", "TransientError", "PermanentError", "AuthFailed",
                   "BatchRefused", "RetryBudgetExceeded", "RetryAfterTooLong", "RunBudgetSpent",
                   "CircuitOpen"}


def untranslated(source: str) -> list[str]:
    """The national errors made in `source` without a Vietnamese text: a call of one of them
    with no `text_vi`, or of a local `broken(why, why_vi)` helper with fewer arguments."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name in NATIONAL_ERRORS:
            ok = any(k.arg == "text_vi" for k in node.keywords)
        elif name == "broken":
            ok = len(node.args) == 2
        else:
            continue
        if not ok:
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


@pytest.mark.parametrize("module", ["errors", "client", "retry", "auth", "results"])
def test_every_national_error_is_made_with_its_vietnamese(module: str) -> None:
    source = (ROOT / "sync" / "national" / f"{module}.py").read_text(encoding="utf-8")
    assert untranslated(source) == []


def test_the_scan_finds_a_national_error_without_its_vietnamese() -> None:
    assert untranslated('raise NationalError(f"national API {x}: bad", url=u)') != []
    assert untranslated('raise broken("no local_id")') != []
    assert untranslated('raise NationalError("x", text_vi="y")') == []


def _answer(status: int, body: object, reason: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode("utf-8")
    response.headers["Content-Type"] = "application/json"
    response.reason = reason
    response.url = "http://nat.test/v1/provinces/52/tasks:batch"
    return response


def test_a_refusal_keeps_the_servers_words_inside_the_vietnamese() -> None:
    fields = [{"field": f"f{i}", "code": "required", "message": "bắt buộc"} for i in range(7)]
    refused = classify(_answer(400, {"error": "invalid", "message": "Bad batch",
                                     "errors": fields}), None, url=_answer(400, {}).url,
                       method="POST")
    assert isinstance(refused, NationalError)
    assert str(refused) == refused.text("en")
    assert str(refused).startswith("national API POST /v1/provinces/52/tasks:batch: 400 "
                                   "invalid: Bad batch; field errors: f0 (required: bắt buộc)")
    assert str(refused).endswith("; and 2 more")
    assert refused.text("vi").startswith("API quốc gia POST /v1/provinces/52/tasks:batch: 400 "
                                         "invalid: Bad batch; lỗi ở các trường: f0 (required: "
                                         "bắt buộc)")
    assert refused.text("vi").endswith("; và 2 lỗi khác")
    forbidden = classify(_answer(403, {}, reason="Forbidden"), None,
                         url="http://nat.test/v1/provinces/52/tasks", method="GET")
    assert forbidden is not None
    assert forbidden.text("vi") == ("API quốc gia GET /v1/provinces/52/tasks: 403 thông tin xác "
                                    "thực này không có quyền với tỉnh 52 (Forbidden)")
    bare = classify(_answer(404, {}), None, url="http://nat.test/v1/x", method="GET")
    assert bare is not None and bare.text("vi").endswith(": 404 không có chi tiết")
    assert str(bare).endswith(": 404 no detail")


def test_giving_up_says_why_in_both_languages() -> None:
    def always_503() -> None:
        error = classify(_answer(503, {"error": "unavailable"}), None, url="http://nat.test/v1/x",
                         method="GET")
        assert error is not None
        raise error

    policy = RetryPolicy(max_attempts=2, initial_backoff=0, jitter=0)
    with pytest.raises(NationalError) as gave_up:
        retrying(policy, sleep=lambda s: None)(always_503)
    assert gave_up.value.text("vi").startswith("API quốc gia GET /v1/x: 503 unavailable (đã dừng "
                                               "sau 2 lần thử trong ")
    assert str(gave_up.value).startswith("national API GET /v1/x: 503 unavailable (gave up after "
                                         "2 attempt(s) in ")
    budget = RunBudget(max_retries=0)
    with pytest.raises(NationalError) as spent:
        retrying(policy, sleep=lambda s: None, run=budget)(always_503)
    assert spent.value.text("vi").endswith(
        "(không thử lại: lượt chạy đã dùng hết hạn mức thử lại (0 trên 0 lần thử lại, 0 trên "
        "900 giây để thử lại); phần còn lại chờ lượt chạy sau)"
    )


# --- the runs table's new column -------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def any_state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("pg_url" if request.param == "postgresql"
                                       else "mysql_url")
    return url


RUNS = sa.table("runs", sa.column("id"), sa.column("run_uid"), sa.column("source"),
                sa.column("trigger"), sa.column("status"), sa.column("full"),
                sa.column("started_at"), sa.column("counts"), sa.column("error"))


def test_migration_0005_keeps_the_runs_and_their_english_errors(any_state_url: str) -> None:
    from alembic import command

    from sync.state.db import _alembic_config, make_engine

    engine = make_engine(any_state_url)
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        conn.execute(RUNS.insert().values(
            id=1, run_uid="u", source="s", trigger="manual", status="failed", full=False,
            started_at="2026-01-01 00:00:00", counts="{}", error="source: s: file not found"))
    engine.dispose()
    db = StateDB(any_state_url)  # upgrades to the newest version
    with db.session() as s:
        (run,) = s.scalars(select(Run))
        assert (run.status, run.error, run.error_vi) == (
            RunStatus.FAILED, "source: s: file not found", None)
        run.error_vi = "source: s: không tìm thấy tệp"  # Vietnamese fits the new column
    with db.session() as s:
        assert s.scalars(select(Run.error_vi)).one() == "source: s: không tìm thấy tệp"
    db.dispose()
    engine = make_engine(any_state_url)
    with engine.begin() as conn:  # and back down, for a rollback of the service
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
        assert "error_vi" not in columns and "error" in columns
        assert conn.execute(sa.text("SELECT error FROM runs")).scalar() == (
            "source: s: file not found")
    engine.dispose()


def test_a_run_recorded_before_the_column_is_shown_with_its_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder(tmp_path)
    from sync.state.models import Trigger, utcnow

    db = StateDB(sqlite_url(tmp_path))
    with db.session() as s:
        s.add(Run(run_uid="old", source="nv", trigger=Trigger.SCHEDULE, status=RunStatus.FAILED,
                  started_at=utcnow(), finished_at=utcnow(), counts={},
                  error="source: nv: file nv.csv not found"))
    db.dispose()
    shown = run_cli(monkeypatch, capsys, path, "logs", "1").stdout
    assert "Lỗi: không đọc được nguồn: nv: file nv.csv not found" in shown
    table = run_cli(monkeypatch, capsys, path, "logs").stdout
    assert "Lỗi: không đọc được nguồn: nv: file nv.csv not found" in table
