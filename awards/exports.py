"""Exports of applications with their scores, as CSV and Excel, safe against spreadsheet formula injection.

Every text cell that a spreadsheet could read as a formula (starting with =, +, -, @, a tab or a carriage
return, after any leading spaces) gets a leading apostrophe (OWASP "CSV injection"). In Excel files text is
also written as text cells, never as formulas, and numbers as numbers. A fixed number of queries: the
applications (with annotations from `selectors.applications_for_staff`), their partners, priority areas,
the calls' criteria and the per-criterion means.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import xlsxwriter
from django.utils import timezone

from . import rules, selectors
from .models import Application, ReviewCriterion

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell_safe(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe when it could start a formula."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@dataclass(frozen=True)
class Export:
    headers: list[str]
    rows: list[list]  # str, Decimal, int, datetime or None


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
    "Submitted at (UK)",
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
                timezone.localtime(a.submitted_at, rules.UK).replace(tzinfo=None) if a.submitted_at else None,
                a.review_count,
                a.mean_score,
                a.score_spread,
                *[by_title.get(t) for t in titles],
            ]
        )
    return Export(headers=BASE_HEADERS + [f"Mean: {t}" for t in titles], rows=rows)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    return cell_safe(value)


def applications_csv(queryset) -> str:
    export = applications_export(queryset)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell_safe(h) for h in export.headers])
    for row in export.rows:
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue()


def applications_xlsx(queryset) -> bytes:
    export = applications_export(queryset)
    out = io.BytesIO()
    # Never turn text into formulas, links or numbers: each cell is written with its own type below.
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet("Applications")
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    score = workbook.add_format({"num_format": "0.00"})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, header in enumerate(export.headers):
        sheet.write_string(0, col, cell_safe(header), bold)
    money_cols = {BASE_HEADERS.index("Amount requested (£)"), BASE_HEADERS.index("Amount awarded (£)")}
    for r, row in enumerate(export.rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, col, None)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, col, value, when)
            elif isinstance(value, Decimal):
                sheet.write_number(r, col, float(value), money if col in money_cols else score)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, cell_safe(value))
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, len(export.headers) - 1, 20)
    workbook.close()
    return out.getvalue()
