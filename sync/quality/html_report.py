"""The report as one standalone HTML page (inline CSS, no script, nothing fetched), for a data
owner to open in any browser or attach to an e-mail: the accepted share first, then the
summary by kind of problem, then every problem by sheet and row.

Every value from the source is escaped: a cell holding `<script>` shows as that text.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from sync.quality.collect import QualityReport
from sync.quality.layout import (
    PROBLEM_COLUMNS,
    SUMMARY_COLUMNS,
    headings,
    problem_cells,
    summary_cells,
)
from sync.quality.texts import share_text, t, value_text

_CSS = """
body{font-family:"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:24px;
color:#1f2933;background:#fff;font-size:14px;line-height:1.45}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#52606d;margin:0 0 16px}.meta b{color:#1f2933}
.share{display:flex;align-items:center;gap:20px;padding:16px 20px;border-radius:8px;
border:2px solid;max-width:900px}
.share .big{font-size:44px;font-weight:700;line-height:1}
.share.good{border-color:#2f855a;background:#f0fff4}.share.good .big{color:#2f855a}
.share.some{border-color:#b7791f;background:#fffaf0}.share.some .big{color:#b7791f}
.share.bad{border-color:#c53030;background:#fff5f5}.share.bad .big{color:#c53030}
.note{color:#9b2c2c;font-weight:600;margin:8px 0}.note.info{color:#2c5282;font-weight:400}
.how{color:#52606d;max-width:900px}
table{border-collapse:collapse;width:100%;margin-top:8px}
th,td{border:1px solid #cbd2d9;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e4ecf5;position:sticky;top:0;white-space:nowrap}
tbody tr:nth-child(even){background:#f7f9fb}
td.num{text-align:right;white-space:nowrap}td.code{font-family:monospace;white-space:nowrap}
td.value{word-break:break-word;min-width:90px;max-width:260px}
td.id{white-space:nowrap}
"""
# Columns of the problem table shown as code or numbers (by heading key).
_CLASSES = {
    "col_row": "num",
    "col_count": "num",
    "col_code": "code",
    "col_value": "value",
    "col_column": "code",
    "col_record": "id",
}


def write_html(report: QualityReport, path: Path, lang: str) -> None:
    path.write_text(render_html(report, lang), encoding="utf-8")


def render_html(report: QualityReport, lang: str) -> str:
    title = f"{t('title', lang)} — {report.source}"
    parts = [
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<h1>{_e(t('title', lang))}</h1>\n",
        _meta(report, lang),
        _share(report, lang),
        *(
            f'<p class="{"note" if n.warning else "note info"}">{_e(n.text)}</p>\n'
            for n in report.notes(lang)
        ),
        f"<h2>{_e(t('summary', lang))}</h2>\n",
    ]
    kinds = report.summary()
    if kinds:
        rows = (summary_cells(k, lang) for k in kinds)
        parts.append(_table(SUMMARY_COLUMNS, rows, lang))
    else:
        parts.append(f"<p>{_e(t('none_found', lang))}</p>\n")
    if report.problems:
        parts.append(
            f"<h2>{_e(t('problems', lang))} ({len(report.problems) + report.omitted})"
            f'</h2>\n<p class="how">{_e(t("how_to", lang))}</p>\n'
        )
        keep = _problem_columns(report)
        columns = tuple(PROBLEM_COLUMNS[i] for i in keep)
        rows = (
            [cells[i] for i in keep]
            for cells in (problem_cells(p, lang) for p in report.sorted_problems())
        )
        parts.append(_table(columns, rows, lang))
        if report.omitted:
            parts.append(
                f'<p class="note">{_e(t("omitted", lang, n=report.omitted, cap=report.cap))}</p>\n'
            )
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _problem_columns(report: QualityReport) -> list[int]:
    """The problem table's columns worth showing: no sheet column for a CSV file, and no place
    column when sheet and row already say it (a spreadsheet)."""
    drop = set()
    if not any(p.sheet for p in report.problems):
        drop.add("col_sheet")
    if report.spreadsheet:
        drop.add("col_where")
    return [i for i, key in enumerate(PROBLEM_COLUMNS) if key not in drop]


def _meta(report: QualityReport, lang: str) -> str:
    items = [(t("source", lang), report.source)]
    if report.location:
        items.append((t("location", lang), report.location))
    if report.generated_at is not None:
        items.append((t("generated", lang), report.generated_at.strftime("%d/%m/%Y %H:%M")))
    inner = " · ".join(f"{_e(k)}: <b>{_e(v)}</b>" for k, v in items)
    return f'<p class="meta">{inner}</p>\n'


def _share(report: QualityReport, lang: str) -> str:
    share = report.share
    tone = "good" if share == 1 else ("bad" if share is None or share < 0.5 else "some")
    if not report.read:
        counts = t("no_records", lang)
    else:
        counts = t(
            "accepted_of",
            lang,
            accepted=report.accepted,
            read=report.read,
            rejected=report.rejected,
        )
    return (
        f'<div class="share {tone}"><div class="big">{_e(share_text(share, lang))}</div>'
        f"<div><b>{_e(t('accepted_share', lang))}</b><br>{_e(counts)}</div></div>\n"
    )



def _table(columns: tuple[str, ...], rows: Iterable[list[Any]], lang: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headings(columns, lang))
    out = [f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"]
    for cells in rows:
        tds = []
        for key, value in zip(columns, cells, strict=True):
            cls = _CLASSES.get(key)
            attr = f' class="{cls}"' if cls else ""
            tds.append(f"<td{attr}>{_e(value_text(value))}</td>")
        out.append(f"<tr>{''.join(tds)}</tr>\n")
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)
