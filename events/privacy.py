"""The events app's part in a person's data rights: their bookings.

Reached by `crossector.core.privacy` through its APP_PROVIDERS list; docs/privacy.md explains the choices.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from crossector.core.models import User
from crossector.core.privacy import Held, Summary
from crossector.core.retention import retention_cutoff, retention_period
from hubs.privacy import event_digests_erase

from .models import Booking
from .services import REQUIREMENTS_CLEARED, booking_cancel

# No link to the person, and none of what they told us (requirements, consents and when they gave them).
ANONYMISED = {"user": None, **REQUIREMENTS_CLEARED}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_for(user: User) -> dict:
    """Every booking the person made, with what they told us for it. One query."""
    bookings = Booking.objects.filter(user=user).select_related("event").order_by("created_at", "pk")
    return {
        "bookings": [
            {
                "event": b.event.title,
                "event_starts_at": _iso(b.event.starts_at),
                "status": b.get_status_display(),
                "sector_when_booked": b.get_sector_display() if b.sector else "",
                "dietary_requirements": b.dietary_requirements,
                "access_requirements": b.access_requirements,
                "access_requirements_consent_given_at": _iso(b.access_requirements_consent_at),
                "appear_on_attendee_list": b.attendee_list_consent,
                "attendee_list_consent_given_at": _iso(b.attendee_list_consent_at),
                "booked_at": _iso(b.created_at),
                "promoted_from_waiting_list_at": _iso(b.promoted_at),
                "cancelled_at": _iso(b.cancelled_at),
                "checked_in_at": _iso(b.attended_at),
            }
            for b in bookings
        ]
    }


def _future_active(user: User, now: datetime):
    return Booking.objects.filter(user=user, event__starts_at__gt=now).exclude(status=Booking.Status.CANCELLED)


def erasure_preview(user: User, *, now: datetime | None = None) -> Summary:
    now = now or timezone.now()
    summary = Summary()
    upcoming = _future_active(user, now).count()
    if upcoming:
        summary.erased.append(
            f"Your {upcoming} booking{'s' if upcoming != 1 else ''} for events that have not started yet will be "
            "cancelled, and the places offered to people on the waiting list."
        )
    return summary


def held() -> list[Held]:
    """What deletion erases and keeps of bookings (see `Held`); the download has every booking."""
    return [
        Held(
            Held.ERASED,
            "Your bookings for events that have not started",
            "cancelled, and the places offered to people on the waiting list.",
            (),
        ),
        Held(
            Held.ERASED,
            "Your dietary and access requirements, and your consents",
            "from every booking, with the times you gave them.",
            (),
        ),
        Held(
            Held.KEPT,
            "Your bookings",
            "they stay in our event statistics (sector, status and attendance) with nothing that links them to you.",
            (),
        ),
    ]


def erase_for(user: User, *, now: datetime) -> Summary:
    """Cancel bookings for events that have not started (through `booking_cancel`, which promotes the waiting
    list), then anonymise every booking: no link to the person, no requirements, off the attendee list.

    Sector, status and attendance stay, so event statistics still add up.
    """
    summary = erasure_preview(user, now=now)
    for booking in _future_active(user, now).order_by("pk"):
        booking_cancel(booking=booking, now=now)
    # Other attendees' "people to meet" emails for these events may name the person.
    event_digests_erase(event_ids=list(Booking.objects.filter(user=user).values_list("event_id", flat=True)))
    Booking.objects.filter(user=user).update(**ANONYMISED)
    return summary


def retention_sweep(*, now: datetime) -> dict[str, int]:
    """Bookings for events that ended more than RETENTION_BOOKING_MONTHS ago are anonymised (one UPDATE)."""
    cutoff = retention_cutoff(now=now, period=retention_period("bookings"))
    anonymised = (
        Booking.objects.filter(event__ends_at__lt=cutoff)
        .filter(Q(user__isnull=False) | ~Q(dietary_requirements="") | ~Q(access_requirements=""))
        .update(**ANONYMISED)
    )
    return {"bookings_anonymised": anonymised}
