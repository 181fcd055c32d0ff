from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crossector.core.models import OutboundEmail
from events import services
from events.models import Booking, Event
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def book_url(event):
    return reverse("events:book", kwargs={"slug": event.slug})


def test_event_list_shows_upcoming_by_default_with_badges(client):
    EventFactory(title="Plenty of room", capacity=10)
    nearly = EventFactory(title="Nearly full", capacity=2)
    BookingFactory(event=nearly)
    full_wait = EventFactory(title="Full with queue", capacity=1)
    BookingFactory(event=full_wait)
    full = EventFactory(title="Sold out", capacity=1, waiting_list_enabled=False)
    BookingFactory(event=full)
    EventFactory(title="Long ago", starts_at=timezone.now() - timedelta(days=30))
    EventFactory(title="Secret draft", status=Event.Status.DRAFT)
    content = client.get(reverse("events:list")).content.decode()
    assert "10 places left" in content
    assert "1 place left" in content
    assert "Waiting list" in content
    assert "Fully booked" in content
    assert "Long ago" not in content and "Secret draft" not in content

    past = client.get(reverse("events:list"), {"when": "past"}).content.decode()
    assert "Long ago" in past and "Plenty of room" not in past


def test_event_list_filters_by_hub_area_format_and_month(client):
    wales, scotland = HubFactory(slug="wales", name="Wales hub"), HubFactory(slug="scotland", name="Scotland hub")
    start = timezone.now().replace(hour=10) + timedelta(days=40)
    EventFactory(title="Welsh in person", hub=wales, starts_at=start)
    online = EventFactory(title="Scottish online", hub=scotland, format=Event.Format.ONLINE, starts_at=start)
    from crossector.core.models import PriorityArea

    online.priority_areas.add(PriorityArea.objects.get(slug="genomics"))
    EventFactory(title="Later one", hub=wales, starts_at=start + timedelta(days=62))
    url = reverse("events:list")

    def titles(**params):
        content = client.get(url, params).content.decode()
        return {t for t in ("Welsh in person", "Scottish online", "Later one") if t in content}

    assert titles(hub="wales") == {"Welsh in person", "Later one"}
    assert titles(area="genomics") == {"Scottish online"}
    assert titles(format="online") == {"Scottish online"}
    assert titles(month=start.astimezone(timezone.get_default_timezone()).strftime("%Y-%m")) == {
        "Welsh in person",
        "Scottish online",
    }
    assert titles(hub="no-such-hub") == {"Welsh in person", "Scottish online", "Later one"}  # ignored, not an error


def test_event_list_paginates(client):
    for i in range(14):
        EventFactory(title=f"Event number {i:02d}", starts_at=timezone.now() + timedelta(days=10 + i))
    first = client.get(reverse("events:list")).content.decode()
    second = client.get(reverse("events:list"), {"page": 2}).content.decode()
    assert "Event number 00" in first and "Event number 12" not in first
    assert "Event number 12" in second and "Event number 13" in second
    assert "14 events" in first


@pytest.mark.parametrize(
    ("setup", "text"),
    [
        (lambda e: None, "Book a place"),
        (lambda e: BookingFactory.create_batch(2, event=e), "Join the waiting list"),
        (
            lambda e: Event.objects.filter(pk=e.pk).update(booking_opens_at=timezone.now() + timedelta(days=1)),
            "Booking not open yet",
        ),
        (
            lambda e: Event.objects.filter(pk=e.pk).update(booking_closes_at=timezone.now() - timedelta(days=1)),
            "Booking closed",
        ),
        (lambda e: Event.objects.filter(pk=e.pk).update(status=Event.Status.CANCELLED), "Event cancelled"),
        (
            lambda e: (
                Event.objects.filter(pk=e.pk).update(waiting_list_enabled=False),
                BookingFactory.create_batch(2, event=e),
            ),
            "Fully booked",
        ),
    ],
)
def test_event_page_offers_one_clear_action(client, event, setup, text):
    setup(event)
    content = client.get(event.get_absolute_url()).content.decode()
    assert text in content


