"""Attendee exports. The file itself (UK time, byte-order mark, formula safety) is crossector.core.exports'."""

from collections.abc import Iterable

from django.http import HttpResponse

from crossector.core.exports import csv_response

from .models import Booking

HEADER = [
    "Name",
    "Email",
    "Organisation",
    "Job title",
    "Sector",
    "Status",
    "Booked at (UK time)",
    "Dietary requirements",
    "Access requirements",
    "On attendee list",
    "Checked in at (UK time)",
    "Event",
]


def attendee_rows(bookings: Iterable[Booking]) -> Iterable[list]:
    for b in bookings:
        profile = getattr(b.user, "profile", None)
        yield [
            profile.full_name if profile else "",
            b.user.email if b.user else "(account deleted)",
            profile.organisation if profile else "",
            profile.job_title if profile else "",
            b.get_sector_display(),
            b.get_status_display(),
            b.created_at,
            b.dietary_requirements,
            b.access_requirements,
            b.attendee_list_consent,
            b.attended_at,
            b.event.title,
        ]


def attendees_csv_response(bookings: Iterable[Booking], *, filename: str) -> HttpResponse:
    return csv_response(filename=filename, header=HEADER, rows=attendee_rows(bookings))
