"""Read a generated 200 MB XML export through the xml connector, mapping every record with an
XPath mapping, and print records per second and peak memory (max RSS), which must stay under
150 MB whatever the file's size. With --sync, sync the export to the national simulator
instead (read, map, validate, hash, outbox, deliver: `sync.runner.run_source`), once and again
with nothing changed.

    python benchmarks/xml_200mb.py                  # one 200 MB export
    python benchmarks/xml_200mb.py --mb 50 --mb 400   # memory must not grow with the size
    python benchmarks/xml_200mb.py --no-map         # the connector alone
    python benchmarks/xml_200mb.py --sync --mb 20   # the whole sync

The reading (or the sync) runs in its own process, so that its peak memory is its own and not
the writer's; the simulator runs in another process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import PEAK_MB, describe_sync, national_sim, run_child, run_sync, write_config

LIMIT_MB = 150
DELETED_EVERY = 97  # every 97th record is flagged deleted
NS = "urn:so-khcn:nhiem-vu"
RECORD = """  <q:NhiemVu trang_thai="{state}">
    <q:MaSo>NV-{i:08d}</q:MaSo>
    <q:TenNhiemVu>Nghiên cứu ứng dụng công nghệ sinh học trong sản xuất giống cây trồng
      phục vụ vùng đồng bằng, đợt {i}</q:TenNhiemVu>
    <q:LinhVuc ma="40101">Nông hoá</q:LinhVuc>
    <q:NgayCapNhat>2024-{month:02d}-{day:02d}T08:30:00+07:00</q:NgayCapNhat>
    <q:ChuTri><q:Ten>Viện Khoa học Nông nghiệp số {org}</q:Ten></q:ChuTri>
    <q:ChuNhiem>PGS.TS. Nguyễn Văn An</q:ChuNhiem>
    <q:ThanhVien><q:HoTen>Trần Thị Bình</q:HoTen><q:HocVi>ThS.</q:HocVi></q:ThanhVien>
    <q:ThanhVien><q:HoTen>Lê Văn Cường</q:HoTen><q:HocVi>KS.</q:HocVi></q:ThanhVien>
    <q:TuKhoa><q:Tu>giống cây</q:Tu><q:Tu>sinh học</q:Tu></q:TuKhoa>
    <q:BatDau>01/2023</q:BatDau>
    <q:KetThuc>tháng 12/2024</q:KetThuc>
    <q:KinhPhi>1.250</q:KinhPhi>
  </q:NhiemVu>
"""
MAPPING = """[mapping]
schema_version = "1"
namespace = "bench"
[namespaces]
q = "urn:so-khcn:nhiem-vu"
[fields]
task_code = "xpath:q:MaSo"
title = "xpath:q:TenNhiemVu"
management_level = { const = "provincial" }
task_type = { const = "research_topic" }
status = { const = "ongoing" }
"field.scheme" = { const = "qd12_2008" }
"field.code" = "xpath:q:LinhVuc/@ma"
"host_organization.name" = "xpath:q:ChuTri/q:Ten"
principal_investigator = "xpath:q:ChuNhiem"
participants = { xpath = "q:ThanhVien", item = { full_name = "q:HoTen", degree = "q:HocVi" } }
keywords = "xpath:q:TuKhoa/q:Tu"
start_date = "xpath:q:BatDau"
end_date = "xpath:q:KetThuc"
"budget.total_vnd" = { xpath = "q:KinhPhi", unit = "triệu" }
source_updated_at = "xpath:q:NgayCapNhat"
"""
SOURCE = """
[sources.bench]
kind = "xml"
mapping = "mapping.toml"
[sources.bench.connector]
path = "nhiem-vu.xml"
record = "q:NhiemVu"
namespaces = { q = "urn:so-khcn:nhiem-vu" }
id = "q:MaSo"
modified = "q:NgayCapNhat"
deleted = "@trang_thai = 'da_xoa'"
"""
READ_CHILD = (
    PEAK_MB
    + """
import json, sys, time
from pathlib import Path
from connectors.xml import XmlConnector
from schemas.mapping import load_mapping, map_record
path, mapping_path = Path(sys.argv[1]), sys.argv[2]
mapping = load_mapping(Path(mapping_path)) if mapping_path else None
source = XmlConnector("bench", {"path": path.name, "record": "q:NhiemVu",
                                "namespaces": {"q": "urn:so-khcn:nhiem-vu"}, "id": "q:MaSo",
                                "modified": "q:NgayCapNhat",
                                "deleted": "@trang_thai = 'da_xoa'"}, base_dir=path.parent)
