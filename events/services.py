"""Writes for events and bookings. Every rule about places lives here.

Anything that consumes a place locks the event row first (SELECT ... FOR UPDATE inside
transaction.atomic), so two requests for the last place queue behind each other and the second
one counts the first one's booking.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from crossector.core.models import User
from hubs.selectors import hub_followers

from . import emails, selectors
from .models import Booking, Event
from .rules import MESSAGES, Availability, Window, booking_window, can_cancel

REMINDER_WINDOW = timedelta(hours=24)
REMINDER_BATCH = 500
# Fields whose change makes attendees' calendars wrong, so they are told.
NOTIFY_FIELDS = ("starts_at", "ends_at", "venue_name", "address", "online_url", "format")


class BookingError(Exception):
    """A booking the rules refuse, with a message fit to show the person."""

    def __init__(self, message: str, *, code: str, booking: Booking | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.booking = booking


def _event_for_update(event_id: int) -> Event:
    return Event.objects.select_for_update().get(pk=event_id)


def _places_taken(event: Event) -> int:
    return Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count()


def _places_taken_and_mine(event: Event, user: User) -> tuple[int, int | None]:
    """Read under the event's lock: confirmed places and the person's active booking id (a seam for tests)."""
    return selectors.places_taken_and_mine(event_id=event.pk, user_id=user.pk)


def booking_create(
    *,
    event: Event,
    user: User,
    dietary_requirements: str = "",
    access_requirements: str = "",
    access_requirements_consent: bool = False,
    attendee_list_consent: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book a place, or a place on the waiting list when the event is full.

    Rules: the event is published, booking is open and it has not started; one active booking per
    person per event (also a database constraint); confirmed bookings never exceed capacity; a full
    event without a waiting list refuses. The person's sector is recorded with the booking. Access
    requirements are kept only with explicit consent, whose time is recorded (`requirements_fields`).

    The event row is locked only for the checks and the two inserts (booking and outbox row): the email,
    whose templates and calendar file are the slow part, is rendered before the lock for the outcome an
    unlocked count predicts, and rendered again under the lock only if the prediction proved wrong or the
    event changed meanwhile. Places are always counted under the lock, whatever was predicted.
    """
    now = now or timezone.now()
    profile = getattr(user, "profile", None)
    fields = {
        "user": user,
        "sector": profile.sector if profile else "",
        **requirements_fields(
            booking=None,
            dietary_requirements=dietary_requirements,
            access_requirements=access_requirements,
            access_requirements_consent=access_requirements_consent,
            attendee_list_consent=attendee_list_consent,
            now=now,
        ),
        "created_at": now,
    }
    draft, rendered = None, None
    if booking_window(event, now=now) == Window.OPEN:
        taken = getattr(event, "confirmed_count", None)  # the event page's own count, when it came from there
        taken = _places_taken(event) if taken is None else taken
        predicted = Availability(event.capacity, taken, event.waiting_list_enabled)
        if not predicted.sold_out:
            draft = Booking(event=event, status=_status_for(predicted), **fields)
            rendered = emails.booking_email_render(booking=draft, kind=_kind_for(draft))
    with transaction.atomic():
        locked = _event_for_update(event.pk)
        window = booking_window(locked, now=now)
        if window != Window.OPEN:
            raise BookingError(MESSAGES[window], code=window)
        taken, existing_id = _places_taken_and_mine(locked, user)
        if existing_id:
            existing = Booking.objects.get(pk=existing_id)
            raise BookingError("You have already booked this event.", code="already_booked", booking=existing)
        availability = Availability(locked.capacity, taken, locked.waiting_list_enabled)
        if availability.sold_out:
            raise BookingError("Sorry, this event is fully booked.", code="full")
        booking = Booking.objects.create(event=locked, status=_status_for(availability), **fields)
        if draft is None or draft.status != booking.status or _changed(locked, since=event):
            rendered = None  # booking_email renders it again, for what actually happened
        emails.booking_email(booking=booking, kind=_kind_for(booking), rendered=rendered)
    return booking


