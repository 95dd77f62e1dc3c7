"""Which writer makes a report file, chosen by the file's extension."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from sync.quality.collect import QualityReport
from sync.quality.csv_report import write_csv
from sync.quality.html_report import write_html
from sync.quality.texts import t
from sync.quality.xlsx_report import write_xlsx

Writer = Callable[[QualityReport, Path, str], None]

WRITERS: dict[str, Writer] = {
    ".xlsx": write_xlsx,
    ".html": write_html,
    ".htm": write_html,
    ".csv": write_csv,
}


class ReportPathError(ValueError):
    """The report cannot go to this path: an unknown extension, or the source file itself."""

    def __init__(self, key: str, path: Path):
        super().__init__(t(key, "en", suffix=path.suffix, path=path))
        self.key = key
        self.path = path

    def message(self, lang: str) -> str:
        return t(self.key, lang, suffix=self.path.suffix, path=self.path)


def report_writer(path: Path, source_files: Iterable[Path] = ()) -> Writer:
    """The writer for `path`; raises ReportPathError, before any work is done, for an unknown
    extension or a path that is one of the source's own files (a report must never replace
    the data it reports on)."""
    try:
        writer = WRITERS[path.suffix.lower()]
    except KeyError:
        raise ReportPathError("err_format", path) from None
    target = path.resolve()
    if any(target == f.resolve() for f in source_files):
        raise ReportPathError("err_overwrite", path)
    return writer


def write_report(report: QualityReport, path: Path, lang: str = "vi") -> None:
    """Write `report` to `path` in the format its extension names; OSError when it cannot."""
    report_writer(path)(report, path, lang)
