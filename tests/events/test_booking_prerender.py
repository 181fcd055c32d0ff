"""booking_create renders its email before locking the event; what it queues must still match what happened."""

import pytest
from django.utils import timezone

from crossector.core.models import OutboundEmail
from events import services
from events.models import Booking, Event
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def test_stale_count_predicting_a_place_still_waitlists_and_sends_the_waiting_list_email():
    event = EventFactory(capacity=1, title="Cell therapy morning")
    stale = Event.objects.get(pk=event.pk)
    stale.confirmed_count = 0  # what the page counted a moment ago
    Booking.objects.create(event=event, user=person(), status=Booking.Status.CONFIRMED)

    booking = services.booking_create(event=stale, user=person())

    assert booking.status == Booking.Status.WAITLISTED
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-waitlisted")
    assert email.subject == "You are on the waiting list: Cell therapy morning" and email.attachments == []
    assert not OutboundEmail.objects.filter(idempotency_key=f"booking-{booking.pk}-confirmed").exists()


def test_event_changed_between_the_read_and_the_lock_is_emailed_as_it_is_now():
    event = EventFactory(capacity=10, title="Imaging in Cardiff")
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(title="Imaging in Swansea", updated_at=timezone.now())

    booking = services.booking_create(event=stale, user=person())

    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert email.subject == "Your place is booked: Imaging in Swansea"
    assert "Imaging in Swansea" in email.body_text and "Imaging in Cardiff" not in email.body_text


def test_predicted_confirmation_is_queued_with_the_calendar_file():
    event = EventFactory(capacity=10, title="Genomics lunch")
    booking = services.booking_create(event=event, user=person())
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert email.subject == "Your place is booked: Genomics lunch"
    assert [a["filename"] for a in email.attachments] == ["event.ics"]