# What a cancelled booking, or withdrawn consent, leaves of what the person told us: nothing.
REQUIREMENTS_CLEARED = {
    "dietary_requirements": "",
    "access_requirements": "",
    "access_requirements_consent_at": None,
    "attendee_list_consent": False,
    "attendee_list_consent_at": None,
}
NO_CONSENT = (
    "Your access requirements tell us about your health, so we can only keep them with your consent. Tick the "
    "box to consent, or leave the requirements blank."
)


def requirements_fields(
    *,
    booking: Booking | None,
    dietary_requirements: str,
    access_requirements: str,
    access_requirements_consent: bool,
    attendee_list_consent: bool,
    now: datetime,
) -> dict:
    """The booking's requirements and consents as the person now states them, with nothing superseded kept.

    Rules: access requirements (special category data: they reveal health) are stored only with explicit
    consent, and the time of that consent is recorded; no requirements, or no consent, stores neither.
    Consent already given keeps its time while the person keeps giving it; given again after withdrawal, it
    gets the new time. The attendee-list consent is recorded the same way.
    """
    access = access_requirements.strip()
    if access and not access_requirements_consent:
        raise BookingError(NO_CONSENT, code="no_consent")
    given_access = booking.access_requirements_consent_at if booking else None
    given_list = booking.attendee_list_consent_at if booking else None
    return {
        "dietary_requirements": dietary_requirements.strip(),
        "access_requirements": access,
        "access_requirements_consent_at": (given_access or now) if access else None,
        "attendee_list_consent": attendee_list_consent,
        "attendee_list_consent_at": (given_list or now) if attendee_list_consent else None,
    }


def booking_requirements_change(
    *,
    booking: Booking,
    dietary_requirements: str,
    access_requirements: str,
    access_requirements_consent: bool,
    attendee_list_consent: bool,
    now: datetime | None = None,
) -> Booking:
    """The person changes, or withdraws, what they told us with a booking: dietary and access requirements
    and whether they appear on the attendee list. The old values are overwritten, never kept.

    A cancelled booking holds none of these (`booking_cancel` clears them), so it cannot be changed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status == Booking.Status.CANCELLED:
            raise BookingError("This booking is cancelled, so we hold no requirements for it.", code="cancelled")
        fields = requirements_fields(
            booking=locked,
            dietary_requirements=dietary_requirements,
            access_requirements=access_requirements,
            access_requirements_consent=access_requirements_consent,
            attendee_list_consent=attendee_list_consent,
            now=now,
        )
        Booking.objects.filter(pk=locked.pk).update(**fields)
    booking.refresh_from_db()
    return booking


def booking_consents_withdraw(*, booking: Booking) -> Booking:
    """Withdraw both consents at once: the access requirements and their consent go, and the person leaves
    the attendee list. Dietary requirements are not health data given under consent, so they stay."""
    return booking_requirements_change(
        booking=booking,
        dietary_requirements=booking.dietary_requirements,
        access_requirements="",
        access_requirements_consent=False,
        attendee_list_consent=False,
    )


def _status_for(availability: Availability) -> str:
    return Booking.Status.WAITLISTED if availability.next_booking_waits else Booking.Status.CONFIRMED


def _kind_for(booking: Booking) -> str:
    return "booking_confirmed" if booking.status == Booking.Status.CONFIRMED else "booking_waitlisted"


def _changed(locked: Event, *, since: Event) -> bool:
    """Did the event change between the unlocked read and the lock (so an email rendered from it is stale)?"""
    return locked.updated_at != since.updated_at or locked.calendar_sequence != since.calendar_sequence


def _promote_waiting(event: Event, *, now: datetime) -> list[Booking]:
    """Fill free places from the waiting list in arrival order. The caller holds the event lock."""
    if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
        return []
    waiting = (
        Booking.objects.select_for_update(of=("self",))
        .filter(event=event, status=Booking.Status.WAITLISTED)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )
    if event.capacity is not None:
        free = event.capacity - _places_taken(event)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    for booking in promoted:
        booking.status = Booking.Status.CONFIRMED
        booking.promoted_at = now
        booking.save(update_fields=["status", "promoted_at"])
        emails.booking_email(booking=booking, kind="booking_promoted")
    return promoted


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> list[Booking]:
    """Cancel a booking (allowed until the event starts) and, in the same transaction, promote the
    first person waiting into the freed place. Returns the bookings promoted. Cancelling twice is harmless.
    A confirmed place was in the person's calendar: the email carries a calendar cancellation for it."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _event_for_update(booking.event_id)
        booking = Booking.objects.select_for_update(of=("self",)).select_related("user__profile").get(pk=booking.pk)
        booking.event = event
        if booking.status == Booking.Status.CANCELLED:
            return []
        if not can_cancel(event, now=now):
            raise BookingError("This event has started, so the booking can no longer be cancelled.", code="started")
        was_confirmed = booking.status == Booking.Status.CONFIRMED
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        # A cancelled booking keeps no requirements or consents: nothing needs them any more.
        for name, value in REQUIREMENTS_CLEARED.items():
            setattr(booking, name, value)
        booking.save(update_fields=["status", "cancelled_at", *REQUIREMENTS_CLEARED])
        if was_confirmed:
            # The person's calendar has the event: the cancellation file needs a SEQUENCE above the one they
            # hold (+1), and a later booking's file one above the cancellation (+2), or calendars ignore it.
            Event.objects.filter(pk=event.pk).update(calendar_sequence=F("calendar_sequence") + 2)
            event.calendar_sequence += 2
        emails.booking_email(booking=booking, kind="booking_cancelled", calendar_cancel=was_confirmed)
        return _promote_waiting(event, now=now) if was_confirmed else []


