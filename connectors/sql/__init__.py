"""Provincial databases as a source: MariaDB/MySQL, PostgreSQL and SQL Server over SQLAlchemy.

A source's `[sources.NAME.connector]` table, with the defaults shown::

    url_env = "QLKH_DB_URL"          # the SQLAlchemy URL, from an environment variable,
                                     # or url_file = "secrets/qlkh-db-url"; a plain `url` is
                                     # accepted only without a password in it
    table = "qlkh.nhiem_vu"          # a table or view, optionally schema-qualified, OR
    query = "SELECT * FROM v_nhiem_vu WHERE ngay_cap_nhat >= :since"
    id_column = "ma_so"              # required
    modified_column = "ngay_cap_nhat"  # default none
    deleted_column = "da_xoa"        # default none; true, non-zero, yes/có/x = deleted
    batch_size = 1000                # rows per round trip of the server-side cursor
    timeout = 300                    # statement timeout, seconds (SQLite: how long a read
                                     # waits for another program's write lock)
    connect_timeout = 10             # seconds

A SQLite file (`sqlite:///data/qlkh.sqlite`) is relative to the config file's folder when its
path is; it is never created: a missing file is unavailable, like a missing spreadsheet.

Drivers come as extras: `stisync[postgres]` (postgresql+psycopg://), `stisync[mysql]`
(mysql+pymysql://, also for MariaDB), `stisync[mssql]` (mssql+pymssql://).

With `table`, the read is `SELECT *` from the reflected table ordered by modified_column
then id_column; with `since`, only rows whose modified_column is at or after it, or empty.
`since` is compared as the column's kind holds it: a day for a DATE, an instant for a column
with a time zone, Vietnamese wall-clock time for a DATETIME without one.

With `query`, the text must be exactly one SELECT (or WITH … SELECT), checked with sqlglot
before anything runs, with a `:since` parameter. `:since` is bound to Vietnamese wall-clock
time without an offset, and on a full read to 1900-01-01 00:00, so `col >= :since` matches
every row with a date (add `OR col IS NULL` for rows without one). On SQL Server, compare a
datetimeoffset column as `col >= TODATETIMEOFFSET(:since, '+07:00')`.

Every read runs in a read-only transaction where the database has one (see
connectors/sql/backends.py; SQL Server has none) and is rolled back at the end. Rows are
streamed with a server-side cursor, `batch_size` at a time, never loaded whole.
"""

from connectors.sql.connector import SqlConnector

__all__ = ["SqlConnector"]
