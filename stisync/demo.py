"""`stisync demo`: a working set-up on one machine — sample provincial data (a CSV, a workbook,
a JSON API), the national simulator, the daemon — synced at once, then explained."""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from stisync.demo_data import API_MAPPING, CSV_MAPPING, make_tasks, write_csv, write_xlsx
from stisync.texts import t

PROVINCE = "52"
CLIENT_ID = "tinh-52-demo"
SOURCES = ("so-khcn-csv", "so-khcn-xlsx", "qlkh-api")

CONFIG = """\
# stisync demo configuration: Sở KH&CN tỉnh Gia Lai (52), the national simulator on loopback.
province = "52"
state_url = "sqlite:///state/stisync.sqlite"
log_dir = "logs"

[national]
url = "{national_url}"
auth = "oauth2"
client_id = "{client_id}"
client_secret_file = "secrets/national-client-secret"

[sources.so-khcn-csv]
kind = "spreadsheet"
schedule = "every 10m"
mapping = "mappings/so-khcn-csv.toml"
[sources.so-khcn-csv.connector]
path = "data/nhiem-vu-2023.csv"
id_column = "Mã số"

[sources.so-khcn-xlsx]
kind = "spreadsheet"
schedule = "0 2 * * *"
mapping = "mappings/so-khcn-xlsx.toml"
[sources.so-khcn-xlsx.connector]
path = "data/danh-muc-2024.xlsx"
id_column = "Mã số"

[sources.qlkh-api]
kind = "rest"
schedule = "every 5m"
mapping = "mappings/qlkh-api.toml"
[sources.qlkh-api.connector]
url = "{provincial_url}/api/nhiem-vu"
auth = "bearer"
token_file = "secrets/provincial-api-token"
records_path = "data.items"
id_field = "id"
modified_field = "updated_at"
pagination = "page"
page_size = 10
since_param = "updated_since"
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_demo(folder: Path) -> None:
    """Write the demo folder: config, secrets, sample data and mappings."""
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "national-client-secret").write_text(
        secrets.token_urlsafe(24), encoding="utf-8"
    )
    (folder / "secrets" / "provincial-api-token").write_text(
        secrets.token_urlsafe(24), encoding="utf-8"
    )
    write_csv(folder / "data" / "nhiem-vu-2023.csv", make_tasks("NV", 20, seed=1, year=2023))
    bad = make_tasks("DM", 16, seed=2, year=2024)
    rows = bad[:-1]
    odd = bad[-1].row()
    odd["Cấp quản lý"] = "Cấp vùng"  # not a management level: the demo shows it held back
    write_xlsx(
        folder / "data" / "danh-muc-2024.xlsx",
        rows,
        title="DANH MỤC NHIỆM VỤ KH&CN NĂM 2024",
        extra_rows=[odd],
    )
    api = [t.api() for t in make_tasks("QL", 15, seed=3, year=2022)]
    (folder / "data" / "qlkh-api.json").write_text(
        json.dumps(api, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (folder / "mappings").mkdir(exist_ok=True)
    (folder / "mappings" / "so-khcn-csv.toml").write_text(
        CSV_MAPPING.format(namespace="so-khcn-csv"), encoding="utf-8"
    )
    (folder / "mappings" / "so-khcn-xlsx.toml").write_text(
        CSV_MAPPING.format(namespace="so-khcn-xlsx"), encoding="utf-8"
    )
    (folder / "mappings" / "qlkh-api.toml").write_text(
        API_MAPPING.format(namespace="qlkh"), encoding="utf-8"
    )
    (folder / "ports.json").write_text(
        json.dumps({"national": _free_port(), "provincial": _free_port()}), encoding="utf-8"
    )


class DemoServers:
    """The national simulator and the provincial API, on loopback threads."""

    def __init__(self, folder: Path, lang: str = "vi"):
        from national_sim import SimConfig, create_app
        from national_sim.auth import Client
        from stisync.provincial_api import create_app as provincial_app
        from stisync.wsgi import start_background

        ports = json.loads((folder / "ports.json").read_text(encoding="utf-8"))
        secret = (folder / "secrets" / "national-client-secret").read_text(encoding="utf-8").strip()
        token = (folder / "secrets" / "provincial-api-token").read_text(encoding="utf-8").strip()
        sim = create_app(
            SimConfig(data_dir=folder / "national", clients=(Client(CLIENT_ID, secret, PROVINCE),))
        )
        records = json.loads((folder / "data" / "qlkh-api.json").read_text(encoding="utf-8"))
        try:
            self.national = start_background(sim, port=ports["national"])
            self.provincial = start_background(
                provincial_app(records, token=token), port=ports["provincial"]
            )
        except OSError as exc:
            detail = t("demo_ports", lang, ports=ports, error=exc, file=folder / "ports.json")
            raise SystemExit(f"{t('err', lang)}: {detail}") from exc
        config = folder / "stisync.toml"
        if not config.exists():
            config.write_text(
                CONFIG.format(
                    national_url=self.national.url + "/api",
                    provincial_url=self.provincial.url,
                    client_id=CLIENT_ID,
                ),
                encoding="utf-8",
            )

    def stop(self) -> None:
        self.provincial.stop()
        self.national.stop()


def _wait_for_first_runs(config: Any, timeout: float) -> None:
    from sqlalchemy import func, select

    from sync.runner import open_state
    from sync.state.models import Run, RunStatus

    db = open_state(config)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.session() as s:
                done = (
                    s.scalar(
                        select(func.count(func.distinct(Run.source))).where(
                            Run.status != RunStatus.RUNNING
                        )
                    )
                    or 0
                )
            if done >= len(config.sources):
                return
            time.sleep(0.3)
    finally:
        db.dispose()


def run_demo(args: argparse.Namespace) -> int:
    import logging

    logging.getLogger().handlers[0].setLevel(logging.WARNING)  # the demo prints its own summary
    import scheduler
    from stisync.logsetup import add_file_log
    from sync.config import load_config

    lang = args.lang
    folder = Path(args.dir).resolve()
    fresh = not (folder / "stisync.toml").exists()
    if fresh:
        print(t("demo_writing", lang, folder=folder))
        create_demo(folder)
    else:
        print(t("demo_using", lang, folder=folder))
    servers = DemoServers(folder, lang)
    config = load_config(folder / "stisync.toml")
    add_file_log(config.log_dir)
    national = f"{servers.national.url}/api"
    print(t("demo_national", lang, url=national, data=folder / "national"))
    print(t("demo_provincial", lang, url=f"{servers.provincial.url}/api/nhiem-vu"))
    stop = threading.Event()
    daemon = threading.Thread(
        target=scheduler.run_daemon,
        args=(config,),
        kwargs={"stop": stop},
        name="daemon",
        daemon=True,
    )
    daemon.start()
    print(t("demo_daemon", lang))
    _wait_for_first_runs(config, timeout=120)
    from stisync.cli import main as cli

    cfg = ["--lang", lang, "--config", str(folder / "stisync.toml")]
    cli([*cfg, "status"])
    print()
    cli([*cfg, "quarantine"])
    rel = folder if not folder.is_relative_to(Path.cwd()) else folder.relative_to(Path.cwd())
    # Asked for in English, the demo suggests commands that ask for English too.
    options = f"--config {rel / 'stisync.toml'}"
    if lang != "vi":
        options = f"--lang {lang} {options}"
    print(
        t(
            "demo_explain",
            lang,
            state=rel / "state",
            logs=rel / "logs",
            options=options,
            csv=rel / "data" / "nhiem-vu-2023.csv",
        )
    )
    if args.keep_running:
        print(t("demo_keep_running", lang))
        try:
            while daemon.is_alive():
                daemon.join(0.5)
        except KeyboardInterrupt:
            pass
    stop.set()
    daemon.join(timeout=60)
    servers.stop()
    sys.stdout.flush()
    return 0
