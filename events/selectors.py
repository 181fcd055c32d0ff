"""Reads shaped for the events pages. Each list runs a fixed number of queries however many rows."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crossector.core.caching import pages_version
from crossector.core.dates import format_datetime
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Sector
from hubs.models import Hub

from .models import Booking, Event
from .rules import Availability, Window, booking_window, can_cancel

LONDON = ZoneInfo("Europe/London")
CONFIRMED = Q(bookings__status=Booking.Status.CONFIRMED)


def _confirmed_count():
    """Confirmed places per event as a correlated subquery: PostgreSQL counts them only for the rows a page
    shows (after LIMIT), through booking_event_status_idx. A JOIN + GROUP BY counted every booking of every
    matching event first, so the list slowed down as events and bookings grew."""
    confirmed = (
        Booking.objects.filter(event=OuterRef("pk"), status=Booking.Status.CONFIRMED)
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(confirmed, output_field=IntegerField()), 0)


def _with_places(qs: QuerySet[Event]) -> QuerySet[Event]:
    return (
        qs.select_related("hub")
        .prefetch_related(Prefetch("priority_areas", queryset=PriorityArea.objects.order_by("id")))
        .annotate(confirmed_count=_confirmed_count())
    )


def availability(event: Event) -> Availability:
    confirmed = getattr(event, "confirmed_count", None)
    if confirmed is None:
        confirmed = event.bookings.filter(status=Booking.Status.CONFIRMED).count()
    return Availability(event.capacity, confirmed, event.waiting_list_enabled)


def event_badge(event: Event, *, now: datetime) -> tuple[str, str] | None:
    """("N places left" | "Waiting list" | "Fully booked" | ..., css modifier) for cards."""
    if event.status == Event.Status.CANCELLED:
        return "Cancelled", "cancelled"
    if event.ends_at <= now:
        return None
    places = availability(event)
    if places.sold_out:
        return "Fully booked", "full"
    if places.next_booking_waits:
        return "Waiting list", "waiting"
    if places.places_left is not None:
        left = places.places_left
        return f"{left} place{'s' if left != 1 else ''} left", "open"
    return None


def published_events() -> QuerySet[Event]:
    return Event.objects.filter(status=Event.Status.PUBLISHED)


def event_list(
    *,
    past: bool = False,
    hub: Hub | None = None,
    area: PriorityArea | None = None,
    format: str = "",
    month: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Event]:
    now = now or timezone.now()
    qs = published_events()
    if past:
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    else:
        # The floor is redundant for the answer but lets the (status, starts_at) index start near the first
        # unfinished event instead of walking past every event that has ended.
        qs = qs.filter(ends_at__gt=now, starts_at__gte=_upcoming_floor(now)).order_by("starts_at", "pk")
    if hub:
        qs = qs.filter(hub=hub)
    if area:
        qs = qs.filter(priority_areas=area)
    if format:
        qs = qs.filter(format=format)
    if month:
        start = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=LONDON)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        qs = qs.filter(starts_at__gte=start, starts_at__lt=end)
    return _with_places(qs)


def _upcoming_floor(now: datetime) -> datetime:
    """The earliest start among published events not yet ended: no unfinished event starts before it.

    Kept in the cache under the public pages' version, like the month filter. A stale value is still a
    floor, because events only leave the unfinished set as time passes, and any saved change to an event
    bumps the version. (A queryset `update()` bypasses the signals; PAGE_CACHE_SECONDS bounds that.)"""
    key = f"event-upcoming-floor:{pages_version()}"
    floor = cache.get(key)
    if floor is None:
        floor = published_events().filter(ends_at__gt=now).aggregate(first=Min("starts_at"))["first"] or now
        cache.set(key, floor, settings.PAGE_CACHE_SECONDS)
    return floor


def event_list_count(*, queryset: QuerySet[Event], filters: dict) -> int:
    """The number of events in an event list, kept under the public pages' version for PAGE_CACHE_SECONDS:
    the paginator's COUNT(*) read every upcoming event on every signed-in view (7 ms at 5,000 upcoming).
    Between versions the count can include an event that has just ended, for at most PAGE_CACHE_SECONDS."""
    identity = repr(sorted((name, getattr(value, "pk", value)) for name, value in filters.items()))
    key = f"event-count:{pages_version()}:{hashlib.sha256(identity.encode()).hexdigest()}"
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, settings.PAGE_CACHE_SECONDS)
    return count


def event_months(*, past: bool = False, now: datetime | None = None) -> list[datetime]:
    """Months (UK time) that have published events, for the month filter.

    Finding them reads every upcoming (or past) event, so the answer is kept in the cache under the public
    pages' version (crossector/core/caching.py): any change to an event drops it, and it expires with the
    page cache, which bounds how late an event that has just ended leaves the list."""
    now = now or timezone.now()
    key = f"event-months:{pages_version()}:{'past' if past else 'upcoming'}"
    months = cache.get(key)
    if months is None:
        qs = published_events().filter(ends_at__lte=now) if past else published_events().filter(ends_at__gt=now)
        months = list(qs.datetimes("starts_at", "month", order="DESC" if past else "ASC", tzinfo=LONDON))
        cache.set(key, months, settings.PAGE_CACHE_SECONDS)
    return months


def event_list_for_home(*, limit: int = 3) -> list[Event]:
    return list(published_events().filter(starts_at__gt=timezone.now()).select_related("hub")[:limit])


def hub_events(*, hub: Hub, limit: int = 12, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """(upcoming, past) events of a hub for its page, each list bounded."""
    now = now or timezone.now()
    upcoming = list(event_list(hub=hub, now=now)[:limit])
    past = list(event_list(hub=hub, past=True, now=now)[:limit])
    return upcoming, past


def event_get_for_page(*, slug: str, user) -> Event:
    """A published or cancelled event; staff may preview drafts. Raises Event.DoesNotExist otherwise."""
    qs = _with_places(Event.objects.filter(slug=slug))
    if not (user.is_authenticated and user.is_staff):
        qs = qs.exclude(status=Event.Status.DRAFT)
    return qs.get()


def event_get_for_booking(*, slug: str, user) -> Event:
    """The event for the booking form with its hub, the confirmed count and, as `my_booking_id`, the person's
    active booking (or None). Lighter than the event page's read (no priority areas, no ORM subqueries),
    because a popular event's booking rush sends every request through here. Same visibility as the page."""
    qs = Event.objects.filter(slug=slug).select_related("hub")
    if not user.is_staff:
        qs = qs.exclude(status=Event.Status.DRAFT)
    event = qs.get()
    event.confirmed_count, event.my_booking_id = places_taken_and_mine(event_id=event.pk, user_id=user.pk)
    return event


