"""Access requirements are health data (issue 21 item 2): taken only with explicit consent, whose time is
recorded; the person views, changes and withdraws them and their attendee-list consent from My bookings; a
cancelled booking keeps none of it, and no email or admin record keeps a copy."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from crossector.core.models import OutboundEmail
from events import services
from events.models import Booking
from hubs.network.selectors import event_attendee_profiles
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db

# Who, which characters, how much: one line, Welsh and accents, several lines, right at the 80-word limit.
REQUIREMENTS = [
    "Step-free access, please",
    "Dolen sain a sedd ger y drws, os gwelwch yn dda – Siân",
    "Wheelchair user.\nI need a quiet room\nand an accessible toilet nearby.",
    " ".join(["ramp"] * 80),
]


def book(client, event, **data):
    return client.post(reverse("events:book", args=[event.slug]), data)


def requirements_url(booking):
    return reverse("events:booking_requirements", args=[booking.pk])


def no_copy_anywhere(text: str):
    """Neither the outbox (text, HTML, attachments) nor the admin's log keeps the requirements."""
    for email in OutboundEmail.objects.all():
        assert text not in email.body_text + email.body_html + str(email.attachments) + email.subject
    assert not LogEntry.objects.filter(change_message__contains=text).exists()
    assert not LogEntry.objects.filter(object_repr__contains=text).exists()


def test_booking_form_states_the_consent_next_to_the_requirements_and_links_the_notice(client):
    client.force_login(person())
    html = client.get(reverse("events:book", args=[EventFactory().slug])).content.decode()
    requirements, consent, button = (
        html.index('name="access_requirements"'),
        html.index('name="access_requirements_consent"'),
        html.index('type="submit"'),
    )
    assert requirements < consent < button
    assert "I consent to the Academy using my access requirements" in html
    assert "may tell us about your health" in html
    notice = html.index(f'href="{reverse("privacy")}#what-we-collect"')
    assert consent < notice < button  # at the point of collection, not only in the footer


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_requirements_without_consent_are_refused_and_nothing_is_booked(client, text):
    client.force_login(person())
    event = EventFactory()
    response = book(client, event, access_requirements=text, dietary_requirements="Vegan")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "we can only keep them with your consent" in html
    assert text.split("\n")[0] in html  # what they typed is still there
    assert not Booking.objects.filter(event=event).exists()


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_consent_is_recorded_with_its_time(client, text):
    user = person()
    client.force_login(user)
    event = EventFactory()
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        assert book(client, event, access_requirements=text, access_requirements_consent="on").status_code == 302
    booking = Booking.objects.get(event=event, user=user)
    assert booking.access_requirements == text.strip()
    assert booking.access_requirements_consent_at == moment
    assert booking.attendee_list_consent is False and booking.attendee_list_consent_at is None


def test_no_requirements_records_no_consent_even_when_ticked_and_the_list_consent_has_its_time(client):
    user = person()
    client.force_login(user)
    event = EventFactory()
    book(client, event, access_requirements="   ", access_requirements_consent="on", attendee_list_consent="on")
    booking = Booking.objects.get(event=event, user=user)
    assert booking.access_requirements == "" and booking.access_requirements_consent_at is None
    assert booking.attendee_list_consent is True and booking.attendee_list_consent_at is not None


def test_the_service_refuses_requirements_without_consent_for_every_caller():
    with pytest.raises(services.BookingError) as refused:
        services.booking_create(event=EventFactory(), user=person(), access_requirements="Hearing loop")
    assert refused.value.code == "no_consent"
    booking = BookingFactory()
    with pytest.raises(services.BookingError):
        services.booking_requirements_change(
            booking=booking,
            dietary_requirements="",
            access_requirements="Hearing loop",
            access_requirements_consent=False,
            attendee_list_consent=False,
        )


def consented_booking(user, *, status=Booking.Status.CONFIRMED, text="Step-free access"):
    given = timezone.now() - timedelta(days=3)
    return BookingFactory(
        user=user,
        status=status,
        access_requirements=text,
        access_requirements_consent_at=given,
        dietary_requirements="Halal",
        attendee_list_consent=True,
        attendee_list_consent_at=given,
    )


