"""The one place that turns rows into a spreadsheet file staff can open safely: every CSV and Excel export uses it.

It owns three rules, so no export restates them:

- **UK time.** An aware datetime is written as UK wall-clock time (Europe/London: GMT in winter, BST in
  summer) in one format, ``YYYY-MM-DD HH:MM``; headers say "(UK time)", the one way the zone is said
  (crossector.core.dates.ZONE). Dates are ``YYYY-MM-DD``.
- **Excel reads the encoding.** A CSV file starts with a UTF-8 byte-order mark, without which Excel decodes
  it as Windows-1252 and "Siân" arrives as "SiÃ¢n".
- **No cell runs as a formula** (OWASP "CSV injection"). Text whose first character, after any leading
  whitespace, is one of ``= + - @ | %`` or their fullwidth forms ``＝ ＋ － ＠ ｜ ％`` (which some spreadsheet
  locales turn into the ASCII ones), or which starts with a tab, carriage return or line feed, gets a
  leading apostrophe: spreadsheets show it as text, and a person reading the file sees the value unchanged
  after it. Numbers are written as numbers and are not prefixed, so "-3" typed as text is safe while a
  Decimal -3 stays a number. Excel files are written cell by cell with their own types, never as formulas.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone

UK = ZoneInfo("Europe/London")
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text, links and numbers in strings stay what they are: each cell is written with its own type.
XLSX_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

FORMULA_STARTS = frozenset("=+-@|%＝＋－＠｜％")
CONTROL_STARTS = ("\t", "\r", "\n")


def cell_text(value) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe when it could start a formula."""
    text = "" if value is None else str(value)
    stripped = text.lstrip()
    if text.startswith(CONTROL_STARTS) or (stripped and stripped[0] in FORMULA_STARTS):
        return "'" + text
    return text


def uk_datetime(moment: datetime) -> datetime:
    """UK wall-clock time without a zone (what a spreadsheet cell holds). A naive value is taken as UK time."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment, UK)
    return moment.replace(tzinfo=None)


def csv_cell(value) -> str:
    """One value as it appears in every CSV: UK time, plain numbers, yes/no, formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return uk_datetime(value).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int | float):
        return str(value)
    return cell_text(value)


def csv_content(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The file: byte-order mark, then the header and rows, each cell through `csv_cell`."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([cell_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download: the only way the portal sends one."""
    return attachment(csv_content(header, rows), filename=filename, content_type=CSV_CONTENT_TYPE)


def xlsx_write(sheet, row: int, col: int, value, *, when, number=None) -> None:
    """One Excel cell by type: blank, UK date-time, number (`number` formats Decimals), or formula-safe text."""
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, uk_datetime(value), when)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, int):
        sheet.write_number(row, col, value)
    elif isinstance(value, Decimal | float):
        sheet.write_number(row, col, float(value), number)
    else:
        sheet.write_string(row, col, cell_text(value))
