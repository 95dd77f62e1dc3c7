"""What the CLI prints: progress only on a terminal, tables, CSV, local times."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone

from stisync.output import Progress, as_csv, localize, table


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_redrawn_on_a_terminal_and_silent_otherwise() -> None:
    tty, plain = Terminal(), io.StringIO()
    counts = Counter(fetched=120, created=80, unchanged=20, invalid=2)
    for stream in (tty, plain):
        p = Progress("tinh-csv", stream)
        p("read", counts)
        p.done()
    assert "\rtinh-csv: read 120, sent 100, invalid 2" in tty.getvalue()
    assert plain.getvalue() == ""


def test_tables_align_columns_and_show_empty_cells_blank() -> None:
    out = io.StringIO()
    table([("tinh-csv", 20, None), ("tinh-api-dai", 3, "lỗi")], ["source", "n", "error"], out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "source        n   error"
    assert lines[2] == "tinh-csv      20"
    assert lines[3] == "tinh-api-dai  3   lỗi"


def test_csv_output_keeps_nested_values_as_json() -> None:
    out = io.StringIO()
    as_csv([{"run": 1, "counts": {"created": 2}}], out)
    assert out.getvalue() == 'run,counts\n1,"{""created"": 2}"\n'


def test_times_are_shown_in_the_province_time_zone() -> None:
    when = datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc)
    assert localize({"at": [when]}, "Asia/Ho_Chi_Minh") == {"at": ["2026-01-02T00:30:00+07:00"]}
