"""Exports of applications with their scores, as CSV and Excel.

UK time, the CSV byte-order mark and formula safety are crossector.core.exports' (one rule for every
export): text that a spreadsheet could read as a formula gets a leading apostrophe, Excel cells are written
with their own types and never as formulas, numbers as numbers. A fixed number of queries: the
applications (with annotations from `selectors.applications_for_staff`), their partners, priority areas,
the calls' criteria and the per-criterion means.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter

from crossector.core.exports import XLSX_DATETIME_FORMAT, XLSX_OPTIONS, cell_text, csv_content, xlsx_write

from . import selectors
from .models import Application, ReviewCriterion


@dataclass(frozen=True)
class Export:
    headers: list[str]
    rows: list[list]  # str, Decimal, int, aware datetime or None


BASE_HEADERS = [
    "Reference",
    "Call",
    "Status",
    "Applicant",
    "Email",
    "Employing organisation",
    "Employing sector",
    "Nation or region",
    "Partner organisations",
    "Partner sectors",
    "Partner countries",
    "Priority areas",
    "Title",
    "Amount requested (£)",
    "Amount awarded (£)",
    "Submitted at (UK time)",
    "Reviews",
    "Mean score",
    "Score spread",
]


def applications_export(queryset: Iterable[Application]) -> Export:
    """The rows of an export, in the order given. Expects the annotated queryset of `applications_for_staff`."""
    applications = list(queryset)
    call_ids = {a.call_id for a in applications}
    criteria = list(ReviewCriterion.objects.filter(call_id__in=call_ids).order_by("order", "id"))
    titles = list(dict.fromkeys(c.title for c in criteria))  # one column per title, across calls
    title_of = {c.pk: c.title for c in criteria}
    means = selectors.criterion_means([a.pk for a in applications]) if criteria else {}
    rows = []
    for a in applications:
        partners = list(a.partners.all())
        by_title = {title_of[c]: m for c, m in means.get(a.pk, {}).items() if c in title_of}
        rows.append(
            [
                a.reference,
                a.call.name,
                a.get_status_display(),
                a.applicant.get_full_name(),
                a.applicant.email,
                a.organisation,
                a.get_organisation_sector_display(),
                a.get_region_display(),
                "; ".join(p.name for p in partners),
                "; ".join(p.get_sector_display() for p in partners),
                "; ".join(p.country for p in partners),
                "; ".join(area.name for area in a.priority_areas.all()),
                a.title,
                a.amount_requested,
                a.awarded_amount,
                a.submitted_at,
                a.review_count,
                a.mean_score,
                a.score_spread,
                *[by_title.get(t) for t in titles],
            ]
        )
    return Export(headers=BASE_HEADERS + [f"Mean: {t}" for t in titles], rows=rows)


def applications_csv(queryset) -> bytes:
    export = applications_export(queryset)
    return csv_content(export.headers, export.rows)


def applications_xlsx(queryset) -> bytes:
    export = applications_export(queryset)
    out = io.BytesIO()
    # Never turn text into formulas, links or numbers: each cell is written with its own type below.
    workbook = xlsxwriter.Workbook(out, XLSX_OPTIONS)
    sheet = workbook.add_worksheet("Applications")
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    score = workbook.add_format({"num_format": "0.00"})
    when = workbook.add_format({"num_format": XLSX_DATETIME_FORMAT})
    for col, header in enumerate(export.headers):
        sheet.write_string(0, col, cell_text(header), bold)
    money_cols = {BASE_HEADERS.index("Amount requested (£)"), BASE_HEADERS.index("Amount awarded (£)")}
    for r, row in enumerate(export.rows, start=1):
        for col, value in enumerate(row):
            xlsx_write(sheet, r, col, value, when=when, number=money if col in money_cols else score)
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, len(export.headers) - 1, 20)
    workbook.close()
    return out.getvalue()
