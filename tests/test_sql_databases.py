"""The sql connector against real PostgreSQL and MariaDB: tables, views, queries, `since`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Unicode,
    create_engine,
    insert,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable

from connectors.base import SourceRecord
from connectors.errors import SourceDataError
from connectors.sql import SqlConnector

pytest_plugins = ["tests.db_fixtures"]

VN = timezone(timedelta(hours=7))
METADATA = MetaData()
NHIEM_VU = Table(
    "nhiem_vu", METADATA,
    Column("ma_so", String(20), primary_key=True),
    Column("ten_nhiem_vu", Unicode(500)),
    Column("kinh_phi", Numeric(16, 2)),
    Column("ngay_bat_dau", Date),
    Column("ngay_cap_nhat", DateTime),
    Column("da_xoa", Boolean),
)


def wall(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    """A DATETIME column's value: Vietnamese wall-clock time in 2024, no offset."""
    return datetime(2024, month, day, hour, minute, tzinfo=VN).replace(tzinfo=None)


ROWS = [
    {"ma_so": "NV-001", "ten_nhiem_vu": "Nghiên cứu giống cà phê chè vùng Tây Nguyên",
     "kinh_phi": Decimal("1500000000.00"), "ngay_bat_dau": date(2024, 1, 15),
     "ngay_cap_nhat": wall(1, 8, 30), "da_xoa": False},
    {"ma_so": "NV-002", "ten_nhiem_vu": "Số hóa di sản Hán Nôm 𡨸喃 của tỉnh",
     "kinh_phi": Decimal("250000000.50"), "ngay_bat_dau": date(2024, 3, 1),
     "ngay_cap_nhat": wall(2, 9), "da_xoa": False},
    {"ma_so": "NV-003", "ten_nhiem_vu": "Đề tài đã hủy", "kinh_phi": Decimal("0.00"),
     "ngay_bat_dau": None, "ngay_cap_nhat": wall(3, 10), "da_xoa": True},
]
TABLE: dict[str, Any] = {"table": "nhiem_vu", "id_column": "ma_so",
                         "modified_column": "ngay_cap_nhat", "deleted_column": "da_xoa"}


