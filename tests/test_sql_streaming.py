"""The sql connector streams: 50,000 rows go through in the memory of a few batches."""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import create_engine

from connectors.sql import SqlConnector

pytest_plugins = ["tests.db_fixtures"]

ROWS = 50_000
TITLE = "Nghiên cứu ứng dụng khoa học và công nghệ phục vụ phát triển kinh tế - xã hội "
FILL = {
    # Server-side generators, so that filling the table costs one statement.
    "postgresql": "INSERT INTO nhiem_vu SELECT 'NV-' || lpad(g::text, 6, '0'), "
                  f"repeat('{TITLE}', 3) FROM generate_series(1, {ROWS}) AS g",
    "mysql": "INSERT INTO nhiem_vu SELECT CONCAT('NV-', LPAD(seq, 6, '0')), "
             f"REPEAT('{TITLE}', 3) FROM seq_1_to_{ROWS}",
}


@pytest.fixture(scope="module")
def big_table(module_db_url: str) -> str:
    """nhiem_vu with 50,000 rows of about 250 characters of Vietnamese each (over 60 MB of
    records when held at once)."""
    engine = create_engine(module_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE nhiem_vu (ma_so VARCHAR(20) PRIMARY KEY, "
                             "ten_nhiem_vu VARCHAR(1000))")
        conn.exec_driver_sql(FILL[engine.dialect.name])
    engine.dispose()
    return module_db_url


def test_fifty_thousand_rows_stream_in_flat_memory(big_table: str) -> None:
    c = SqlConnector("qlkh", {"url": big_table, "table": "nhiem_vu", "id_column": "ma_so",
                              "batch_size": 500})
    count = 0
    last = ""
    tracemalloc.start()
    try:
        for record in c.records():
            count += 1
            last = record.record_id
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == ROWS
    assert last == f"NV-{ROWS:06d}"
    # Holding the records would take over 60 MB; a few batches of 500 take well under 5 MB.
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while reading {ROWS} rows"


def test_postgresql_fetches_batch_size_rows_at_a_time_from_a_server_cursor(pg_url: str
                                                                          ) -> None:
    # tracemalloc cannot see libpq's own buffer, so the server is asked what it was told.
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE nhiem_vu AS SELECT 'NV-' || g AS ma_so "
                             "FROM generate_series(1, 2000) AS g")
    records = SqlConnector("qlkh", {"url": pg_url, "table": "nhiem_vu", "id_column": "ma_so",
                                    "batch_size": 300}).records()
    for _ in range(700):
        next(records)

    with engine.connect() as conn:
        seen = conn.exec_driver_sql(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()").scalars().all()
    records.close()
    engine.dispose()

    assert len(seen) == 1
    assert seen[0].startswith("FETCH FORWARD 300 FROM ")
