"""The `stisync` command: daemon, sync, reconcile, check, validate, status, logs, quarantine,
national-sim, demo.

Everything it prints itself is in the admin's language (`stisync.texts`): `--lang`, else
STISYNC_LANG, else Vietnamese. JSON and CSV output are for programs: their keys and values stay
as stored, whatever the language.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sync.config import Config

from connectors.base import place_in
from stisync import __version__
from stisync.logsetup import add_file_log, setup_logging
from stisync.output import Progress, as_csv, as_json, counts_text, localize, table
from stisync.texts import LangError, choose_lang, t, word
from sync.texts import ENCODING_NAMES, LANGS, error_text

logger = logging.getLogger("stisync")


class _Formatter(argparse.HelpFormatter):
    """argparse's help, with "usage:" in the admin's language."""

    def __init__(self, prog: str, usage_prefix: str):
        super().__init__(prog)
        self._usage_prefix = usage_prefix

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[Any],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, self._usage_prefix if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose own words — usage, section titles, -h, the frame of an error —
    are in `lang`. What argparse says about a wrong argument ("invalid choice") stays English."""

    def __init__(self, *args: Any, lang: str = "vi", **kwargs: Any):
        prefix = t("help_usage", lang)
        kwargs.setdefault("formatter_class", lambda prog: _Formatter(prog, prefix))
        kwargs["add_help"] = False  # added below, with its help in `lang`
        super().__init__(*args, **kwargs)
        self.lang = lang
        self._positionals.title = t("help_positionals", lang)
        self._optionals.title = t("help_options", lang)
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help=t("help_help", lang)
        )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {t('err', self.lang)}: {message}\n")


