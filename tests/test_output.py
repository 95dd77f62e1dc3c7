"""What the CLI prints: progress only on a terminal, in the admin's language; counts, tables,
CSV, local times."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone

from stisync.output import Progress, as_csv, counts_text, localize, table


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_redrawn_on_a_terminal_and_silent_otherwise() -> None:
    tty, english, plain = Terminal(), Terminal(), io.StringIO()
    counts = Counter(fetched=120, created=80, unchanged=20, invalid=2)
    for stream, lang in ((tty, "vi"), (english, "en"), (plain, "vi")):
        p = Progress("tinh-csv", stream, lang=lang)
        p("read", counts)
        p.done()
    assert "\rtinh-csv: đã đọc 120, đã gửi 100, không hợp lệ 2" in tty.getvalue()
    assert "\rtinh-csv: read 120, sent 100, invalid 2" in english.getvalue()
    assert plain.getvalue() == ""


def test_progress_is_vietnamese_unless_asked_and_done_clears_the_whole_line() -> None:
    tty = Terminal()
    p = Progress("nguon-co-ten-rat-dai-cua-so-khoa-hoc-va-cong-nghe", tty)
    p("read", Counter(fetched=123456, created=100000, invalid=12))
    p.done()
    line, cleared = tty.getvalue().split("\r")[1:3]
    assert "đã đọc 123456" in line
    assert len(cleared) >= len(line.rstrip())  # no tail of the count is left on the terminal


def test_counts_are_named_in_the_admins_language_without_zeros() -> None:
    counts = {"fetched": 16, "created": 15, "unchanged": 0, "invalid": 1}
    assert counts_text(counts, "vi") == "đọc 16, tạo mới 15, không hợp lệ 1"
    assert counts_text(counts, "en") == "fetched 16, created 15, invalid 1"
    assert counts_text({"fetched": 0}, "vi") == "không có gì"
    assert counts_text({}, "en") == "nothing"
    assert counts_text({"new_kind": 2}, "vi") == "new_kind 2"  # never hidden


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