def test_event_page_for_a_booked_person_says_so_and_shows_the_joining_link_only_to_them(client, user):
    event = EventFactory(format=Event.Format.ONLINE, online_url="https://meet.example.org/secret-room")
    BookingFactory(event=event, user=user)
    assert "secret-room" not in client.get(event.get_absolute_url()).content.decode()
    client.force_login(user)
    content = client.get(event.get_absolute_url()).content.decode()
    assert "You are booked" in content and "Cancel my booking" in content
    assert "https://meet.example.org/secret-room" in content
    waiting = person()
    client.force_login(waiting)
    BookingFactory(event=event, user=waiting, status=Booking.Status.WAITLISTED)
    assert "secret-room" not in client.get(event.get_absolute_url()).content.decode()


def test_draft_event_is_404_to_the_public(client):
    draft = EventFactory(status=Event.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("events:calendar", kwargs={"slug": draft.slug})).status_code == 404


def test_booking_page_needs_a_complete_profile(client):
    event = EventFactory()
    response = client.get(book_url(event))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(book_url(event))
    assert response.status_code == 302 and response["Location"].startswith(reverse("profile"))


def test_booking_through_the_page_confirms_and_emails(
    signed_in_client, user, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_client.post(
            book_url(event), {"dietary_requirements": "Vegetarian", "attendee_list_consent": "on"}, follow=True
        )
    assert "Your place is booked" in response.content.decode()
    booking = Booking.objects.get(event=event, user=user)
    assert booking.status == Booking.Status.CONFIRMED and booking.dietary_requirements == "Vegetarian"
    assert OutboundEmail.objects.filter(to=user.email, idempotency_key=f"booking-{booking.pk}-confirmed").exists()


def test_double_clicked_booking_makes_one_booking(signed_in_client, user, event):
    signed_in_client.post(book_url(event), {})
    response = signed_in_client.post(book_url(event), {}, follow=True)
    assert "already booked" in response.content.decode()
    assert Booking.objects.filter(event=event).count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": Event.Status.CANCELLED}, "This event has been cancelled."),
        (
            {"starts_at": timezone.now() - timedelta(days=2), "ends_at": timezone.now() - timedelta(days=1)},
            "This event has already taken place.",
        ),
        ({"booking_closes_at": timezone.now() - timedelta(hours=1)}, "Booking has closed."),
        ({"booking_opens_at": timezone.now() + timedelta(days=3)}, "Booking opens on"),
    ],
)
def test_booking_an_event_that_cannot_be_booked_explains_why_and_writes_nothing(signed_in_client, fields, message):
    event = EventFactory(**fields)
    response = signed_in_client.post(book_url(event), {}, follow=True)
    assert message in response.content.decode()
    assert not Booking.objects.exists() and not OutboundEmail.objects.exists()


def test_booking_a_full_event_without_waiting_list_says_fully_booked(signed_in_client, event):
    Event.objects.filter(pk=event.pk).update(waiting_list_enabled=False)
    BookingFactory.create_batch(2, event=event)
    response = signed_in_client.post(book_url(event), {}, follow=True)
    assert "This event is fully booked." in response.content.decode()
    assert Booking.objects.count() == 2