def _parser(argv: Sequence[str] = (), lang: str = "vi") -> argparse.ArgumentParser:
    def h(key: str, **values: Any) -> str:
        return t(key, lang, **values)

    p = _Parser(prog="stisync", description=h("help_description"), lang=lang)
    p.add_argument("--config", metavar=h("meta_file"), help=h("help_config"))
    p.add_argument("-v", "--verbose", action="count", default=0, help=h("help_verbose"))
    # No default: without --lang, main() asks STISYNC_LANG.
    p.add_argument("--lang", choices=LANGS, help=h("help_lang"))
    p.add_argument(
        "--version", action="version", version=f"stisync {__version__}", help=h("help_version")
    )
    sub = p.add_subparsers(dest="command", metavar=h("meta_command"), required=True)

    def command(name: str, key: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=h(key), description=h(key), lang=lang)

    command("daemon", "help_daemon")

    s = command("sync", "help_sync")
    s.add_argument("sources", nargs="*", metavar=h("meta_source"), help=h("help_sync_sources"))
    # What to read instead of what changed since the last run: one of these at most.
    read = s.add_mutually_exclusive_group()
    read.add_argument("--full", action="store_true", help=h("help_full"))
    read.add_argument("--remap", action="store_true", help=h("help_remap"))
    read.add_argument(
        "--since", type=_date_type(lang), metavar=h("meta_date"), help=h("help_sync_since")
    )
    read.add_argument(
        "--record",
        dest="records",
        action="append",
        default=[],
        metavar="ID",
        help=h("help_sync_record"),
    )
    s.add_argument("--dry-run", action="store_true", help=h("help_dry_run"))
    s.add_argument(
        "--wait", type=float, default=300.0, metavar=h("meta_seconds"), help=h("help_wait")
    )
    s.add_argument("--allow-mass-delete", action="store_true", help=h("help_mass_delete"))
    s.add_argument(
        "--no-wait", dest="wait", action="store_const", const=0.0, help=h("help_no_wait")
    )

    rc = command("reconcile", "help_reconcile")
    rc.add_argument("source", metavar=h("meta_source"))
    rc.add_argument("--repair", action="store_true", help=h("help_repair"))
    rc.add_argument("--allow-mass-delete", action="store_true", help=h("help_mass_delete"))
    rc.add_argument(
        "--format", choices=["text", "json"], default="text", help=h("help_format", default="text")
    )
    rc.add_argument(
        "--wait", type=float, default=300.0, metavar=h("meta_seconds"), help=h("help_wait")
    )
    rc.add_argument(
        "--no-wait", dest="wait", action="store_const", const=0.0, help=h("help_no_wait")
    )

    ck = command("check", "help_check")
    ck.add_argument("source", metavar=h("meta_source"))
    ck.add_argument("--limit", type=int, default=5, metavar="N", help=h("help_check_limit"))
    ck.add_argument(
        "--format", choices=["text", "json"], default="text", help=h("help_format", default="text")
    )

    va = command("validate", "help_validate")
    va.add_argument("source", metavar=h("meta_source"))
    va.add_argument("--report", metavar=h("meta_file"), help=h("help_report"))
    # SUPPRESS: without it here, the global --lang given before the command would be reset.
    va.add_argument(
        "--lang", choices=LANGS, default=argparse.SUPPRESS, help=h("help_validate_lang")
    )

    command("status", "help_status")

    lg = command("logs", "help_logs")
    lg.add_argument("run_id", nargs="?", type=int, metavar=h("meta_run"), help=h("help_logs_run"))
    lg.add_argument("--source", metavar=h("meta_source"), help=h("help_logs_source"))
    lg.add_argument("--since", type=_date_type(lang), metavar=h("meta_date"), help=h("help_since"))
    lg.add_argument(
        "--status",
        choices=["running", "succeeded", "partial", "failed", "interrupted", "crashed"],
        help=h("help_logs_status"),
    )
    lg.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help=h("help_format", default="table"),
    )
    lg.add_argument("--limit", type=int, default=50, metavar="N", help=h("help_logs_limit"))

    q = command("quarantine", "help_quarantine")
    q.add_argument("--source", metavar=h("meta_source"), help=h("help_quarantine_source"))
    q.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help=h("help_format", default="table"),
    )
    _quarantine_actions(q, lang)

    pr = command("prune", "help_prune")
    pr.add_argument("--dry-run", action="store_true", help=h("help_prune_dry_run"))
    pr.add_argument(
        "--format", choices=["text", "json"], default="text", help=h("help_format", default="text")
    )

    sim = command("national-sim", "help_sim")
    if "national-sim" in argv:
        # Only then: the simulator's imports (Flask, its store) cost a second at every start.
        from national_sim.cli import add_arguments as sim_arguments

        sim_arguments(sim)

    d = command("demo", "help_demo")
    d.add_argument("--dir", default="stisync-demo", metavar=h("meta_dir"), help=h("help_demo_dir"))
    d.add_argument("--keep-running", action="store_true", help=h("help_keep_running"))
    return p


def _quarantine_actions(q: argparse.ArgumentParser, lang: str) -> None:
    """`quarantine show ID` and `quarantine retry ID|--all`; without one, the list."""

    def h(key: str, **values: Any) -> str:
        return t(key, lang, **values)

    actions = q.add_subparsers(dest="action", metavar=h("meta_action"), required=False)
    show = actions.add_parser(
        "show", help=h("help_quarantine_show"), description=h("help_quarantine_show"), lang=lang
    )
    show.add_argument("key", metavar="ID", help=h("help_quarantine_id"))
    retry = actions.add_parser(
        "retry", help=h("help_quarantine_retry"), description=h("help_quarantine_retry"),
        lang=lang,
    )
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", metavar="ID", help=h("help_quarantine_id"))
    which.add_argument("--all", action="store_true", help=h("help_quarantine_all"))
    retry.add_argument(
        "--wait", type=float, default=300.0, metavar=h("meta_seconds"), help=h("help_wait")
    )
    for action in (show, retry):
        # SUPPRESS: given before the action (`quarantine --source S show ID`), they stay.
        action.add_argument(
            "--source", default=argparse.SUPPRESS, metavar=h("meta_source"),
            help=h("help_quarantine_source"),
        )
        action.add_argument(
            "--format", choices=["table", "json"], default=argparse.SUPPRESS,
            help=h("help_format", default="table"),
        )