_PLACES_SQL = """
    SELECT (SELECT count(*) FROM {booking} WHERE {event} = %s AND {status} = %s),
           (SELECT {id} FROM {booking} WHERE {event} = %s AND {user} = %s AND {status} <> %s LIMIT 1)
"""


def places_taken_and_mine(*, event_id: int, user_id: int) -> tuple[int, int | None]:
    """Confirmed places on an event and the person's active booking (its id, or None), in one round trip,
    each through its own index (booking_event_status_idx, one_active_booking_per_user_per_event).

    Plain SQL because it runs twice per booking, once under the event's lock, and building the same query
    with the ORM cost more CPU than everything else in the locked section together (bench/notes.md).
    Must be its own statement after the lock is taken: subqueries inside the locking SELECT would see the
    snapshot from before the wait and miss the bookings the transaction it waited for had just committed."""
    meta = Booking._meta
    quote = connection.ops.quote_name
    sql = _PLACES_SQL.format(
        booking=quote(meta.db_table),
        id=quote(meta.pk.column),
        event=quote(meta.get_field("event").column),
        user=quote(meta.get_field("user").column),
        status=quote(meta.get_field("status").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id, Booking.Status.CONFIRMED, event_id, user_id, Booking.Status.CANCELLED])
        taken, mine = cursor.fetchone()
    return taken, mine


def booking_for(*, event: Event, user) -> Booking | None:
    if not user.is_authenticated:
        return None
    return Booking.objects.filter(event=event, user=user).exclude(status=Booking.Status.CANCELLED).first()


@dataclass(frozen=True)
class Action:
    """The one thing the event page offers the person looking at it."""

    code: str  # book, join_waitlist, booked, waiting, not_open, closed, full, started, cancelled, draft
    message: str
    can_cancel: bool = False


