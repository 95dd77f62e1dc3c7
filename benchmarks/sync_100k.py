"""Sync N generated task records from a CSV to the national simulator and print records per
second and peak memory, for the first sync and for a re-sync with nothing changed.

    python benchmarks/sync_100k.py                 # 100,000 records
    python benchmarks/sync_100k.py --records 20000 --records 100000   # memory must not grow with N

Each sync runs in its own process so that its peak memory (max RSS) is its own; the simulator
runs in another process too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, describe_sync, national_sim, run_sync, write_config

SOURCE = """
[sources.bench]
kind = "spreadsheet"
mapping = "mapping.toml"
connector = { path = "tasks.csv", id_column = "Mã số" }
"""


def write_source(folder: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT))
    from stisync.demo_data import CSV_MAPPING, make_tasks, write_csv

    write_csv(folder / "tasks.csv", make_tasks("BM", n, seed=7))
    (folder / "mapping.toml").write_text(CSV_MAPPING.format(namespace="bench"), encoding="utf-8")


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="stisync-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_source(folder, n)
        print(
            f"\n{n:,} records: CSV written in {time.perf_counter() - t:.1f} s "
            f"({(folder / 'tasks.csv').stat().st_size / 1e6:.1f} MB)"
        )
        with national_sim(folder) as url:
            config = write_config(folder, url, SOURCE)
            for label in ("first sync", "no-change re-sync"):
                print(describe_sync(label, n, run_sync(config, "bench")))


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