def event_publish(*, event: Event, now: datetime | None = None) -> Event:
    """Publish a draft and email the hub's followers once about the new event."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _event_for_update(event.pk)
        if event.status == Event.Status.CANCELLED:
            raise BookingError("A cancelled event cannot be published again.", code="cancelled")
        if event.status == Event.Status.PUBLISHED:
            return event
        event.status = Event.Status.PUBLISHED
        event.published_at = now
        event.save(update_fields=["status", "published_at", "updated_at"])
        if event.hub_id and event.starts_at > now:
            for follow in hub_followers(hub=event.hub):
                emails.new_event_email(event=event, follow=follow)
    return event


def event_cancel(*, event: Event, now: datetime | None = None) -> int:
    """Cancel an event and email everyone booked or waiting. Returns how many were told."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _event_for_update(event.pk)
        if event.status == Event.Status.CANCELLED:
            return 0
        was_published = event.status == Event.Status.PUBLISHED
        event.status = Event.Status.CANCELLED
        event.cancelled_at = now
        event.calendar_sequence = F("calendar_sequence") + 1
        event.save(update_fields=["status", "cancelled_at", "calendar_sequence", "updated_at"])
        event.refresh_from_db()
        if not was_published:
            return 0
        bookings = _active_bookings(event)
        for booking in bookings:
            emails.booking_email(booking=booking, kind="event_cancelled")
        return len(bookings)


def _active_bookings(event: Event) -> list[Booking]:
    return list(
        # Anonymised bookings (the person deleted their account) have no one to tell.
        Booking.objects.filter(event=event, user__isnull=False)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("user__profile", "event")
        .order_by("created_at", "pk")
    )


