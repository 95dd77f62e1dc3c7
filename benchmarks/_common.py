"""What the sync benchmarks share: the national simulator in its own process, a config file
pointing at it, and a sync run in a child process that reports its own time and peak memory.

Each measured step runs in a process of its own so that its peak memory is its own,
not that of the writer of the test data or of the simulator.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET, PROVINCE = "bench", "bench-secret", "52"

# Peak memory of the measuring process itself. On Linux ru_maxrss is carried across fork and
# exec, so a child would report its parent's peak (the benchmark that generated the test data)
# whenever that was higher: VmHWM is the high-water mark of this process's own memory.
PEAK_MB = """
def peak_mb():
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

SYNC_CHILD = (
    PEAK_MB
    + """
import json, resource, sys, time
from sync.runner import run_source
t = time.perf_counter()
r = run_source(sys.argv[1], sys.argv[2], "manual")
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"status": r.status.value, "counts": dict(r.counts), "seconds": elapsed,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mb": peak_mb(), "error": r.error}))
"""
)


def child_env() -> dict[str, str]:
    """The environment of a child process: the project importable, no stray config."""
    env = {k: v for k, v in os.environ.items() if k not in ("STISYNC_CONFIG", "STISYNC_STATE_URL")}
    return env | {"PYTHONPATH": str(ROOT)}


def run_child(code: str, *args: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter with `args`; its last line of output, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,  # its error output is shown below, not a CalledProcessError
        env=child_env(),
    )
    if out.returncode != 0:
        raise SystemExit(f"the measured process failed (exit {out.returncode}):\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def national_sim(folder: Path) -> Iterator[str]:
    """The simulator serving from `folder / "national"` in its own process; yields its API URL.
    The client credential is CLIENT_ID / CLIENT_SECRET, for PROVINCE."""
    import requests

    port = free_port()
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stisync",
            "national-sim",
            "--port",
            str(port),
            "--data",
            str(folder / "national"),
            "--client",
            f"{CLIENT_ID}:{CLIENT_SECRET}:{PROVINCE}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=child_env(),
    )
    try:
        url = f"http://127.0.0.1:{port}/api"
        for _ in range(100):
            try:
                requests.get(f"{url}/v1/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)  # the simulator is still starting
        else:
            raise SystemExit(f"the national simulator did not start on port {port}")
        yield url
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def write_config(folder: Path, national_url: str, source: str) -> Path:
    """A config in `folder` with SQLite state, the simulator, and `source` (a TOML
    `[sources.NAME]` table, with its connector) as the one source."""
    (folder / "secret").write_text(CLIENT_SECRET, encoding="utf-8")
    config = folder / "stisync.toml"
    config.write_text(
        f"""
province = "{PROVINCE}"
state_url = "sqlite:///state.sqlite"
log_dir = "logs"
[national]
url = "{national_url}"
client_id = "{CLIENT_ID}"
client_secret_file = "secret"
batch_size = 200
{source}""",
        encoding="utf-8",
    )
    return config


def run_sync(config: Path, source: str) -> dict[str, Any]:
    """One `run_source` of `source` in its own process: status, counts, seconds, peak_mb."""
    return run_child(SYNC_CHILD, str(config), source)


def describe_sync(label: str, records: int, r: dict[str, Any]) -> str:
    """One line: what a sync run did, how fast, its own CPU time (the rest of the wall time is
    mostly the simulator's, in its own process), and its peak memory."""
    counts = r["counts"]
    seconds = float(r["seconds"])
    return (
        f"  {label:18s} {r['status']:9s} {seconds:7.1f} s  {records / seconds:8,.0f} records/s  "
        f"(cpu {float(r['cpu_seconds']):.1f} s)  "
        f"peak {float(r['peak_mb']):6.1f} MB  created {counts.get('created', 0):,} "
        f"unchanged {counts.get('unchanged', 0):,}"
        + (f"  error: {r['error']}" if r["error"] else "")
    )