def _date_type(lang: str) -> Callable[[str], datetime]:
    def date(text: str) -> datetime:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                pass
        raise argparse.ArgumentTypeError(t("err_date", lang, value=repr(text)))

    return date


def _lang_flag(argv: Sequence[str]) -> str | None:
    """The language `--lang` asks for, read before parsing: the parser's own help texts are
    written in it. The last one counts, as for argparse; a value argparse would refuse is
    left to argparse to refuse."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found if found in LANGS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        lang = choose_lang(_lang_flag(argv), os.environ)
    except LangError as exc:
        # No language is known yet: say it in both.
        for each in LANGS:
            print(f"{t('err', each)}: {exc.message(each)}", file=sys.stderr)
        return 2
    args = _parser(argv, lang).parse_args(argv)
    args.lang = args.lang or lang
    quiet = args.command in ("status", "logs", "quarantine", "prune") or (
        args.command in ("sync", "validate", "reconcile") and not args.verbose
    )
    setup_logging(args.verbose, quiet_console=quiet)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(t("interrupted", args.lang), file=sys.stderr)
        return 130


def _config(args: argparse.Namespace) -> Config:
    from sync.config import find_config, load_config

    config = load_config(find_config(args.config))
    add_file_log(config.log_dir)
    return config


def _error(key: str, detail: object, lang: str) -> None:
    """An error on stderr: its frame (`err`, `err_config`...) in the admin's language, then
    its detail, which may come from a deeper module in English."""
    if isinstance(detail, BaseException):
        detail = error_text(detail, lang)
    print(f"{t(key, lang)}: {detail}", file=sys.stderr)


# sync.runner, sync.reconcile and sync.sample open each part of an error with its kind, in
# English in both languages ("source: …; national API unavailable: …"): the frame each kind
# gets.
_ERROR_KINDS = {
    "configuration": "err_config",
    "source": "err_source",
    "state database": "err_state",
    "internal error": "err_internal",
    "not found": "err_not_found",  # `sync --record` ids the source does not have
    "national API": "err_national",
    "national API refused our credentials": "err_national_auth",
    "national API unavailable": "err_national_unavailable",  # sync.breaker's words
    "national API failing": "err_national_failing",
}


def _run_error(text: str, lang: str, text_vi: str | None = None) -> str:
    """The error of a run, a reconciliation or a sample in `lang`: `text_vi`, the same error
    in Vietnamese, when there is one (a run recorded before it was kept has none: then its
    English); each part framed by its kind, and a first part without one framed as an error."""
    if lang != "en" and text_vi:
        text = text_vi
    first, *more = text.split("; ")
    framed = _framed(first, lang)
    return "; ".join([framed or f"{t('err', lang)}: {first}",
                      *(_framed(part, lang) or part for part in more)])


def _framed(part: str, lang: str) -> str | None:
    """One part of an error, its kind said in `lang`; None when it opens with no kind."""
    kind, _, detail = part.partition(": ")
    return f"{t(_ERROR_KINDS[kind], lang)}: {detail}" if kind in _ERROR_KINDS else None


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Configuration and state errors end the command with their message and exit code 2."""

    def wrapper(args: argparse.Namespace) -> int:
        from sync.config import ConfigError
        from sync.state.db import StateError

        try:
            return int(fn(args))
        except ConfigError as exc:
            _error("err_config", exc.text(args.lang), args.lang)
        except StateError as exc:
            _error("err_state", exc, args.lang)
        return 2

    return wrapper


@_guard
def cmd_daemon(args: argparse.Namespace) -> int:
    import scheduler

    config = _config(args)
    lang = args.lang

    def say(key: str, **values: object) -> None:
        print(t(key, lang, **values), flush=True)

    return scheduler.run_daemon(config, say=say)


