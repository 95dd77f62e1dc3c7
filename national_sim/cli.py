"""The `stisync national-sim` command: its options, and serving the simulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from national_sim.app import create_app
from national_sim.auth import Client, check_province_code, parse_static_token
from national_sim.context import SimConfig
from national_sim.faults import FaultConfigError, Faults
from stisync.wsgi import BackgroundServer, start_background

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8700
DEFAULT_DATA = "national-sim-data"
DEMO_PROVINCE = "52"


def _arg(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse `type` that turns the parser's ValueError into argparse's own message."""
    def convert(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    convert.__name__ = parse.__name__
    return convert


def _province(text: str) -> str:
    return check_province_code(text, what="--demo-province")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on; 0 picks a free one ({DEFAULT_PORT})")
    parser.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                        help=f"folder of the simulator's SQLite file (./{DEFAULT_DATA})")
    parser.add_argument("--client", action="append", default=[], type=_arg(Client.parse),
                        metavar="ID:SECRET:PROVINCE",
                        help="an OAuth2 client; PROVINCE '*' is national staff (repeatable)")
    parser.add_argument("--token", action="append", default=[], type=_arg(parse_static_token),
                        metavar="TOKEN:PROVINCE", help="a static bearer token (repeatable)")
    parser.add_argument("--token-ttl", type=int, default=3600, metavar="S",
                        help="lifetime of issued access tokens in seconds (3600)")
    parser.add_argument("--failure-rate", type=float, default=0.0, metavar="F",
                        help="share of requests answered 429/503 (0)")
    parser.add_argument("--retry-after", type=int, default=1, metavar="S",
                        help="Retry-After sent with those answers, in seconds (1)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="S",
                        help="seconds to wait before each answer (0)")
    parser.add_argument("--reject", action="append", default=[], metavar="ID",
                        help="a local_id always rejected as invalid (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failure draws (0)")
    parser.add_argument("--demo-province", type=_arg(_province), default=DEMO_PROVINCE,
                        metavar="CODE",
                        help="province of the demo client generated when no --client or "
                             f"--token is given ({DEMO_PROVINCE})")


def build_config(args: argparse.Namespace, out: TextIO = sys.stdout) -> SimConfig:
    """The simulator configuration the options describe; prints a generated demo credential.

    Raises FaultConfigError for a fault option out of range.
    """
    clients: tuple[Client, ...] = tuple(args.client)
    tokens = dict(args.token)
    if not clients and not tokens:
        demo = Client(f"tinh-{args.demo_province}-demo", secrets.token_urlsafe(24),
                      args.demo_province)
        clients = (demo,)
        print(f"No --client or --token given: generated the demo client {demo.client_id!r}\n"
              f"  for province {demo.province}, secret {demo.client_secret}\n"
              "In stisync.toml, use it as:\n"
              f'  province = "{demo.province}"\n'
              "  [national]\n"
              '  url = "<the URL below>"\n'
              '  auth = "oauth2"\n'
              f'  client_id = "{demo.client_id}"\n'
              '  client_secret_env = "STISYNC_NATIONAL_SECRET"\n'
              f"and before starting stisync: export STISYNC_NATIONAL_SECRET='{demo.client_secret}'",
              file=out)
    faults = Faults(failure_rate=args.failure_rate, retry_after=args.retry_after,
                    latency=args.latency, reject_ids=frozenset(args.reject), seed=args.seed)
    return SimConfig(data_dir=Path(args.data), clients=clients, static_tokens=tokens,
                     token_ttl=args.token_ttl, faults=faults)


def serve(config: SimConfig, host: str, port: int, *, out: TextIO = sys.stdout,
          wait: Callable[[BackgroundServer], None] | None = None) -> int:
    """Serve until interrupted (or until `wait` returns); 2 when the data folder cannot be
    used, 1 when the port cannot be opened."""
    try:
        app = create_app(config)
    except (OSError, SQLAlchemyError) as exc:
        print(f"error: national-sim cannot use the data folder {config.data_dir}: {exc}",
              file=sys.stderr)
        return 2
    try:
        server = start_background(app, host, port)
    except OSError as exc:
        print(f"error: national-sim cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    base = "/" + config.base_path.strip("/") if config.base_path.strip("/") else ""
    print(f"National API simulator serving on {server.url}{base} "
          f"(data in {config.data_dir.resolve()}); Ctrl+C stops it", file=out, flush=True)
    try:
        (wait or _until_interrupted)(server)
    finally:
        server.stop()
    return 0


def _until_interrupted(server: BackgroundServer) -> None:
    try:
        while server.thread.is_alive():
            server.thread.join(0.5)
    except KeyboardInterrupt:
        logger.info("national-sim interrupted, stopping")


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args)
    except FaultConfigError as exc:
        print(f"error: national-sim: {exc}", file=sys.stderr)
        return 2
    return serve(config, args.host, args.port)