t = time.perf_counter()
count = deleted = problems = 0
for record in source.records():
    count += 1
    deleted += record.deleted
    if mapping is not None:
        problems += len(map_record(mapping, record.payload, record.record_id).problems)
elapsed = time.perf_counter() - t
print(json.dumps({"records": count, "deleted": deleted, "problems": problems,
                  "seconds": elapsed, "peak_mb": peak_mb()}))
"""
)


def write_export(path: Path, megabytes: int) -> int:
    """An export of about `megabytes` MB; returns how many records it holds."""
    target = megabytes * 1_000_000
    with path.open("w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<q:DanhSachNhiemVu xmlns:q="{NS}">\n')
        i = 0
        while f.tell() < target:
            f.write(
                RECORD.format(
                    i=i,
                    state="da_xoa" if i % DELETED_EVERY == 0 else "dang_thuc_hien",
                    month=i % 12 + 1,
                    day=i % 28 + 1,
                    org=i % 50,
                )
            )
            i += 1
        f.write("</q:DanhSachNhiemVu>\n")
    return i


def read_export(path: Path, mapping: Path | None) -> dict[str, float]:
    return run_child(READ_CHILD, str(path), str(mapping or ""))


def bench(megabytes: int, with_mapping: bool, sync: bool) -> bool:
    with tempfile.TemporaryDirectory(prefix="stisync-xml-bench-") as tmp:
        path = Path(tmp) / "nhiem-vu.xml"
        t = time.perf_counter()
        written = write_export(path, megabytes)
        size = path.stat().st_size / 1e6
        print(
            f"\n{size:,.0f} MB export, {written:,} records, written in "
            f"{time.perf_counter() - t:.1f} s"
        )
        mapping = None
        if with_mapping or sync:
            mapping = Path(tmp) / "mapping.toml"
            mapping.write_text(MAPPING, encoding="utf-8")
        if sync:
            return sync_export(Path(tmp), written, size)
        r = read_export(path, mapping)
        ok = r["records"] == written and r["peak_mb"] < LIMIT_MB
        what = "read and mapped" if with_mapping else "read"
        print(
            f"  {what}: {r['records']:,.0f} records ({r['deleted']:,.0f} deleted, "
            f"{r['problems']:,.0f} mapping problems) in {r['seconds']:.1f} s = "
            f"{r['records'] / r['seconds']:,.0f} records/s, "
            f"{size / r['seconds']:.1f} MB/s"
        )
        print(f"  peak memory {r['peak_mb']:.0f} MB (limit {LIMIT_MB} MB): {verdict(ok)}")
        return ok


def sync_export(folder: Path, written: int, size: float) -> bool:
    """Sync the export in `folder` to a fresh simulator, then again with nothing changed: every
    live record must be created by the first, none sent by the second, both under the limit."""
    live = written - len(range(0, written, DELETED_EVERY))
    ok = True
    with national_sim(folder) as url:
        config = write_config(folder, url, SOURCE)
        for label, created in (("first sync", live), ("no-change re-sync", 0)):
            r = run_sync(config, "bench")
            print(describe_sync(label, written, r) + f", {size / float(r['seconds']):.1f} MB/s")
            counts = r["counts"]
            right = r["status"] == "succeeded" and counts.get("created", 0) == created
            if not right:
                print(f"  expected status succeeded and {created:,} created: {verdict(False)}")
            ok = ok and right and float(r["peak_mb"]) < LIMIT_MB
    print(f"  peak memory limit {LIMIT_MB} MB per run: {verdict(ok)}")
    return ok


def verdict(ok: bool) -> str:
    return "OK" if ok else "FAILED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mb", type=int, action="append", help="export size in MB (repeatable; default 200)"
    )
    parser.add_argument("--no-map", action="store_true", help="read only, do not map")
    parser.add_argument(
        "--sync", action="store_true", help="sync to the national simulator (run_source)"
    )
    args = parser.parse_args()
    if args.sync and args.no_map:
        parser.error("--sync maps every record; it cannot go with --no-map")
    results = [bench(mb, not args.no_map, args.sync) for mb in args.mb or [200]]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