def event_action(*, event: Event, booking: Booking | None, now: datetime | None = None) -> Action:
    now = now or timezone.now()
    if event.status == Event.Status.CANCELLED:
        return Action("cancelled", "This event has been cancelled.")
    if booking and booking.status == Booking.Status.CONFIRMED:
        return Action("booked", "You are booked.", can_cancel=can_cancel(event, now=now))
    if booking and booking.status == Booking.Status.WAITLISTED:
        return Action("waiting", "You are on the waiting list.", can_cancel=can_cancel(event, now=now))
    window = booking_window(event, now=now)
    if window == Window.DRAFT:
        return Action("draft", "This event is a draft and cannot be booked until it is published.")
    if window == Window.STARTED:
        return Action(
            "started",
            "This event has already taken place."
            if event.ends_at <= now
            else "This event has started, so booking has closed.",
        )
    if window == Window.NOT_OPEN:
        opens = timezone.localtime(event.booking_opens_at, LONDON)
        return Action("not_open", f"Booking opens on {format_datetime(opens)}.")
    if window == Window.CLOSED:
        return Action("closed", "Booking has closed.")
    places = availability(event)
    if places.sold_out:
        return Action("full", "This event is fully booked.")
    if places.next_booking_waits:
        return Action("join_waitlist", "This event is full. You can join the waiting list.")
    return Action("book", "Places are available.")


def attendee_list(*, event: Event) -> list[Booking]:
    """Confirmed attendees who agreed to appear on the list for networking."""
    return list(
        Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED, attendee_list_consent=True)
        .select_related("user__profile")
        .order_by("user__profile__full_name")
    )


def bookings_for_user(*, user, now: datetime | None = None) -> dict[str, list[Booking]]:
    """The person's bookings for "My bookings": upcoming, past (newest first) and cancelled ones for events
    still to come. One query, split here: the page is personal, so it is never cached, and three queries
    cost more than partitioning a person's bookings in Python."""
    now = now or timezone.now()
    rows = (
        Booking.objects.filter(user=user)
        .filter(~Q(status=Booking.Status.CANCELLED) | Q(event__ends_at__gt=now))
        .select_related("event__hub")
        .order_by("event__starts_at", "pk")
    )
    upcoming, past, cancelled = [], [], []
    for booking in rows:
        if booking.status == Booking.Status.CANCELLED:
            cancelled.append(booking)
        elif booking.event.ends_at > now:
            upcoming.append(booking)
        else:
            past.append(booking)
    past.sort(key=lambda booking: (-booking.event.starts_at.timestamp(), booking.pk))
    return {"upcoming": upcoming, "past": past, "cancelled": cancelled}


def booking_get_for_user(*, booking_id: int, user) -> Booking:
    """Someone else's booking does not exist as far as this person is concerned."""
    return Booking.objects.select_related("event").get(pk=booking_id, user=user)


def user_attended_hub_event(*, user, hub: Hub, now: datetime | None = None) -> bool:
    """True if the person was checked in at, or held a confirmed place for, a past event of the hub."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        return False
    return Booking.objects.filter(
        Q(attended_at__isnull=False) | Q(status=Booking.Status.CONFIRMED),
        user=user,
        event__hub=hub,
        event__status=Event.Status.PUBLISHED,
        event__ends_at__lte=now,
    ).exists()


def sector_mix(*, event: Event) -> list[dict]:
    """Confirmed attendees by the sector recorded with their booking, largest first."""
    rows = (
        Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED)
        .values("sector")
        .annotate(n=Count("pk"))
        .order_by("-n", "sector")
    )
    labels = dict(Sector.choices)
    rows = list(rows)
    total = sum(r["n"] for r in rows) or 1
    return [
        {"sector": labels.get(r["sector"], "Not given"), "count": r["n"], "percent": round(100 * r["n"] / total)}
        for r in rows
    ]


def check_in_list(*, event: Event, query: str = "") -> list[Booking]:
    qs = Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).select_related("user__profile")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(user__profile__full_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(user__profile__organisation__icontains=query)
        )
    return list(qs.order_by("user__profile__full_name", "pk")[:200])
