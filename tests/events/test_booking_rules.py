from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from crossector.core.models import OutboundEmail
from crossector.core.vocabulary import Sector
from events import services
from events.models import Booking, Event
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def book(event, user=None, **kwargs):
    return services.booking_create(event=event, user=user or person(), **kwargs)


def test_booking_is_confirmed_and_records_the_profile_sector_and_answers(event):
    user = person(sector=Sector.INDUSTRY_SME)
    booking = book(
        event,
        user,
        dietary_requirements=" vegan ",
        access_requirements="Step-free access",
        access_requirements_consent=True,
        attendee_list_consent=True,
    )
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.sector == Sector.INDUSTRY_SME
    assert booking.dietary_requirements == "vegan"
    assert booking.access_requirements == "Step-free access"
    assert booking.attendee_list_consent is True


def test_full_event_puts_next_booking_on_waiting_list_in_arrival_order(event):
    book(event), book(event)
    first, second = book(event), book(event)
    assert [first.status, second.status] == [Booking.Status.WAITLISTED] * 2
    assert Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count() == 2


def test_full_event_without_waiting_list_refuses_and_writes_nothing(event):
    Event.objects.filter(pk=event.pk).update(waiting_list_enabled=False)
    book(event), book(event)
    with pytest.raises(services.BookingError) as error:
        book(event)
    assert error.value.code == "full"
    assert "fully booked" in error.value.message
    assert Booking.objects.filter(event=event).count() == 2


def test_unlimited_capacity_always_confirms():
    event = EventFactory(capacity=None)
    assert {book(event).status for _ in range(5)} == {Booking.Status.CONFIRMED}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": Event.Status.DRAFT}, "draft"),
        ({"status": Event.Status.CANCELLED}, "cancelled"),
        ({"starts_at": timezone.now() - timedelta(hours=1), "ends_at": timezone.now() + timedelta(hours=1)}, "started"),
        ({"booking_opens_at": timezone.now() + timedelta(days=1)}, "not_open"),
        ({"booking_closes_at": timezone.now() - timedelta(minutes=1)}, "closed"),
    ],
)
def test_booking_refused_outside_the_booking_window_writes_nothing(fields, code):
    event = EventFactory(**fields)
    with pytest.raises(services.BookingError) as error:
        book(event)
    assert error.value.code == code
    assert not Booking.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_booking_opens_exactly_at_opening_time():
    event = EventFactory(booking_opens_at=timezone.now() + timedelta(days=2))
    opens = event.booking_opens_at  # stored in whole minutes
    with time_machine.travel(opens - timedelta(seconds=1)), pytest.raises(services.BookingError):
        book(event)
    with time_machine.travel(opens):
        assert book(event).status == Booking.Status.CONFIRMED


def test_second_booking_by_same_person_is_refused_and_returns_the_first(event):
    user = person()
    first = book(event, user)
    with pytest.raises(services.BookingError) as error:
        book(event, user)
    assert error.value.code == "already_booked"
    assert error.value.booking == first
    assert Booking.objects.filter(event=event, user=user).count() == 1


def test_database_allows_only_one_active_booking_per_person_per_event(event):
    booking = BookingFactory(event=event)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(event=event, user=booking.user, status=Booking.Status.WAITLISTED)
    # A cancelled booking does not count, so the person can book again.
    BookingFactory(event=event, user=booking.user, status=Booking.Status.CANCELLED)
    services.booking_cancel(booking=booking)
    assert book(event, booking.user).status == Booking.Status.CONFIRMED


def test_cancelling_a_confirmed_place_promotes_the_first_person_waiting_at_once(event, on_commit):
    confirmed = book(event)
    book(event)
    first_waiting, second_waiting = book(event), book(event)
    with on_commit():
        promoted = services.booking_cancel(booking=confirmed)
    assert promoted == [first_waiting]
    first_waiting.refresh_from_db(), second_waiting.refresh_from_db(), confirmed.refresh_from_db()
    assert first_waiting.status == Booking.Status.CONFIRMED and first_waiting.promoted_at is not None
    assert second_waiting.status == Booking.Status.WAITLISTED
    assert confirmed.status == Booking.Status.CANCELLED and confirmed.cancelled_at is not None
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{first_waiting.pk}-promoted")
    assert email.to == first_waiting.user.email
    assert email.status == OutboundEmail.Status.SENT
    assert email.attachments[0]["filename"] == "event.ics"
    assert OutboundEmail.objects.filter(idempotency_key=f"booking-{confirmed.pk}-cancelled").exists()


def test_promotion_rolls_back_with_the_cancellation(event, monkeypatch):
    confirmed = book(event)
    book(event)
    waiting = book(event)

    def broken_email(**kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(services.emails, "booking_email", broken_email)
    with pytest.raises(RuntimeError):
        services.booking_cancel(booking=confirmed)
    confirmed.refresh_from_db(), waiting.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED
    assert waiting.status == Booking.Status.WAITLISTED


def test_leaving_the_waiting_list_promotes_nobody(event):
    book(event), book(event)
    waiting, behind = book(event), book(event)
    assert services.booking_cancel(booking=waiting) == []
    behind.refresh_from_db()
    assert behind.status == Booking.Status.WAITLISTED


def test_cancel_twice_is_harmless_and_cancel_after_start_is_refused(event):
    booking = book(event)
    services.booking_cancel(booking=booking)
    assert services.booking_cancel(booking=booking) == []
    other = book(event)
    with time_machine.travel(event.starts_at + timedelta(minutes=1)), pytest.raises(services.BookingError):
        services.booking_cancel(booking=other)
    other.refresh_from_db()
    assert other.status == Booking.Status.CONFIRMED


def test_raising_capacity_fills_places_from_the_waiting_list(event):
    book(event), book(event)
    waiting = book(event)
    Event.objects.filter(pk=event.pk).update(capacity=3)
    services.event_update_notify(event=event, changed_fields=["capacity"])
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED


def test_confirmation_and_waiting_list_emails_are_queued_once(event, on_commit):
    with on_commit():
        confirmed = book(event)
        book(event)
        waiting = book(event)
    confirmation = OutboundEmail.objects.get(idempotency_key=f"booking-{confirmed.pk}-confirmed")
    assert confirmation.subject == f"Your place is booked: {event.title}"
    assert confirmation.attachments[0]["mimetype"] == "text/calendar"
    waitlisted = OutboundEmail.objects.get(idempotency_key=f"booking-{waiting.pk}-waitlisted")
    assert "waiting list" in waitlisted.body_text
    assert waitlisted.attachments == []  # no calendar entry for a place they do not have