@pytest.mark.parametrize("status", [Booking.Status.CONFIRMED, Booking.Status.WAITLISTED])
def test_my_bookings_links_to_a_page_that_shows_what_we_hold(client, status):
    user = person()
    booking = consented_booking(user, status=status)
    client.force_login(user)
    assert requirements_url(booking) in client.get(reverse("events:my_bookings")).content.decode()
    html = client.get(requirements_url(booking)).content.decode()
    assert "Step-free access" in html and "Halal" in html and "you consented on" in html
    assert "Withdraw consent and delete my access requirements" in html
    assert f'href="{reverse("privacy")}#what-we-collect"' in html


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_changing_the_requirements_replaces_them_and_keeps_the_consent_time(client, text):
    user = person()
    booking = consented_booking(user, text="Old requirement")
    given = booking.access_requirements_consent_at
    client.force_login(user)
    response = client.post(
        requirements_url(booking),
        {"access_requirements": text, "access_requirements_consent": "on", "dietary_requirements": "Halal"},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.access_requirements == text.strip()
    assert booking.access_requirements_consent_at == given
    # Unticked: they are off the attendee list, and the record of that consent goes with it.
    assert booking.attendee_list_consent is False and booking.attendee_list_consent_at is None
    no_copy_anywhere("Old requirement")


def test_changing_without_consent_is_refused_and_what_is_held_is_unchanged(client):
    user = person()
    booking = consented_booking(user)
    client.force_login(user)
    response = client.post(requirements_url(booking), {"access_requirements": "A new need"})
    assert response.status_code == 200 and "we can only keep them with your consent" in response.content.decode()
    booking.refresh_from_db()
    assert booking.access_requirements == "Step-free access" and booking.attendee_list_consent is True


@pytest.mark.parametrize("how", ["withdraw button", "blank requirements"])
def test_withdrawing_deletes_the_requirements_and_the_consent(client, how):
    user, other = person(), person()
    booking = consented_booking(user)
    BookingFactory(user=other, event=booking.event, attendee_list_consent=True)
    client.force_login(user)
    data = {"withdraw": "1"} if how == "withdraw button" else {"dietary_requirements": "Halal"}
    assert client.post(requirements_url(booking), data).status_code == 302
    booking.refresh_from_db()
    assert booking.access_requirements == "" and booking.access_requirements_consent_at is None
    assert booking.attendee_list_consent is False and booking.attendee_list_consent_at is None
    assert booking.dietary_requirements == "Halal"  # not health data given under consent
    assert user.pk not in [p.user_id for p in event_attendee_profiles(event=booking.event)]
    no_copy_anywhere("Step-free access")


def test_consent_given_again_after_withdrawal_gets_the_new_time(client):
    user = person()
    booking = consented_booking(user)
    client.force_login(user)
    client.post(requirements_url(booking), {"withdraw": "1"})
    later = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        client.post(requirements_url(booking), {"access_requirements": "Ramp", "access_requirements_consent": "on"})
    booking.refresh_from_db()
    assert booking.access_requirements_consent_at == later


@pytest.mark.parametrize("status", [Booking.Status.CONFIRMED, Booking.Status.WAITLISTED])
def test_cancelling_keeps_no_requirements_or_consents_and_no_copy(client, django_capture_on_commit_callbacks, status):
    user = person()
    booking = consented_booking(user, status=status, text="Needs a hearing loop")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("events:booking_cancel", args=[booking.pk])).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert (booking.access_requirements, booking.dietary_requirements) == ("", "")
    assert booking.access_requirements_consent_at is None
    assert booking.attendee_list_consent is False and booking.attendee_list_consent_at is None
    no_copy_anywhere("Needs a hearing loop")
    # Nothing left to change: the page says so rather than offering a form.
    response = client.get(requirements_url(booking))
    assert response.status_code == 302 and response["Location"] == reverse("events:my_bookings")


def test_nobody_else_can_see_or_change_a_persons_requirements(client):
    booking = consented_booking(person())
    client.force_login(person())
    assert client.get(requirements_url(booking)).status_code == 404
    assert client.post(requirements_url(booking), {"withdraw": "1"}).status_code == 404
    booking.refresh_from_db()
    assert booking.access_requirements == "Step-free access"