@_guard
def cmd_sync(args: argparse.Namespace) -> int:
    from sync.runner import ExitCode, run_source

    lang = args.lang
    config = _config(args)
    names = args.sources or [s.name for s in config.sources.values() if s.enabled]
    for n in names:
        config.source(n)  # unknown names fail before anything runs
    if not names:
        _error("err", t("sync_none_enabled", lang, path=config.path), lang)
        return 2
    if args.records and len(args.sources) != 1:
        _error("err", t("sync_record_one_source", lang), lang)
        return 2
    # A date is a day on the province's clock, as `logs --since` reads it.
    since = args.since.replace(tzinfo=ZoneInfo(config.timezone)) if args.since else None
    worst = ExitCode.OK
    for name in names:
        progress = Progress(name, lang=lang)
        result = run_source(
            str(config.path),
            name,
            "manual",
            full=args.full,
            dry_run=args.dry_run,
            wait=args.wait,
            progress=progress,
            config=config,
            allow_mass_delete=args.allow_mass_delete,
            since=since,
            records=args.records,
            remap=args.remap,
        )
        progress.done()
        counts = counts_text(dict(result.counts), lang)
        if args.dry_run:
            print(t("sync_plan", lang, source=name, counts=counts))
            _print_plan(result.planned, lang)
        else:
            status = word("status", result.status.value, lang)
            key = "sync_result" if result.run_id is not None else "sync_result_no_run"
            print(t(key, lang, source=name, status=status, run=result.run_id, counts=counts))
        if result.error:
            print(f"  {_run_error(result.error, lang, result.error_vi)}")
        elif result.not_found:  # a dry run records no error
            print(f"  {t('err_not_found', lang)}: {', '.join(result.not_found)}")
        if args.remap and not result.counts.get("remapped") and not result.error:
            print(f"  {t('sync_remap_none', lang, source=name)}")
        worst = max(worst, result.exit_code)
    return int(worst)


def _print_plan(planned: list[Any], lang: str) -> None:
    rows = [
        (word("action", p.action, lang), p.local_id, _why(p, lang), place_in(p.where, lang))
        for p in planned
    ]
    if rows:
        headers = ["col_action", "col_record", "col_why", "col_where"]
        table(rows, [t(h, lang) for h in headers])


def _why(planned: Any, lang: str) -> str:
    """A dry run's reason (sync.extract writes it in English) in `lang`: its fixed phrases
    and "changed: <fields>"; a held record's reasons are its problems, in `lang`."""
    if planned.problems:
        return "; ".join(p.message(lang) for p in planned.problems)
    reason = planned.reason
    fields = reason.removeprefix("changed: ")
    if fields != reason:
        return t("why_changed", lang, fields=fields)
    return word("why", reason, lang)


@_guard
def cmd_reconcile(args: argparse.Namespace) -> int:
    from sync.reconcile import reconcile

    config = _config(args)
    config.source(args.source)  # an unknown name fails before anything is read
    result = reconcile(
        config,
        args.source,
        repair=args.repair,
        allow_mass_delete=args.allow_mass_delete,
        wait=args.wait,
    )
    if args.format == "json":
        as_json(result.to_dict())
    else:
        _print_reconciliation(result, args.lang)
    return result.exit_code


_SHOWN_DIFFERENCES = 50


def _print_reconciliation(r: Any, lang: str) -> None:
    if r.compared:
        if r.differences:
            kinds = ", ".join(f"{word('diff', k, lang)} {n}" for k, n in r.by_kind().items() if n)
            verdict = t("reconcile_differ", lang, n=len(r.differences), kinds=kinds)
        else:
            verdict = t("reconcile_agree", lang)
        print(
            t(
                "reconcile_summary",
                lang,
                source=r.source,
                national=r.national,
                expected=r.expected,
                verdict=verdict,
            )
        )
        rows = [
            (word("diff", d.kind, lang), d.local_id, word("diffwhy", d.reason, lang))
            for d in r.differences[:_SHOWN_DIFFERENCES]
        ]
        if rows:
            headers = ["col_difference", "col_record", "col_why"]
            table(rows, [t(h, lang) for h in headers])
        more = len(r.differences) - len(rows)
        if more:
            print(t("reconcile_more", lang, n=more))
    if r.run_id is not None:
        status = word("status", r.run_status, lang)
        counts = counts_text(r.counts, lang)
        print(t("reconcile_repaired", lang, run=r.run_id, status=status, counts=counts))
    if r.kept:
        print(t("reconcile_kept", lang, n=len(r.kept), source=r.source))
    if r.blocked:
        print(t("reconcile_blocked", lang, n=r.blocked, source=r.source))
    elif r.error:
        print(_run_error(r.error, lang, r.error_vi), file=sys.stderr)
    if r.compared and not r.repair:
        if r.differences:
            print(t("reconcile_hint", lang, source=r.source))
        print(t("reconcile_nothing", lang))


