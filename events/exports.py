"""Attendee exports. Every cell is made safe against spreadsheet formula injection."""

import csv
import io
from collections.abc import Iterable

from .models import Booking

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")

HEADER = [
    "Name",
    "Email",
    "Organisation",
    "Job title",
    "Sector",
    "Status",
    "Booked at",
    "Dietary requirements",
    "Access requirements",
    "On attendee list",
    "Checked in at",
    "Event",
]


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def attendees_csv(bookings: Iterable[Booking]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for b in bookings:
        profile = getattr(b.user, "profile", None)
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    profile.full_name if profile else "",
                    b.user.email if b.user else "(account deleted)",
                    profile.organisation if profile else "",
                    profile.job_title if profile else "",
                    b.get_sector_display(),
                    b.get_status_display(),
                    b.created_at.strftime("%Y-%m-%d %H:%M"),
                    b.dietary_requirements,
                    b.access_requirements,
                    "yes" if b.attendee_list_consent else "no",
                    b.attended_at.strftime("%Y-%m-%d %H:%M") if b.attended_at else "",
                    b.event.title,
                )
            ]
        )
    return out.getvalue()