def run(url: str, *statements: Executable | str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            if isinstance(statement, str):
                conn.exec_driver_sql(statement)
            else:
                conn.execute(statement)
    engine.dispose()


def seed(url: str, rows: list[dict[str, Any]] = ROWS) -> None:
    engine = create_engine(url)
    METADATA.create_all(engine)
    engine.dispose()
    run(url, insert(NHIEM_VU).values([{c.name: row.get(c.name) for c in NHIEM_VU.columns}
                                      for row in rows]))


def read(url: str, *, since: datetime | None = None, **options: Any) -> list[SourceRecord]:
    return list(SqlConnector("qlkh", {"url": url, **options}).records(since))


def test_a_table_is_read_whole_with_plain_values(db_url: str) -> None:
    seed(db_url)

    records = read(db_url, **TABLE)

    assert [r.record_id for r in records] == ["NV-001", "NV-002", "NV-003"]
    first = records[0]
    assert first.source == "qlkh"
    assert first.modified_at == datetime(2024, 5, 1, 8, 30, tzinfo=VN)
    assert dict(first.payload) == {
        "ma_so": "NV-001", "ten_nhiem_vu": "Nghiên cứu giống cà phê chè vùng Tây Nguyên",
        "kinh_phi": 1500000000, "ngay_bat_dau": date(2024, 1, 15),
        "ngay_cap_nhat": datetime(2024, 5, 1, 8, 30, tzinfo=VN), "da_xoa": False,
    }
    assert type(first.payload["kinh_phi"]) is int
    assert dict(first.origin) == {"table": "nhiem_vu", "row": 1}
    assert records[1].payload["kinh_phi"] == "250000000.5"
    assert records[1].payload["ten_nhiem_vu"] == "Số hóa di sản Hán Nôm 𡨸喃 của tỉnh"
    assert [r.deleted for r in records] == [False, False, True]
    assert records[2].payload["ngay_bat_dau"] is None


def test_an_incremental_read_returns_only_what_changed_after_the_first(db_url: str) -> None:
    seed(db_url)
    first = read(db_url, **TABLE)
    assert len(first) == 3
    run(db_url,
        update(NHIEM_VU).where(NHIEM_VU.c.ma_so == "NV-002").values(
            ten_nhiem_vu="Số hóa di sản Hán Nôm (giai đoạn 2)", ngay_cap_nhat=wall(2, 9, month=6)),
        insert(NHIEM_VU).values(ma_so="NV-004", ten_nhiem_vu="Quan trắc sạt lở đất",
                                kinh_phi=Decimal("90000000"), ngay_cap_nhat=wall(3, 14, month=6),
                                da_xoa=False))

    since = datetime(2024, 6, 1, tzinfo=VN).astimezone(timezone.utc)
    changed = read(db_url, since=since, **TABLE)

    assert [r.record_id for r in changed] == ["NV-002", "NV-004"]
    assert changed[0].payload["ten_nhiem_vu"] == "Số hóa di sản Hán Nôm (giai đoạn 2)"
    assert [r.origin["row"] for r in changed] == [1, 2]


def test_since_is_compared_in_vietnamese_time(db_url: str) -> None:
    seed(db_url, [{"ma_so": "TRUOC", "ngay_cap_nhat": wall(30, 23, 50)},
                  {"ma_so": "SAU", "ngay_cap_nhat": wall(31, 0, 10)}])

    # 17:00 UTC on 30/05 is midnight of 31/05 in Vietnam.
    got = read(db_url, since=datetime(2024, 5, 30, 17, tzinfo=timezone.utc), **TABLE)

    assert [r.record_id for r in got] == ["SAU"]


def test_rows_without_a_modification_time_are_read_every_time(db_url: str) -> None:
    seed(db_url, [*ROWS, {"ma_so": "NV-KHONG-NGAY", "ten_nhiem_vu": "Chưa ghi ngày"}])

    got = read(db_url, since=datetime(2024, 12, 1, tzinfo=VN), **TABLE)

    assert [(r.record_id, r.modified_at) for r in got] == [("NV-KHONG-NGAY", None)]


def test_a_date_column_is_compared_by_day(db_url: str) -> None:
    days = Table("nv_ngay", MetaData(), Column("ma_so", String(20), primary_key=True),
                 Column("ngay_sua", Date))
    engine = create_engine(db_url)
    days.create(engine)
    engine.dispose()
    run(db_url, insert(days).values([{"ma_so": f"NV-{d}", "ngay_sua": date(2024, 5, d)}
                                     for d in (1, 2, 3)]))

    got = read(db_url, since=datetime(2024, 5, 2, 15, tzinfo=VN), table="nv_ngay",
               id_column="ma_so", modified_column="ngay_sua")

    # Changed some time on 02/05: maybe after 15:00, so it is read again.
    assert [r.record_id for r in got] == ["NV-2", "NV-3"]
    assert got[0].modified_at == datetime(2024, 5, 2, tzinfo=VN)


QUERY = ("SELECT ma_so AS id, ten_nhiem_vu, ngay_cap_nhat FROM v_nhiem_vu "
         "WHERE ngay_cap_nhat >= :since ORDER BY ngay_cap_nhat")


def test_a_query_on_a_view_reads_everything_then_what_changed(db_url: str) -> None:
    seed(db_url)
    run(db_url, "CREATE VIEW v_nhiem_vu AS SELECT ma_so, ten_nhiem_vu, ngay_cap_nhat "
                "FROM nhiem_vu")
    options: dict[str, Any] = {"query": QUERY, "id_column": "id",
                               "modified_column": "ngay_cap_nhat"}

    everything = read(db_url, **options)
    run(db_url, update(NHIEM_VU).where(NHIEM_VU.c.ma_so == "NV-001").values(
        ngay_cap_nhat=wall(5, 8, month=6)))
    changed = read(db_url, since=datetime(2024, 6, 1, tzinfo=VN), **options)

    assert [r.record_id for r in everything] == ["NV-001", "NV-002", "NV-003"]
    assert dict(everything[0].origin) == {
        "query": "SELECT ma_so AS id, ten_nhiem_vu, ngay_cap_nhat FROM v_nh...", "row": 1}
    assert [r.record_id for r in changed] == ["NV-001"]
    assert changed[0].modified_at == datetime(2024, 6, 5, 8, tzinfo=VN)
    assert set(changed[0].payload) == {"id", "ten_nhiem_vu", "ngay_cap_nhat"}


def test_a_with_query_and_a_deleted_flag(db_url: str) -> None:
    seed(db_url)
    query = ("WITH moi AS (SELECT ma_so, kinh_phi, da_xoa FROM nhiem_vu "
             "WHERE ngay_cap_nhat >= :since) SELECT * FROM moi ORDER BY ma_so")

    got = read(db_url, since=datetime(2024, 5, 2, tzinfo=VN), query=query, id_column="ma_so",
               deleted_column="da_xoa")

    assert [(r.record_id, r.deleted, r.payload["kinh_phi"]) for r in got] == [
        ("NV-002", False, "250000000.5"), ("NV-003", True, 0)]
    assert all(r.modified_at is None for r in got)


def test_column_names_match_regardless_of_case(db_url: str) -> None:
    seed(db_url)

    got = read(db_url, table="nhiem_vu", id_column="MA_SO", modified_column="Ngay_Cap_Nhat")

    assert [r.record_id for r in got] == ["NV-001", "NV-002", "NV-003"]


def test_a_schema_qualified_table(db_url: str) -> None:
    seed(db_url)
    if db_url.startswith("postgresql"):
        run(db_url, "CREATE SCHEMA qlkh", "CREATE TABLE qlkh.nhiem_vu AS "
                                          "SELECT * FROM public.nhiem_vu WHERE ma_so = 'NV-003'")
        name = "qlkh.nhiem_vu"
    else:  # on MariaDB a schema is a database
        name = f"{make_url(db_url).database}.nhiem_vu"

    got = read(db_url, **{**TABLE, "table": name})

    assert [r.record_id for r in got] == (["NV-003"] if name == "qlkh.nhiem_vu"
                                          else ["NV-001", "NV-002", "NV-003"])
    assert got[0].origin["table"] == name


def test_a_binary_column_is_refused_naming_the_column_and_row(db_url: str) -> None:
    files = Table("ho_so", MetaData(), Column("ma_so", String(20), primary_key=True),
                  Column("ban_scan", LargeBinary))
    engine = create_engine(db_url)
    files.create(engine)
    engine.dispose()
    run(db_url, insert(files).values([{"ma_so": "HS-1", "ban_scan": None},
                                      {"ma_so": "HS-2", "ban_scan": b"\x89PNG\r\n"}]))
    records = SqlConnector("qlkh", {"url": db_url, "table": "ho_so",
                                    "id_column": "ma_so"}).records()

    assert next(records).record_id == "HS-1"  # an empty binary column is no trouble
    with pytest.raises(SourceDataError) as caught:
        next(records)

    assert "ho_so, row 2" in str(caught.value)
    assert "column 'ban_scan' holds 6 bytes of binary data" in str(caught.value)


@pytest.mark.parametrize("finish", ["closed-after-one-record", "read-to-the-end"])
def test_a_read_leaves_no_lock_behind(db_url: str, finish: str) -> None:
    seed(db_url)
    c = SqlConnector("qlkh", {"url": db_url, **TABLE, "batch_size": 1})
    records = c.records()
    next(records)
    if finish == "read-to-the-end":
        list(records)
    else:
        c.close()

    # A read that still held its transaction would make DROP TABLE wait, then fail.
    wait = ("SET lock_timeout = '3s'" if db_url.startswith("postgresql")
            else "SET SESSION lock_wait_timeout = 3")
    run(db_url, wait, text("DROP TABLE nhiem_vu"))
    engine = create_engine(db_url)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'nhiem_vu'")).scalar()
    engine.dispose()
    assert left == 0