@_guard
def cmd_check(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sync.sample import sample_source

    config = _config(args)
    result = sample_source(config, args.source, limit=args.limit)
    if args.format == "json":
        as_json(asdict(result) | {"valid": result.valid})
    else:
        _print_sample(result, args.lang)
    if result.error:
        return 2
    return 0 if result.valid == len(result.records) else 1


def _print_sample(result: Any, lang: str) -> None:
    import json

    if result.missing_columns:
        print(t("check_missing_columns", lang, columns=", ".join(result.missing_columns)))
    for r in result.records:
        if r.deleted:
            state = t("check_deleted", lang)
        elif r.problems:
            state = t("check_problems", lang, n=len(r.problems))
        else:
            state = t("check_ok", lang)
        print(f"── {r.record_id or t('check_no_id', lang)} — {place_in(r.where, lang)} — {state}")
        if not r.deleted:
            print(json.dumps(r.record, ensure_ascii=False, indent=2, sort_keys=True))
        for field, was in r.originals.items():
            encoding = ENCODING_NAMES.get(was["encoding"], was["encoding"])
            print("  ↺ " + t("check_converted", lang, field=field, value=was["value"],
                             encoding=encoding))
        for p in r.problems:
            print(f"  ✗ {_problem_text(p, lang)}")
    read, valid = len(result.records), result.valid
    print(t("check_summary", lang, source=result.source, read=read, valid=valid))
    if result.error:
        print(_run_error(result.error, lang, result.error_vi), file=sys.stderr)


@_guard
def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sync.quality import ReportPathError, collect, report_writer

    lang = args.lang
    target = Path(args.report) if args.report else None
    config = _config(args)
    try:
        writer = None
        if target:
            # The source's own file (a spreadsheet's `path`) must never be written over.
            own = config.source(args.source).connector.get("path")
            mine = [config.base_dir / Path(str(own)).expanduser()] if own else []
            writer = report_writer(target, mine)
    except ReportPathError as exc:
        _error("err", exc.message(lang), lang)
        return 2
    report = collect(config, args.source)
    if report.error and not report.read:
        # Nothing was read: a report file would only look like a source without problems.
        _error(report.error_kind, report.error_detail(lang), lang)
        return 2
    if writer is not None and target is not None:
        try:
            writer(report, target, lang)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            _error("err", t("validate_write", lang, path=target, reason=reason), lang)
            return 2
    _print_quality(report, lang, problems=0 if target else _SHOWN_PROBLEMS)
    if target is not None:
        print(t("validate_written", lang, path=target))
    if report.error:
        # The report's `error_kind` ("err_source", "err_config") is also the key of its frame.
        _error(report.error_kind, report.error_detail(lang), lang)
    return report.exit_code


_SHOWN_PROBLEMS = 20


def _print_quality(report: Any, lang: str, *, problems: int) -> None:
    from sync.quality.layout import SUMMARY_COLUMNS, headings, place, summary_cells
    from sync.quality.texts import share_text
    from sync.quality.texts import t as report_t

    if not report.read:
        print(f"{report.source}: {report_t('no_records', lang)}")
        return
    print(
        t(
            "validate_counts",
            lang,
            source=report.source,
            read=report.read,
            accepted=report.accepted,
            share=share_text(report.share, lang),
            rejected=report.rejected,
        )
    )
    for note in report.notes(lang, error=False):
        print(note.text)
    kinds = report.summary()
    if kinds:
        print()
        print(report_t("summary", lang) + ":")
        # The example is for the files; on a terminal the problems follow.
        table([summary_cells(k, lang)[:4] for k in kinds], headings(SUMMARY_COLUMNS, lang)[:4])
    if problems and report.problems:
        print()
        print(t("validate_first", lang))
        shown = report.sorted_problems()[:problems]
        for p in shown:
            print(f"  {place(p, lang)}: {p.message(lang)}")
        more = len(report.problems) + report.omitted - len(shown)
        if more:
            print(t("validate_more", lang, n=more))
    print(t("validate_nothing", lang))


@_guard
def cmd_status(args: argparse.Namespace) -> int:
    import scheduler
    from sync.logbook import source_status
    from sync.runner import open_state

    lang = args.lang
    config = _config(args)
    db = open_state(config)
    try:
        upcoming = scheduler.next_runs(config, db)
        rows = []
        for r in localize(source_status(db, list(config.sources)), config.timezone):
            src = config.sources[r["source"]]
            nxt = upcoming.get(r["source"])
            last_status = r["last_status"]
            rows.append(
                (
                    r["source"],
                    t("yes" if src.enabled else "no", lang),
                    src.schedule.describe() if src.schedule else t("status_manual", lang),
                    r["last_run"] or "-",
                    word("status", last_status, lang) if last_status else t("status_never", lang),
                    r["last_started"] or "",
                    counts_text(
                        {
                            k: v
                            for k, v in r["last_counts"].items()
                            if k
                            in ("fetched", "created", "updated", "invalid", "rejected", "failed")
                        },
                        lang,
                    ),
                    localize(nxt, config.timezone) if nxt else "-",
                    r["pending"],
                    r["quarantined"],
                    r["dead"],
                )
            )
        headers = [
            "col_source",
            "col_enabled",
            "col_schedule",
            "col_last_run",
            "col_outcome",
            "col_started",
            "col_counts",
            "col_next_run",
            "col_pending",
            "col_quarantined",
            "col_dead",
        ]
        table(rows, [t(h, lang) for h in headers])
    finally:
        db.dispose()
    return 0


@_guard
def cmd_logs(args: argparse.Namespace) -> int:
    from sync.logbook import run_detail, runs
    from sync.runner import open_state

    lang = args.lang
    config = _config(args)
    db = open_state(config)
    try:
        if args.run_id is not None:
            detail = localize(run_detail(db, args.run_id), config.timezone)
            if detail is None:
                _error("err", t("logs_no_run", lang, run=args.run_id), lang)
                return 2
            return _print_run(detail, args.format, lang)
        since = args.since.replace(tzinfo=ZoneInfo(config.timezone)) if args.since else None
        rows = localize(
            runs(db, source=args.source, since=since, status=args.status, limit=args.limit),
            config.timezone,
        )
        if args.format == "json":
            as_json(rows)
        elif args.format == "csv":
            as_csv([{**r, "counts": counts_text(r["counts"], "en")} for r in rows])
        else:
            headers = [
                "col_run",
                "col_source",
                "col_trigger",
                "col_status",
                "col_started",
                "col_finished",
                "col_counts",
                "col_error",
            ]
            table(
                [
                    (
                        r["run"],
                        r["source"],
                        word("trigger", r["trigger"], lang),
                        word("status", r["status"], lang),
                        r["started_at"],
                        r["finished_at"],
                        counts_text(r["counts"], lang),
                        _run_error(r["error"], lang, r["error_vi"]) if r["error"] else "",
                    )
                    for r in rows
                ],
                [t(h, lang) for h in headers],
            )
    finally:
        db.dispose()
    return 0


def _problem_text(p: dict[str, Any], lang: str) -> str:
    message = str(p.get(f"message_{lang}") or p.get("message_vi", ""))
    where = ""
    field = p.get("source_field")
    if field and str(field) not in message:  # mapping messages name their column already
        column = f", {p['column']}" if p.get("column") else ""
        where = f" [{t('column', lang)} {field}{column}]"
    # A problem of the whole record (the national side's) has no field to name.
    head = ": ".join(str(x) for x in (p.get("path"), p.get("code")) if x)
    return f"{head}: {message}{where}" if head else f"{message}{where}"


def _print_run(detail: dict[str, Any], fmt: str, lang: str) -> int:
    if fmt == "json":
        as_json(detail)
        return 0
    if fmt == "csv":
        as_csv([{k: v for k, v in r.items()} for r in detail["records"]])
        return 0
    print(
        t(
            "logs_run",
            lang,
            run=detail["run"],
            source=detail["source"],
            trigger=word("trigger", detail["trigger"], lang),
            status=word("status", detail["status"], lang),
            started=detail["started_at"],
            finished=detail["finished_at"] or "…",
        )
    )
    print(t("logs_counts", lang, counts=counts_text(detail["counts"], lang)))
    if detail["error"]:
        print(_run_error(detail["error"], lang, detail["error_vi"]))
    rows = []
    for r in detail["records"]:
        problems = r["problems"] or []
        rows.append(
            (
                word("outcome", r["outcome"], lang),
                r["local_id"] or r["record_id"],
                place_in(r["where"], lang),
                _problem_text(problems[0], lang) if problems else "",
            )
        )
        rows.extend(("", "", "", _problem_text(p, lang)) for p in problems[1:])
    if rows:
        headers = ["col_outcome", "col_record", "col_where", "col_problems"]
        table(rows, [t(h, lang) for h in headers])
    else:
        print(t("logs_empty", lang))
    return 0


@_guard
def cmd_quarantine(args: argparse.Namespace) -> int:
    from sync.logbook import quarantine
    from sync.runner import open_state

    if args.action is not None:
        return _held_action(args)
    lang = args.lang
    config = _config(args)
    db = open_state(config)
    try:
        items = localize(quarantine(db, source=args.source), config.timezone)
    finally:
        db.dispose()
    if args.format == "json":
        as_json(items)
    elif args.format == "csv":
        as_csv(items)
    elif not items:
        print(t("quarantine_empty", lang))
    else:
        rows = []
        for i in items:
            ps = i["problems"] or [{}]
            rows.append(
                (
                    i["source"],
                    i["local_id"] or i["record_id"],
                    word("reason", i["reason"], lang),
                    place_in(i["where"], lang),
                    i["since"],
                    _problem_text(ps[0], lang),
                )
            )
            rows.extend(("", "", "", "", "", _problem_text(p, lang)) for p in ps[1:])
        headers = [
            "col_source",
            "col_record",
            "col_reason",
            "col_where",
            "col_since",
            "col_problems",
        ]
        table(rows, [t(h, lang) for h in headers])
    return 0


def _held_action(args: argparse.Namespace) -> int:
    """`quarantine show ID` and `quarantine retry ID|--all`."""
    from sync.quarantine import Ambiguous, NotHeld, retry, show
    from sync.runner import open_state

    lang = args.lang
    config = _config(args)
    db = open_state(config)
    try:
        if args.action == "show":
            held = localize(show(db, args.key, args.source), config.timezone)
            if args.format == "json":
                as_json(held)
            else:
                _print_held(held, lang)
            return 0
        results = retry(config, db, None if args.all else args.key, source=args.source,
                        wait=args.wait)
    except NotHeld as exc:
        where = t("quarantine_in_source", lang, source=exc.source) if exc.source else ""
        _error("err", t("quarantine_not_held", lang, record=exc.key, where=where), lang)
        return 2
    except Ambiguous as exc:
        found = ", ".join(f"{src} {key}" for src, key in exc.candidates)
        _error("err", t("quarantine_ambiguous", lang, record=exc.key, found=found), lang)
        return 2
    finally:
        db.dispose()
    return _print_retried(results, args.format, lang)


def _print_held(h: dict[str, Any], lang: str) -> None:
    import json

    print(t("held_title", lang, record=h["key"], source=h["source"],
            reason=word("reason", h["reason"], lang)))
    if h["where"]:
        print(t("held_where", lang, where=place_in(h["where"], lang)))
    print(t("held_attempts", lang, since=h["held_since"], last=h["last_failed"],
            n=h["attempts"], run=h["run"]))
    if h["last_read"]:
        print(t("held_read", lang, first=h["first_read"], last=h["last_read"]))
    if h["queued"]:
        q = h["queued"]
        print(t("held_queued", lang, since=q["since"], n=q["attempts"]))
        if q["last_error"]:
            print(f"    {q['last_error']}")
    if h["problems"]:
        print(t("held_problems", lang))
        for p in h["problems"]:
            line = _problem_text(p, lang)
            value = p.get("value")
            if value not in (None, "") and str(value) not in line:  # most messages quote it
                line += t("held_value", lang, value=value)
            print(f"  ✗ {line}")
    for column, was in h["originals"].items():
        encoding = ENCODING_NAMES.get(was["encoding"], was["encoding"])
        print("  ↺ " + t("check_converted", lang, field=column, value=was["value"],
                         encoding=encoding))
    raw = h["raw"]
    if raw is None:
        print(t("held_no_raw", lang, source=h["source"]))
    else:
        print(t("held_raw", lang, at=raw["fetched_at"], run=raw["run"]))
        text = json.dumps(raw["payload"], ensure_ascii=False, indent=2)
        print("\n".join("  " + line for line in text.splitlines()))
    if h["runs"]:
        print(t("held_runs", lang))
        rows = [
            (e["run"], word("trigger", e["trigger"], lang), e["at"],
             word("outcome", e["outcome"], lang), e["problems"] or "")
            for e in h["runs"]
        ]
        headers = ["col_run", "col_trigger", "col_at", "col_outcome", "col_problem_count"]
        table(rows, [t(k, lang) for k in headers])
    if h["reason"] != "invalid" or h["raw"] is not None:
        print(t("held_retry_hint", lang, record=h["key"], source=h["source"]))


def _print_retried(results: list[Any], fmt: str, lang: str) -> int:
    from dataclasses import asdict

    if fmt == "json":
        as_json([asdict(r) | {"status": r.status.value} for r in results])
    elif not results:
        print(t("quarantine_empty", lang))
    else:
        for r in results:
            _print_one_retry(r, lang)
    worst = 0
    for r in results:
        worst = max(worst, 2 if r.error else 1 if r.counts.get("invalid") else 0)
    return worst


def _print_one_retry(r: Any, lang: str) -> None:
    if r.error:
        print(f"{r.source}: {_run_error(r.error, lang, r.error_vi)}")
        return
    status = word("status", r.status.value, lang)
    print(t("retry_result", lang, source=r.source, n=len(r.keys), status=status, run=r.run_id,
            counts=counts_text(r.counts, lang)))
    if r.counts.get("queued"):
        print("  " + t("retry_next", lang, source=r.source))
    if r.not_kept:
        print("  " + t("retry_not_kept", lang, n=len(r.not_kept), source=r.source))


@_guard
def cmd_prune(args: argparse.Namespace) -> int:
    from sync.retention import prune
    from sync.runner import open_state

    lang = args.lang
    config = _config(args)
    db = open_state(config)
    try:
        pruned = prune(db, config.retention, dry_run=args.dry_run)
    finally:
        db.dispose()
    if args.format == "json":
        as_json(localize(pruned.to_dict(), config.timezone))
        return 0
    key = "prune_plan" if args.dry_run else "prune_done"
    print(t(key, lang, runs=pruned.runs, events=pruned.events, raw=pruned.raw,
            runs_days=config.retention.runs_days, raw_days=config.retention.raw_days))
    return 0


def cmd_national_sim(args: argparse.Namespace) -> int:
    from national_sim.cli import run

    return run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from stisync.demo import run_demo

    return run_demo(args)


_COMMANDS = {
    "daemon": cmd_daemon,
    "check": cmd_check,
    "validate": cmd_validate,
    "sync": cmd_sync,
    "reconcile": cmd_reconcile,
    "status": cmd_status,
    "logs": cmd_logs,
    "quarantine": cmd_quarantine,
    "prune": cmd_prune,
    "national-sim": cmd_national_sim,
    "demo": cmd_demo,
}

if __name__ == "__main__":
    sys.exit(main())
