"""The `stisync` command: daemon, sync, check, validate, status, logs, quarantine, national-sim,
demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sync.config import Config

from stisync import __version__
from stisync.logsetup import add_file_log, setup_logging
from stisync.output import Progress, as_csv, as_json, counts_text, localize, table

logger = logging.getLogger("stisync")
# The languages of `validate` (sync.quality.texts.LANGS), named here so that every start of
# the command does not import the report writers.
LANGS = ("vi", "en")


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stisync",
        description="Sync a province's S&T task records to the national S&T database.",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $STISYNC_CONFIG, then ./stisync.toml)",
    )
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    p.add_argument(
        "--lang",
        choices=LANGS,
        default="vi",
        help="language of the messages of `validate` and of its report (default vi); the other "
        "commands print English",
    )
    p.add_argument("--version", action="version", version=f"stisync {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser(
        "daemon", help="run the scheduler in the foreground (for systemd or a Windows service)"
    )

    s = sub.add_parser("sync", help="sync sources now")
    s.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="sources to sync (default: all enabled)"
    )
    s.add_argument(
        "--full",
        action="store_true",
        help="read every record, not only those changed since the last run",
    )
    s.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be created or updated, and why; send nothing",
    )
    s.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="when the daemon is syncing the same source, wait this long for it (default 300)",
    )
    s.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let this run withdraw more than the source's mass_delete_share of its records",
    )
    s.add_argument(
        "--no-wait",
        dest="wait",
        action="store_const",
        const=0.0,
        help="refuse at once when the source is being synced",
    )

    ck = sub.add_parser(
        "check",
        help="read a sample of a source, map and validate it, show it as it would be sent; "
        "writes nothing",
    )
    ck.add_argument("source", metavar="SOURCE")
    ck.add_argument("--limit", type=int, default=5, help="records to read (default 5)")
    ck.add_argument("--format", choices=["text", "json"], default="text")

    va = sub.add_parser(
        "validate",
        help="read all of a source, map and validate every record, and report each problem "
        "where the data's owner can fix it; writes nothing else",
    )
    va.add_argument("source", metavar="SOURCE")
    va.add_argument(
        "--report",
        metavar="FILE",
        help="write the report to FILE: .xlsx, .html or .csv (default: print it)",
    )
    # SUPPRESS: without it here, the global --lang given before the command would be reset.
    va.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help="vi (default) or en")

    sub.add_parser(
        "status",
        help="per source: last run, outcome, next scheduled run, pending and quarantined records",
    )

    lg = sub.add_parser(
        "logs", help="sync runs, or with RUN_ID the outcome of each record of one run"
    )
    lg.add_argument("run_id", nargs="?", type=int, metavar="RUN_ID")
    lg.add_argument("--source")
    lg.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="runs started on or after DATE (YYYY-MM-DD or dd/mm/yyyy)",
    )
    lg.add_argument(
        "--status", choices=["running", "succeeded", "partial", "failed", "interrupted", "crashed"]
    )
    lg.add_argument("--format", choices=["table", "json", "csv"], default="table")
    lg.add_argument("--limit", type=int, default=50)

    q = sub.add_parser("quarantine", help="records held back, and why")
    q.add_argument("--source")
    q.add_argument("--format", choices=["table", "json", "csv"], default="table")

    sim = sub.add_parser("national-sim", help="serve the national API simulator on loopback")
    if "national-sim" in argv:
        # Only then: the simulator's imports (Flask, its store) cost a second at every start.
        from national_sim.cli import add_arguments as sim_arguments

        sim_arguments(sim)

    d = sub.add_parser("demo", help="set up a demo (config, sample data, simulator) and sync it")
    d.add_argument("--dir", default="stisync-demo", help="demo folder (default ./stisync-demo)")
    d.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the simulator and the daemon running until Ctrl+C",
    )
    return p


def _date(text: str) -> datetime:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD or dd/mm/yyyy)")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser(argv).parse_args(argv)
    quiet = args.command in ("status", "logs", "quarantine") or (
        args.command in ("sync", "validate") and not args.verbose
    )
    setup_logging(args.verbose, quiet_console=quiet)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _config(args: argparse.Namespace) -> Config:
    from sync.config import find_config, load_config

    config = load_config(find_config(args.config))
    add_file_log(config.log_dir)
    return config


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Configuration and state errors end the command with their message and exit code 2."""

    def wrapper(args: argparse.Namespace) -> int:
        from sync.config import ConfigError
        from sync.state.db import StateError

        try:
            return int(fn(args))
        except (ConfigError, StateError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return wrapper


@_guard
def cmd_daemon(args: argparse.Namespace) -> int:
    import scheduler

    config = _config(args)
    return scheduler.run_daemon(config)


@_guard
def cmd_sync(args: argparse.Namespace) -> int:
    from sync.runner import ExitCode, run_source

    config = _config(args)
    names = args.sources or [s.name for s in config.sources.values() if s.enabled]
    for n in names:
        config.source(n)  # unknown names fail before anything runs
    if not names:
        print(f"error: {config.path}: no enabled source to sync", file=sys.stderr)
        return 2
    worst = ExitCode.OK
    for name in names:
        progress = Progress(name)
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
        )
        progress.done()
        if args.dry_run:
            _print_plan(result)
        else:
            counts = counts_text(dict(result.counts))
            line = f"{name}: {result.status.value} (run {result.run_id}): {counts}"
            print(line)
        if result.error:
            print(f"  {result.error}")
        worst = max(worst, result.exit_code)
    return int(worst)


