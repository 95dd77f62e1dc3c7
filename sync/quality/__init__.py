"""Data-quality reports (`stisync validate`): a whole source read, mapped and validated, and
each problem shown where the data's owner can fix it, as HTML, an Excel workbook or CSV."""

from sync.quality.collect import MAX_PROBLEMS, Kind, ProblemRow, QualityReport, collect
from sync.quality.writers import ReportPathError, report_writer, write_report

__all__ = [
    "MAX_PROBLEMS",
    "Kind",
    "ProblemRow",
    "QualityReport",
    "ReportPathError",
    "collect",
    "report_writer",
    "write_report",
]
