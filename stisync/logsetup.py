"""Where log lines go: the terminal, and a rotating file in the configured log folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(verbosity: int = 0, *, quiet_console: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for h in list(root.handlers):
        root.removeHandler(h)
    console = logging.StreamHandler()
    level = logging.WARNING if quiet_console else logging.INFO
    if verbosity >= 1:
        level = logging.DEBUG if verbosity >= 2 else logging.INFO
    console.setLevel(level)
    console.setFormatter(
        logging.Formatter("%(levelname)s %(message)s" if quiet_console else FORMAT)
    )
    root.addHandler(console)
    # APScheduler tells of each job it adds and of its own start; stisync says which sources
    # run when, and the misfires and errors APScheduler warns of still show.
    for noisy in ("urllib3", "apscheduler.executors", "apscheduler.scheduler", "waitress",
                  "alembic.runtime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def add_file_log(log_dir: Path) -> Path | None:
    """Log everything at INFO and above to log_dir/stisync.log (rotated at 10 MB, 10 kept)."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "stisync.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=10_000_000, backupCount=10, encoding="utf-8", delay=True
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs to %s: %s", log_dir, exc)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.getLogger().addHandler(handler)
    return path