def _print_plan(result: Any) -> None:
    print(f"{result.source}: dry run, nothing sent: {counts_text(dict(result.counts))}")
    rows = [(p.action, p.local_id, p.reason, p.where) for p in result.planned]
    if rows:
        table(rows, ["action", "record", "why", "where"])


@_guard
def cmd_check(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sync.sample import sample_source

    config = _config(args)
    result = sample_source(config, args.source, limit=args.limit)
    if args.format == "json":
        as_json(asdict(result) | {"valid": result.valid})
    else:
        _print_sample(result)
    if result.error:
        return 2
    return 0 if result.valid == len(result.records) else 1


def _print_sample(result: Any) -> None:
    import json

    if result.missing_columns:
        missing = ", ".join(result.missing_columns)
        print(f"columns named in the mapping but not in the source: {missing}")
    for r in result.records:
        state = (
            "deleted"
            if r.deleted
            else ("OK" if not r.problems else f"{len(r.problems)} problem(s)")
        )
        print(f"── {r.record_id or '(no id)'} — {r.where} — {state}")
        if not r.deleted:
            print(json.dumps(r.record, ensure_ascii=False, indent=2, sort_keys=True))
        for p in r.problems:
            print(f"  ✗ {_problem_text(p)}")
    n = len(result.records)
    print(f"{result.source}: {n} record(s) read, {result.valid} valid; nothing written or sent")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    """Like `_guard`, but every message in the admin's language (`--lang`)."""
    from pathlib import Path

    from sync.config import ConfigError
    from sync.quality import ReportPathError, collect, report_writer
    from sync.quality.texts import t

    lang = args.lang
    target = Path(args.report) if args.report else None
    try:
        config = _config(args)
        writer = None
        if target:
            # The source's own file (a spreadsheet's `path`) must never be written over.
            own = config.source(args.source).connector.get("path")
            mine = [config.base_dir / Path(str(own)).expanduser()] if own else []
            writer = report_writer(target, mine)
        report = collect(config, args.source)
    except ReportPathError as exc:
        print(f"{t('err', lang)}: {exc.message(lang)}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"{t('err_config', lang)}: {exc}", file=sys.stderr)
        return 2
    if report.error and not report.read:
        # Nothing was read: a report file would only look like a source without problems.
        print(f"{t('err', lang)}: {report.error_text(lang)}", file=sys.stderr)
        return 2
    if writer is not None and target is not None:
        try:
            writer(report, target, lang)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(
                f"{t('err', lang)}: {t('err_write', lang, path=target, reason=reason)}",
                file=sys.stderr,
            )
            return 2
    _print_quality(report, lang, problems=0 if target else _SHOWN_PROBLEMS)
    if target is not None:
        print(t("cli_written", lang, path=target))
    if report.error:
        print(f"{t('err', lang)}: {report.error_text(lang)}", file=sys.stderr)
    return report.exit_code


_SHOWN_PROBLEMS = 20


def _print_quality(report: Any, lang: str, *, problems: int) -> None:
    from sync.quality.layout import SUMMARY_COLUMNS, headings, place, summary_cells
    from sync.quality.texts import share_text, t

    if not report.read:
        print(f"{report.source}: {t('no_records', lang)}")
        return
    print(
        t(
            "cli_counts",
            lang,
            source=report.source,
            read=report.read,
            accepted=report.accepted,
            share=share_text(report.share, lang),
            rejected=report.rejected,
        )
    )
    if report.deleted:
        print(t("deleted", lang, n=report.deleted))
    if report.missing_columns:
        print(t("missing_columns", lang, columns=", ".join(report.missing_columns)))
    kinds = report.summary()
    if kinds:
        print()
        print(t("summary", lang) + ":")
        # The example is for the files; on a terminal the problems follow.
        table([summary_cells(k, lang)[:4] for k in kinds], headings(SUMMARY_COLUMNS, lang)[:4])
    if problems and report.problems:
        print()
        print(t("cli_first", lang))
        shown = report.sorted_problems()[:problems]
        for p in shown:
            print(f"  {place(p, lang)}: {p.message(lang)}")
        more = len(report.problems) + report.omitted - len(shown)
        if more:
            print(t("cli_more", lang, n=more))
    print(t("cli_nothing", lang))


@_guard
def cmd_status(args: argparse.Namespace) -> int:
    import scheduler
    from sync.logbook import source_status
    from sync.runner import open_state

    config = _config(args)
    db = open_state(config)
    try:
        upcoming = scheduler.next_runs(config, db)
        rows = []
        for r in localize(source_status(db, list(config.sources)), config.timezone):
            src = config.sources[r["source"]]
            nxt = upcoming.get(r["source"])
            rows.append(
                (
                    r["source"],
                    "yes" if src.enabled else "no",
                    src.schedule.describe() if src.schedule else "manual only",
                    r["last_run"] or "-",
                    r["last_status"] or "never run",
                    r["last_started"] or "",
                    counts_text(
                        {
                            k: v
                            for k, v in r["last_counts"].items()
                            if k
                            in ("fetched", "created", "updated", "invalid", "rejected", "failed")
                        }
                    ),
                    localize(nxt, config.timezone) if nxt else "-",
                    r["pending"],
                    r["quarantined"],
                )
            )
        table(
            rows,
            [
                "source",
                "enabled",
                "schedule",
                "last run",
                "outcome",
                "started",
                "counts",
                "next run (if daemon runs)",
                "pending",
                "quarantined",
            ],
        )
    finally:
        db.dispose()
    return 0


@_guard
def cmd_logs(args: argparse.Namespace) -> int:
    from sync.logbook import run_detail, runs
    from sync.runner import open_state

    config = _config(args)
    db = open_state(config)
    try:
        if args.run_id is not None:
            detail = localize(run_detail(db, args.run_id), config.timezone)
            if detail is None:
                print(f"error: no run {args.run_id}", file=sys.stderr)
                return 2
            return _print_run(detail, args.format)
        since = args.since.replace(tzinfo=ZoneInfo(config.timezone)) if args.since else None
        rows = localize(
            runs(db, source=args.source, since=since, status=args.status, limit=args.limit),
            config.timezone,
        )
        if args.format == "json":
            as_json(rows)
        elif args.format == "csv":
            as_csv([{**r, "counts": counts_text(r["counts"])} for r in rows])
        else:
            table(
                [
                    (
                        r["run"],
                        r["source"],
                        r["trigger"],
                        r["status"],
                        r["started_at"],
                        r["finished_at"],
                        counts_text(r["counts"]),
                        r["error"] or "",
                    )
                    for r in rows
                ],
                ["run", "source", "trigger", "status", "started", "finished", "counts", "error"],
            )
    finally:
        db.dispose()
    return 0


def _problem_text(p: dict[str, Any]) -> str:
    message = str(p.get("message_vi", ""))
    where = ""
    field = p.get("source_field")
    if field and str(field) not in message:  # mapping messages name their column already
        where = f" [cột {field}{', ' + p['column'] if p.get('column') else ''}]"
    return f"{p.get('path', '')}: {p.get('code', '')}: {message}{where}"


def _print_run(detail: dict[str, Any], fmt: str) -> int:
    if fmt == "json":
        as_json(detail)
        return 0
    if fmt == "csv":
        as_csv([{k: v for k, v in r.items()} for r in detail["records"]])
        return 0
    print(
        f"run {detail['run']} of {detail['source']} ({detail['trigger']}): {detail['status']}, "
        f"{detail['started_at']} → {detail['finished_at'] or '…'}"
    )
    print(f"counts: {counts_text(detail['counts'])}")
    if detail["error"]:
        print(f"error: {detail['error']}")
    rows = []
    for r in detail["records"]:
        problems = r["problems"] or []
        rows.append(
            (
                r["outcome"],
                r["local_id"] or r["record_id"],
                r["where"] or "",
                _problem_text(problems[0]) if problems else "",
            )
        )
        rows.extend(("", "", "", _problem_text(p)) for p in problems[1:])
    if rows:
        table(rows, ["outcome", "record", "where", "problems"])
    else:
        print("no record was sent or held back in this run (unchanged records are only counted)")
    return 0


@_guard
def cmd_quarantine(args: argparse.Namespace) -> int:
    from sync.logbook import quarantine
    from sync.runner import open_state

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
        print("no record is held back")
    else:
        rows = []
        for i in items:
            ps = i["problems"] or [{}]
            rows.append(
                (
                    i["source"],
                    i["local_id"] or i["record_id"],
                    i["reason"],
                    i["where"] or "",
                    i["since"],
                    _problem_text(ps[0]),
                )
            )
            rows.extend(("", "", "", "", "", _problem_text(p)) for p in ps[1:])
        table(rows, ["source", "record", "reason", "where", "since", "problems"])
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
    "status": cmd_status,
    "logs": cmd_logs,
    "quarantine": cmd_quarantine,
    "national-sim": cmd_national_sim,
    "demo": cmd_demo,
}

if __name__ == "__main__":
    sys.exit(main())
