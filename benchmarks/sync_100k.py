"""Sync N generated task records from a CSV to the national simulator and print records per
second and peak memory, for the first sync and for a re-sync with nothing changed.

    python benchmarks/sync_100k.py                 # 100,000 records
    python benchmarks/sync_100k.py --records 20000 --records 100000   # memory must not grow with N

Each sync runs in its own process so that its peak memory (max RSS) is its own; the simulator
runs in another process too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYNC_CHILD = """
import json, resource, sys, time
from sync.runner import run_source
t = time.perf_counter()
r = run_source(sys.argv[1], "bench", "manual")
elapsed = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"status": r.status.value, "counts": dict(r.counts), "seconds": elapsed,
                  "peak_mb": peak_kb / 1024, "error": r.error}))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_source(folder: Path, n: int) -> None:
    sys.path.insert(0, str(HERE.parent))
    from stisync.demo_data import CSV_MAPPING, make_tasks, write_csv

    write_csv(folder / "tasks.csv", make_tasks("BM", n, seed=7))
    (folder / "mapping.toml").write_text(CSV_MAPPING.format(namespace="bench"), encoding="utf-8")


def run_sync(config: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SYNC_CHILD, str(config)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="stisync-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_source(folder, n)
        print(
            f"\n{n:,} records: CSV written in {time.perf_counter() - t:.1f} s "
            f"({(folder / 'tasks.csv').stat().st_size / 1e6:.1f} MB)"
        )
        port = _free_port()
        (folder / "secret").write_text("bench-secret", encoding="utf-8")
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
                "bench:bench-secret:52",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(HERE.parent)},
        )
        try:
            import requests

            for _ in range(100):
                try:
                    requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            config = folder / "stisync.toml"
            config.write_text(
                f"""
province = "52"
state_url = "sqlite:///state.sqlite"
[national]
url = "http://127.0.0.1:{port}/api"
client_id = "bench"
client_secret_file = "secret"
batch_size = 200
[sources.bench]
kind = "spreadsheet"
mapping = "mapping.toml"
connector = {{ path = "tasks.csv", id_column = "Mã số" }}
""",
                encoding="utf-8",
            )
            for label in ("first sync", "no-change re-sync"):
                r = run_sync(config)
                counts = r["counts"]
                assert isinstance(counts, dict)
                rate = n / float(r["seconds"])  # type: ignore[arg-type]
                print(
                    f"  {label:18s} {r['status']:9s} {float(r['seconds']):7.1f} s  "  # type: ignore[arg-type]
                    f"{rate:8,.0f} records/s  peak {float(r['peak_mb']):6.1f} MB  "  # type: ignore[arg-type]
                    f"created {counts.get('created', 0):,} unchanged {counts.get('unchanged', 0):,}"
                    + (f"  error: {r['error']}" if r["error"] else "")
                )
        finally:
            sim.terminate()
            sim.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--records", type=int, action="append", help="number of records (repeatable)")
    args = p.parse_args()
    for n in args.records or [100_000]:
        bench(n)


if __name__ == "__main__":
    main()
