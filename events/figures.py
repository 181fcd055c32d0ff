"""Programme figures about events, attendance and connections for the staff dashboard: read-only aggregates.

An event's people are those holding a confirmed booking for it (checked in or not: not every event
records check-in). A network connection counts for an event when it is accepted and both people are
among the event's people; for a hub when both people belong to the hub: each follows it or holds a
confirmed booking for one of its events. See docs/dashboard.md.
"""

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from hubs.models import Hub, HubFollow
from hubs.network.models import ConnectionRequest

from .models import Booking, Event

CONFIRMED = Booking.Status.CONFIRMED


def _count(qs):
    """`qs` as a scalar subquery counting its rows (no GROUP BY, so one row per outer row)."""
    return Coalesce(
        Subquery(qs.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n"), output_field=IntegerField()),
        Value(0),
    )


def _accepted_between(people):
    return ConnectionRequest.objects.filter(
        status=ConnectionRequest.Status.ACCEPTED, sender_id__in=people, recipient_id__in=people
    )


def events_with_attendance(*, limit: int = 20) -> list[Event]:
    """The `limit` latest events that are not drafts, newest first, annotated with `confirmed`,
    `waitlisted`, `checked_in` (confirmed and checked in) and `connections` (see the module docstring)."""
    people = Booking.objects.filter(event_id=OuterRef(OuterRef("pk")), status=CONFIRMED).values("user_id")
    return list(
        Event.objects.exclude(status=Event.Status.DRAFT)
        .select_related("hub")
        .order_by("-starts_at", "-id")
        .annotate(
            confirmed=Count("bookings", filter=Q(bookings__status=CONFIRMED)),
            waitlisted=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
            checked_in=Count("bookings", filter=Q(bookings__status=CONFIRMED, bookings__attended_at__isnull=False)),
            connections=_count(_accepted_between(people)),
        )[:limit]
    )


def attendance_totals() -> dict[str, int]:
    """Across every event that is not a draft: events, confirmed places, check-ins and the waiting list."""
    totals = Booking.objects.exclude(event__status=Event.Status.DRAFT).aggregate(
        confirmed=Count("id", filter=Q(status=CONFIRMED)),
        checked_in=Count("id", filter=Q(status=CONFIRMED, attended_at__isnull=False)),
        waitlisted=Count("id", filter=Q(status=Booking.Status.WAITLISTED)),
        events=Count("event_id", distinct=True),
    )
    return totals


def attendee_sectors_count() -> dict[str, tuple[int, int]]:
    """Confirmed bookings and check-ins per sector (the sector the person gave when booking)."""
    rows = (
        Booking.objects.filter(status=CONFIRMED)
        .exclude(event__status=Event.Status.DRAFT)
        .order_by()
        .values_list("sector")
        .annotate(confirmed=Count("id"), checked_in=Count("id", filter=Q(attended_at__isnull=False)))
    )
    return {sector: (confirmed, checked_in) for sector, confirmed, checked_in in rows}


def hub_connections_count() -> dict[int, int]:
    """Accepted connections between two people of the same hub, per hub id (see the module docstring)."""
    hub = OuterRef(OuterRef("pk"))
    followers = HubFollow.objects.filter(hub_id=hub).values("user_id")
    attendees = Booking.objects.filter(event__hub_id=hub, status=CONFIRMED).values("user_id")
    connections = ConnectionRequest.objects.filter(status=ConnectionRequest.Status.ACCEPTED).filter(
        Q(sender_id__in=followers) | Q(sender_id__in=attendees),
        Q(recipient_id__in=followers) | Q(recipient_id__in=attendees),
    )
    return dict(Hub.objects.annotate(connections=_count(connections)).values_list("pk", "connections"))


def bookings_count_by_status() -> dict[str, int]:
    """Bookings of every event counted per status (confirmed, waitlisted, cancelled), for the metrics endpoint."""
    rows = Booking.objects.order_by().values_list("status").annotate(n=Count("id"))
    counted = dict.fromkeys(Booking.Status.values, 0)
    counted.update(dict(rows))
    return counted