def test_event_filling_up_while_the_form_is_open_shows_the_error_and_keeps_the_answers(
    signed_in_client, event, monkeypatch
):
    Event.objects.filter(pk=event.pk).update(waiting_list_enabled=False)
    from events import services

    real = services._places_taken_and_mine

    def two_others_booked_meanwhile(event, user):
        taken, mine = real(event, user)
        return taken + 2, mine

    monkeypatch.setattr(services, "_places_taken_and_mine", two_others_booked_meanwhile)
    response = signed_in_client.post(book_url(event), {"dietary_requirements": "No nuts"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content and "fully booked" in content
    assert 'value="No nuts"' in content
    assert not Booking.objects.exists()


def test_booking_a_draft_or_unknown_event_is_404(signed_in_client):
    draft = EventFactory(status=Event.Status.DRAFT)
    assert signed_in_client.post(book_url(draft), {}).status_code == 404
    assert signed_in_client.post("/events/no-such-event/book/", {}).status_code == 404
    assert not Booking.objects.exists()


def test_another_persons_booking_is_404_for_cancel_and_calendar(signed_in_client):
    theirs = BookingFactory()
    assert signed_in_client.post(reverse("events:booking_cancel", args=[theirs.pk])).status_code == 404
    assert signed_in_client.get(reverse("events:booking_calendar", args=[theirs.pk])).status_code == 404
    assert signed_in_client.post(reverse("events:booking_cancel", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED


def test_my_bookings_lists_upcoming_and_past_and_cancels(signed_in_client, user):
    upcoming = BookingFactory(user=user, event=EventFactory(title="Coming up"))
    BookingFactory(user=user, event=EventFactory(title="Been there", starts_at=timezone.now() - timedelta(days=9)))
    BookingFactory(event=EventFactory(title="Someone else's"))
    content = signed_in_client.get(reverse("events:my_bookings")).content.decode()
    assert "Coming up" in content and "Been there" in content and "Someone else" not in content
    confirm = signed_in_client.get(reverse("events:booking_cancel", args=[upcoming.pk]))
    assert "Cancel your booking?" in confirm.content.decode()
    response = signed_in_client.post(reverse("events:booking_cancel", args=[upcoming.pk]), follow=True)
    assert "is cancelled" in response.content.decode()
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CANCELLED


def test_calendar_file_is_public_for_published_events(client, event):
    response = client.get(reverse("events:calendar", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in response.content.decode()
    assert "Add to calendar" in client.get(event.get_absolute_url()).content.decode()


def test_home_page_lists_upcoming_events_and_hubs(client):
    EventFactory(title="On the home page", hub=HubFactory(name="Hub on home"))
    content = client.get("/").content.decode()
    assert "On the home page" in content


def test_my_bookings_groups_and_orders_in_a_fixed_number_of_queries(
    signed_in_client, user, django_assert_max_num_queries
):
    from events.selectors import bookings_for_user

    now = timezone.now()
    soon = BookingFactory(user=user, event=EventFactory(title="Soon", starts_at=now + timedelta(days=2)))
    later = BookingFactory(user=user, event=EventFactory(title="Later", starts_at=now + timedelta(days=20)))
    old = BookingFactory(user=user, event=EventFactory(title="Old", starts_at=now - timedelta(days=40)))
    recent = BookingFactory(user=user, event=EventFactory(title="Recent", starts_at=now - timedelta(days=4)))
    dropped = BookingFactory(user=user, event=EventFactory(title="Dropped", starts_at=now + timedelta(days=5)))
    services.booking_cancel(booking=dropped)
    gone = BookingFactory(user=user, event=EventFactory(title="Gone", starts_at=now + timedelta(days=1)))
    Booking.objects.filter(pk=gone.pk).update(status=Booking.Status.CANCELLED, cancelled_at=now)
    Event.objects.filter(pk=gone.event_id).update(
        starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3, hours=-1)
    )

    groups = bookings_for_user(user=user)
    assert [b.pk for b in groups["upcoming"]] == [soon.pk, later.pk]
    assert [b.pk for b in groups["past"]] == [recent.pk, old.pk]  # newest first
    assert [b.pk for b in groups["cancelled"]] == [dropped.pk]  # a cancelled past event is not listed
    with django_assert_max_num_queries(4):  # session, user, bookings with events and hubs (+ messages)
        response = signed_in_client.get(reverse("events:my_bookings"))
    content = response.content.decode()
    assert "Soon" in content and "Old" in content and "Dropped" in content and "Gone" not in content
