import base64

import pytest
from django.test import Client
from playwright.sync_api import expect

from crossector.core import demo as core_demo
from crossector.core.models import OutboundEmail
from events import demo as events_demo
from events.models import Booking
from hubs import demo as hubs_demo
from hubs.models import Hub
from tests.conftest import login_with_mfa
from tests.e2e.conftest import assert_accessible, tab_to
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_users():
    users = core_demo.seed()
    hubs_demo.seed(users)
    events_demo.seed(users)
    return users


def sign_in(context, live_server, user):
    client = Client()
    if user.is_staff:
        login_with_mfa(client, user)  # staff pages need the second factor too
    else:
        client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_public_event_and_hub_pages_have_no_wcag_violations(live_server, page, demo_users):
    for path in [
        "/hubs/",
        "/hubs/wales/",
        "/events/",
        "/events/?when=past",
        "/events/?hub=wales&format=in_person",
        "/events/scotland-cell-gene-therapy/",
        "/events/wales-swansea-2023/",
    ]:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        assert_accessible(page, path)


def test_attendee_books_with_the_keyboard_cancels_and_the_person_waiting_is_promoted(live_server, browser, demo_users):
    event = EventFactory(
        title="Small round-table on AI in pathology",
        slug="small-round-table",
        hub=Hub.objects.get(slug="wales"),
        capacity=1,
    )
    attendee = demo_users["attendee"]
    context = browser.new_context()
    sign_in(context, live_server, attendee)
    page = context.new_page()
    page.set_default_timeout(10_000)

    # Book with the keyboard alone.
    page.goto(live_server.url + event.get_absolute_url())
    assert_accessible(page, "event detail")
    tab_to(page, "Book a place")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a place")
    assert_accessible(page, "booking form")
    tab_to(page, "Dietary requirements")
    page.keyboard.type("Vegetarian")
    tab_to(page, "Show my name")
    page.keyboard.press("Space")
    tab_to(page, "Confirm booking")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your place is booked")
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    assert_accessible(page, "event detail, booked")
    booking = Booking.objects.get(event=event, user=attendee)
    assert booking.status == Booking.Status.CONFIRMED and booking.dietary_requirements == "Vegetarian"
    assert booking.attendee_list_consent is True

    # The confirmation is in the outbox with its calendar file.
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert email.to == attendee.email and email.status == OutboundEmail.Status.SENT
    [ics] = email.attachments
    ics_text = base64.b64decode(ics["content_b64"]).decode()
    assert ics["filename"] == "event.ics" and f"UID:event-{event.calendar_uid}@crosssector" in ics_text
    assert "TZID=Europe/London" in ics_text

    # A second person finds the event full and joins the waiting list.
    second = person(full_name="Nia Waiting")
    other_context = browser.new_context()
    sign_in(other_context, live_server, second)
    other = other_context.new_page()
    other.goto(live_server.url + event.get_absolute_url())
    other.get_by_role("link", name="Join the waiting list").click()
    assert_accessible(other, "waiting list form")
    other.get_by_role("button", name="Join the waiting list").click()
    expect(other.get_by_role("status")).to_contain_text("You are on the waiting list")

    # The attendee cancels from My bookings.
    page.goto(live_server.url + "/events/bookings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My bookings")
    assert_accessible(page, "my bookings")
    page.get_by_role("link", name=f"Cancel {event.title}").click()
    assert_accessible(page, "cancel confirmation")
    page.get_by_role("button", name="Yes, cancel my booking").click()
    expect(page.get_by_role("status")).to_contain_text("is cancelled")

    # The person waiting has the place and an email saying so.
    waiting = Booking.objects.get(event=event, user=second)
    assert waiting.status == Booking.Status.CONFIRMED and waiting.promoted_at is not None
    promoted = OutboundEmail.objects.get(idempotency_key=f"booking-{waiting.pk}-promoted")
    assert promoted.to == second.email and promoted.status == OutboundEmail.Status.SENT
    other.goto(live_server.url + "/events/bookings/")
    expect(other.get_by_role("row", name=event.title)).to_contain_text("Confirmed")
    context.close()
    other_context.close()


def test_staff_check_in_page_is_accessible_and_checks_in_with_one_tap(live_server, browser, demo_users):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone at the door
    organiser = Hub.objects.get(slug="wales").organisers.get()
    sign_in(context, live_server, organiser)
    page = context.new_page()
    page.goto(live_server.url + "/events/wales-cancer-innovation/check-in/")
    assert_accessible(page, "check-in")
    page.get_by_label("Search by name, email or organisation").fill("Demo Person 3")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Check in Demo Person 3").click()
    expect(page.get_by_role("status")).to_contain_text("Demo Person 3 is checked in.")
    checked = Booking.objects.get(event__slug="wales-cancer-innovation", user__email="demo.person3@example.org")
    assert checked.attended_at
    page.goto(live_server.url + "/events/scotland-cell-gene-therapy/check-in/")
    assert "Demo Person" not in page.content()
    context.close()
