"""An end-to-end set-up for tests: a config folder with a CSV, an XLSX and a REST source of
Vietnamese task records, the provincial API and the national simulator on loopback."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schemas.canonical import content_hash
from stisync.demo_data import API_MAPPING, CSV_MAPPING, make_tasks, write_csv, write_xlsx
from stisync.provincial_api import create_app as provincial_app
from stisync.wsgi import BackgroundServer, start_background
from sync.runner import RunResult, run_source
from sync.state.db import StateDB
from sync.state.models import OutboxItem, QuarantineItem, RecordState
from tests.sim_fixtures import RunningSim, running_sim

API_TOKEN = "provincial-test-token"

CONFIG = """
province = "52"
state_url = "{state_url}"
log_dir = "logs"

[national]
url = "{national_url}"
client_id = "{client_id}"
client_secret_file = "national-secret"
batch_size = {batch_size}
max_attempts = {max_attempts}
max_retry_seconds = {max_retry_seconds}

[sources.tinh-csv]
kind = "spreadsheet"
schedule = "{csv_schedule}"
mapping = "csv.toml"
{csv_extra}
connector = {{ path = "data/nhiem-vu.csv", id_column = "Mã số" }}

[sources.tinh-xlsx]
kind = "spreadsheet"
schedule = "0 2 * * *"
mapping = "xlsx.toml"
connector = {{ path = "data/danh-muc.xlsx", id_column = "Mã số" }}

[sources.tinh-api]
kind = "rest"
schedule = "0 3 * * *"
mapping = "api.toml"
[sources.tinh-api.connector]
url = "{provincial_url}/api/nhiem-vu"
auth = "bearer"
token_file = "api-token"
records_path = "data.items"
id_field = "id"
modified_field = "updated_at"
pagination = "page"
page_size = 6
since_param = "updated_since"
retries = 2
timeout = 5
"""


@dataclass
class Env:
    folder: Path
    config: Path
    state_url: str
    sim: RunningSim
    provincial: BackgroundServer
    api_app: Any

    @property
    def csv_path(self) -> Path:
        return self.folder / "data" / "nhiem-vu.csv"

    def sync(self, *sources: str, **kw: Any) -> dict[str, RunResult]:
        names = sources or ("tinh-csv", "tinh-xlsx", "tinh-api")
        kw.setdefault("trigger", "manual")
        return {n: run_source(str(self.config), n, **kw) for n in names}

    def db(self) -> StateDB:
        return StateDB(self.state_url)

    def local_hashes(self) -> dict[str, str]:
        db = self.db()
        try:
            with db.session() as s:
                return {
                    r.local_id: r.delivered_hash
                    for r in s.scalars(select(RecordState))
                    if r.delivered_hash
                }
        finally:
            db.dispose()

    def quarantine(self) -> list[QuarantineItem]:
        db = self.db()
        try:
            with db.session() as s:
                return list(s.scalars(select(QuarantineItem).order_by(QuarantineItem.record_key)))
        finally:
            db.dispose()

    def outbox(self) -> list[OutboxItem]:
        db = self.db()
        try:
            with db.session() as s:
                return list(s.scalars(select(OutboxItem)))
        finally:
            db.dispose()

    def national(self) -> dict[str, Any]:
        """local_id -> the simulator's stored task."""
        return self.sim.tasks()

    def writes(self) -> dict[str, int]:
        """local_id -> writes of it that reached the simulator (created, updated, unchanged)."""
        counts = self.sim.stats()["writes"].get(self.sim.province, {})
        return {k: c["created"] + c["updated"] + c["unchanged"] for k, c in counts.items()}

    def creates(self) -> dict[str, int]:
        counts = self.sim.stats()["writes"].get(self.sim.province, {})
        return {k: c["created"] for k, c in counts.items()}

    def remove_csv_rows(self, *record_ids: str) -> None:
        with self.csv_path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        kept = [r for r in rows if r["Mã số"] not in record_ids]
        assert len(kept) == len(rows) - len(record_ids)
        with self.csv_path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(kept)

    def edit_csv(self, record_id: str, column: str, value: str) -> None:
        with self.csv_path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        hit = [r for r in rows if r["Mã số"] == record_id]
        assert hit, record_id
        hit[0][column] = value
        with self.csv_path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


def national_hashes_match(env: Env) -> bool:
    national = env.national()
    return all(t.content_hash == content_hash(t.record) for t in national.values())


@contextmanager
def e2e_env(
    tmp_path: Path,
    state_url: str,
    *,
    batch_size: int = 10,
    max_attempts: int = 6,
    max_retry_seconds: float = 60,
    csv_schedule: str = "every 1h",
    csv_extra: str = "",
    sim_config: dict[str, Any] | None = None,
) -> Iterator[Env]:
    folder = tmp_path / "province"
    (folder / "data").mkdir(parents=True)
    write_csv(folder / "data" / "nhiem-vu.csv", make_tasks("NV", 20, seed=11, year=2023))
    tasks = make_tasks("DM", 15, seed=12, year=2024)
    unknown_level = make_tasks("DM", 16, seed=12, year=2024)[-1].row() | {"Cấp quản lý": "Cấp vùng"}
    no_title = make_tasks("DM", 17, seed=12, year=2024)[-1].row() | {"Tên nhiệm vụ": ""}
    write_xlsx(
        folder / "data" / "danh-muc.xlsx",
        tasks,
        title="DANH MỤC NHIỆM VỤ NĂM 2024",
        extra_rows=[unknown_level, no_title],
    )
    (folder / "csv.toml").write_text(CSV_MAPPING.format(namespace="tinh-csv"), encoding="utf-8")
    (folder / "xlsx.toml").write_text(CSV_MAPPING.format(namespace="tinh-xlsx"), encoding="utf-8")
    (folder / "api.toml").write_text(API_MAPPING.format(namespace="tinh-api"), encoding="utf-8")
    (folder / "api-token").write_text(API_TOKEN, encoding="utf-8")
    api_app = provincial_app(
        [t.api() for t in make_tasks("QL", 15, seed=13, year=2022)], token=API_TOKEN, page_size=6
    )
    provincial = start_background(api_app)
    try:
        with running_sim(tmp_path / "national", **(sim_config or {})) as sim:
            (folder / "national-secret").write_text(sim.client_secret, encoding="utf-8")
            config = folder / "stisync.toml"
            config.write_text(
                CONFIG.format(
                    state_url=state_url,
                    national_url=sim.url,
                    client_id=sim.client_id,
                    provincial_url=provincial.url,
                    batch_size=batch_size,
                    max_attempts=max_attempts,
                    max_retry_seconds=max_retry_seconds,
                    csv_schedule=csv_schedule,
                    csv_extra=csv_extra,
                ),
                encoding="utf-8",
            )
            yield Env(folder, config, state_url, sim, provincial, api_app)
    finally:
        provincial.stop()