def event_update_notify(*, event: Event, changed_fields: Iterable[str], now: datetime | None = None) -> int:
    """After staff change a published event: if its time or place changed, bump the calendar
    sequence and email everyone booked or waiting with the new details. Also fills any places a
    capacity increase freed. Returns how many were told of the change."""
    now = now or timezone.now()
    changed = set(changed_fields)
    with transaction.atomic():
        event = _event_for_update(event.pk)
        if event.status != Event.Status.PUBLISHED:
            return 0
        if changed & {"capacity", "waiting_list_enabled"}:
            _promote_waiting(event, now=now)
        if not changed & set(NOTIFY_FIELDS) or now >= event.ends_at:
            return 0
        Event.objects.filter(pk=event.pk).update(calendar_sequence=F("calendar_sequence") + 1)
        event.refresh_from_db()
        bookings = _active_bookings(event)
        for booking in bookings:
            emails.booking_email(booking=booking, kind="event_changed", key_suffix=f"-{event.calendar_sequence}")
        return len(bookings)


def reminder_key_suffix(event: Event) -> str:
    """One day-before reminder per booking per start time: the start, in UTC, is part of the outbox key."""
    return f"-{event.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def reminders_send_due(*, now: datetime | None = None, limit: int = REMINDER_BATCH) -> int:
    """Queue the day-before reminder for every confirmed booking of a published event that starts
    within the next 24 hours, exactly once per booking and start time.

    Exactly once holds however the sweep runs: rows are claimed with FOR UPDATE SKIP LOCKED so two
    sweeps at the same moment take different rows; reminder_sent_at is set in the same transaction
    as the outbox row; and the outbox key "booking-<id>-reminder-<start>" is unique, so even a repeat
    that slipped past both would not write a second email. A late sweep still sends, as long as the
    event has not started.

    A mark older than the day before the event's current start was for an earlier date: the event has
    been moved later since, so the reminder for the new date is still owed. The rule reads the mark
    against the start, so it holds however the start changed (admin, service, shell). Moving an event
    earlier leaves the mark, which then falls inside the new window: nobody is reminded twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(reminder_sent_at__isnull=True) | Q(reminder_sent_at__lt=F("event__starts_at") - REMINDER_WINDOW),
                status=Booking.Status.CONFIRMED,
                event__status=Event.Status.PUBLISHED,
                event__starts_at__gt=now,
                event__starts_at__lte=now + REMINDER_WINDOW,
            )
            .select_related("event", "user__profile")
            .order_by("event__starts_at", "pk")[:limit]
        )
        for booking in due:
            emails.booking_email(
                booking=booking, kind="booking_reminder", key_suffix=reminder_key_suffix(booking.event)
            )
        Booking.objects.filter(pk__in=[b.pk for b in due]).update(reminder_sent_at=now)
    return len(due)


def attendance_mark(*, bookings: QuerySet[Booking], attended: bool, now: datetime | None = None) -> int:
    """Mark confirmed bookings as attended (or not). Waiting and cancelled bookings are left alone."""
    now = now or timezone.now()
    qs = bookings.filter(status=Booking.Status.CONFIRMED)
    if attended:
        return qs.filter(attended_at__isnull=True).update(attended_at=now)
    return qs.update(attended_at=None)


def booking_check_in(*, booking: Booking, now: datetime | None = None) -> Booking:
    """Check a confirmed attendee in at the door. Checking in twice keeps the first time."""
    now = now or timezone.now()
    if booking.status != Booking.Status.CONFIRMED:
        raise BookingError("Only people with a confirmed place can be checked in.", code="not_confirmed")
    Booking.objects.filter(pk=booking.pk, attended_at__isnull=True).update(attended_at=now)
    booking.refresh_from_db(fields=["attended_at"])
    return booking


def attendees_email(*, event: Event, subject: str, message: str, include_waiting: bool = False) -> int:
    """Email the event's confirmed attendees (and optionally those waiting) through the outbox."""
    statuses = [Booking.Status.CONFIRMED] + ([Booking.Status.WAITLISTED] if include_waiting else [])
    batch = uuid.uuid4().hex[:12]
    with transaction.atomic():
        bookings = list(
            Booking.objects.filter(event=event, status__in=statuses, user__isnull=False).select_related(
                "user__profile", "event"
            )
        )
        for booking in bookings:
            emails.attendee_message_email(booking=booking, subject=subject, message=message, batch=batch)
    return len(bookings)
