import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crossector.core.exports import cell_text as csv_safe
from crossector.core.models import OutboundEmail
from crossector.core.vocabulary import Sector
from events import selectors
from events.models import Booking, Event
from events.permissions import organisers_group_ensure
from tests.conftest import login_with_mfa
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_hubs():
    return HubFactory(name="Wales hub", slug="wales"), HubFactory(name="Scotland hub", slug="scotland")


@pytest.fixture
def organiser(two_hubs):
    user = person(is_staff=True, email="organiser@example.org")
    user.groups.add(organisers_group_ensure())
    two_hubs[0].organisers.add(user)
    return user


def test_admin_event_list_shows_confirmed_waiting_and_capacity(client, staff_user):
    event = EventFactory(title="Counted event", capacity=2)
    BookingFactory.create_batch(2, event=event)
    BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    EventFactory(title="Open-ended", capacity=None)
    login_with_mfa(client, staff_user)
    response = client.get(reverse("admin:events_event_changelist"))
    rows = {r.title: r for r in response.context["cl"].result_list}
    assert (rows["Counted event"].confirmed_count, rows["Counted event"].waiting_count) == (2, 1)
    content = response.content.decode()
    assert "Confirmed" in content and "Waiting" in content and "Unlimited" in content


def test_admin_event_page_shows_bookings_inline_and_the_sector_mix(client, staff_user):
    event = EventFactory(capacity=10)
    BookingFactory(event=event, user=person(sector=Sector.NHS))
    BookingFactory(event=event, user=person(sector=Sector.NHS))
    BookingFactory(event=event, user=person(sector=Sector.ACADEMIA))
    BookingFactory(event=event, user=person(sector=Sector.REGULATOR), status=Booking.Status.WAITLISTED)
    assert selectors.sector_mix(event=event) == [
        {"sector": "NHS and health & care services", "count": 2, "percent": 67},
        {"sector": "Academia and research institutes", "count": 1, "percent": 33},
    ]
    login_with_mfa(client, staff_user)
    content = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "Sector mix of confirmed attendees" in content and "67%" in content
    assert "bookings-TOTAL_FORMS" in content


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    for dangerous in ('=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", " =1"):
        assert csv_safe(dangerous).startswith("'")
    assert csv_safe("Cardiff University") == "Cardiff University"


def test_admin_exports_attendees_as_safe_csv(client, staff_user):
    event = EventFactory()
    BookingFactory(
        event=event, user=person(full_name="=cmd|' /C calc'!A0", organisation="Acme"), dietary_requirements="@SUM(1)"
    )
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    login_with_mfa(client, staff_user)
    response = client.post(
        reverse("admin:events_event_changelist"), {"action": "export_attendees", "_selected_action": [event.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # header + the one active booking
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][7] == "'@SUM(1)"


def test_admin_marks_attendance_only_for_confirmed_bookings(client, staff_user):
    confirmed = BookingFactory()
    waiting = BookingFactory(event=confirmed.event, status=Booking.Status.WAITLISTED)
    login_with_mfa(client, staff_user)
    client.post(
        reverse("admin:events_booking_changelist"),
        {"action": "mark_attended", "_selected_action": [confirmed.pk, waiting.pk]},
    )
    confirmed.refresh_from_db(), waiting.refresh_from_db()
    assert confirmed.attended_at is not None and waiting.attended_at is None


def test_admin_emails_confirmed_attendees_through_the_outbox(client, staff_user):
    event = EventFactory()
    a, b = BookingFactory.create_batch(2, event=event)
    BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    login_with_mfa(client, staff_user)
    url = reverse("admin:events_event_changelist")
    form_page = client.post(url, {"action": "email_attendees", "_selected_action": [event.pk]})
    assert "Email attendees" in form_page.content.decode()
    client.post(
        url,
        {
            "action": "email_attendees",
            "_selected_action": [event.pk],
            "send": "1",
            "subject": "Parking at the venue",
            "message": "Use the north car park.",
        },
    )
    emails = OutboundEmail.objects.filter(subject="Parking at the venue")
    assert sorted(e.to for e in emails) == sorted([a.user.email, b.user.email])
    assert "Use the north car park." in emails[0].body_text


def test_admin_cancel_action_emails_everyone(client, staff_user):
    event = EventFactory()
    BookingFactory(event=event)
    login_with_mfa(client, staff_user)
    client.post(reverse("admin:events_event_changelist"), {"action": "cancel_events", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert OutboundEmail.objects.filter(idempotency_key__endswith="event_cancelled").count() == 1


def test_admin_changing_the_start_emails_people_booked(client, staff_user):
    event = EventFactory()
    booking = BookingFactory(event=event)
    login_with_mfa(client, staff_user)
    url = reverse("admin:events_event_change", args=[event.pk])
    data = client.get(url).context["adminform"].form.initial
    from django.utils import timezone

    start = timezone.localtime(event.starts_at + timezone.timedelta(days=1))
    end = start + timezone.timedelta(hours=2)
    post = {
        "title": event.title,
        "slug": event.slug,
        "hub": event.hub_id,
        "summary": event.summary,
        "description": event.description,
        "format": event.format,
        "venue_name": event.venue_name,
        "address": event.address,
        "online_url": "",
        "capacity": event.capacity,
        "waiting_list_enabled": "on",
        "starts_at_0": start.strftime("%d/%m/%Y"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%d/%m/%Y"),
        "ends_at_1": end.strftime("%H:%M:%S"),
        "booking_opens_at_0": "",
        "booking_opens_at_1": "",
        "booking_closes_at_0": "",
        "booking_closes_at_1": "",
        "bookings-TOTAL_FORMS": "1",
        "bookings-INITIAL_FORMS": "1",
        "bookings-MIN_NUM_FORMS": "0",
        "bookings-MAX_NUM_FORMS": "1000",
        "bookings-0-id": booking.pk,
        "bookings-0-event": event.pk,
        "bookings-0-attended_at_0": "",
        "bookings-0-attended_at_1": "",
    }
    assert data  # the form rendered
    response = client.post(url, post)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert OutboundEmail.objects.filter(idempotency_key=f"booking-{booking.pk}-event_changed-1").exists()


# --- Hub organisers: both sides of the line ---------------------------------------------------


def test_organiser_sees_and_exports_only_their_hubs_events_and_bookings(client, organiser, two_hubs):
    wales, scotland = two_hubs
    own = EventFactory(hub=wales, title="Welsh event")
    theirs = EventFactory(hub=scotland, title="Scottish event")
    academy = EventFactory(hub=None, title="Academy-wide event")
    own_booking = BookingFactory(event=own, user=person(full_name="Welsh Attendee"))
    other_booking = BookingFactory(event=theirs, user=person(full_name="Scottish Attendee"))
    login_with_mfa(client, organiser)

    events_page = client.get(reverse("admin:events_event_changelist"))
    assert [e.title for e in events_page.context["cl"].result_list] == ["Welsh event"]
    bookings_page = client.get(reverse("admin:events_booking_changelist")).content.decode()
    assert "Welsh Attendee" in bookings_page and "Scottish Attendee" not in bookings_page

    assert client.get(reverse("admin:events_event_change", args=[own.pk])).status_code == 200
    for event in (theirs, academy):
        response = client.get(reverse("admin:events_event_change", args=[event.pk]))
        assert response.status_code == 302  # the admin's "doesn't exist" redirect, no data shown
    assert client.get(reverse("admin:events_booking_change", args=[other_booking.pk])).status_code == 302
    assert client.get(reverse("admin:events_booking_change", args=[own_booking.pk])).status_code == 200

    export = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "export_attendees", "_selected_action": [own.pk, theirs.pk]},
    )
    text = export.content.decode()
    assert "Welsh Attendee" in text and "Scottish Attendee" not in text


def test_organiser_can_only_create_events_for_their_own_hub(client, organiser, two_hubs):
    wales, scotland = two_hubs
    login_with_mfa(client, organiser)
    form = client.get(reverse("admin:events_event_add")).context["adminform"].form
    assert list(form.fields["hub"].queryset) == [wales]
    assert form.fields["hub"].required is True


def test_organiser_has_no_award_or_delete_permissions(organiser):
    perms = organiser.get_all_permissions()
    assert "events.change_event" in perms and "events.change_booking" in perms
    assert not any(p.startswith("awards.") for p in perms)
    assert not any(p.split(".")[1].startswith("delete_") for p in perms)
    assert not Permission.objects.filter(group__name="Hub organisers", content_type__app_label="awards").exists()


def test_organiser_admin_index_lists_no_award_applications(client, organiser):
    login_with_mfa(client, organiser)
    content = client.get(reverse("admin:index")).content.decode()
    assert "Events" in content
    assert "/admin/awards/" not in content


def test_organiser_hub_admin_shows_only_their_hubs(client, organiser, two_hubs):
    login_with_mfa(client, organiser)
    page = client.get(reverse("admin:hubs_hub_changelist"))
    assert [h.name for h in page.context["cl"].result_list] == ["Wales hub"]


# --- Check-in at the door ---------------------------------------------------------------------


def check_in_url(event):
    return reverse("events:check_in", kwargs={"slug": event.slug})


def test_check_in_page_searches_by_name_and_checks_in_with_one_tap(client, staff_user):
    event = EventFactory()
    ada = BookingFactory(event=event, user=person(full_name="Ada Lovelace"))
    BookingFactory(event=event, user=person(full_name="Charles Babbage"))
    BookingFactory(event=event, user=person(full_name="Ada Waiting"), status=Booking.Status.WAITLISTED)
    login_with_mfa(client, staff_user)
    content = client.get(check_in_url(event), {"q": "ada"}).content.decode()
    assert "Ada Lovelace" in content and "Charles Babbage" not in content and "Ada Waiting" not in content
    response = client.post(check_in_url(event), {"booking": ada.pk, "q": "ada"}, follow=True)
    assert "Ada Lovelace is checked in." in response.content.decode()
    ada.refresh_from_db()
    first = ada.attended_at
    assert first is not None
    client.post(check_in_url(event), {"booking": ada.pk})
    ada.refresh_from_db()
    assert ada.attended_at == first  # a second tap keeps the first time


def test_check_in_refuses_members_of_the_public_and_other_hubs_organisers(client, user, organiser, two_hubs):
    wales, scotland = two_hubs
    own, theirs = EventFactory(hub=wales), EventFactory(hub=scotland)
    other_booking = BookingFactory(event=theirs, user=person(full_name="Scottish Attendee"))
    client.force_login(user)
    assert client.get(check_in_url(own)).status_code == 403  # the staff-only page, as at the admin's door
    login_with_mfa(client, organiser)
    assert client.get(check_in_url(own)).status_code == 200
    response = client.get(check_in_url(theirs))
    assert response.status_code == 403 and "Scottish Attendee" not in response.content.decode()
    assert client.post(check_in_url(theirs), {"booking": other_booking.pk}).status_code == 403
    # A booking id from another event posted to your own event's page is not found.
    assert client.post(check_in_url(own), {"booking": other_booking.pk}).status_code == 404
    other_booking.refresh_from_db()
    assert other_booking.attended_at is None


def test_check_in_needs_two_factor_authentication_like_the_admin(client, organiser):
    event = EventFactory()
    assert client.get(check_in_url(event)).url.startswith("/accounts/login/")
    client.force_login(organiser)  # password only, no authenticator app yet
    assert client.get(check_in_url(event)).url == reverse("mfa_activate_totp")


def test_attended_hub_event_selector_for_awards(organiser, two_hubs):
    from datetime import timedelta

    from django.utils import timezone

    wales, scotland = two_hubs
    past = EventFactory(hub=wales, starts_at=timezone.now() - timedelta(days=20))
    attendee, waiting, stranger = person(), person(), person()
    BookingFactory(event=past, user=attendee)
    BookingFactory(event=past, user=waiting, status=Booking.Status.WAITLISTED)
    BookingFactory(event=EventFactory(hub=wales), user=stranger)  # upcoming, not yet attended
    assert selectors.user_attended_hub_event(user=attendee, hub=wales) is True
    assert selectors.user_attended_hub_event(user=attendee, hub=scotland) is False
    assert selectors.user_attended_hub_event(user=waiting, hub=wales) is False
    assert selectors.user_attended_hub_event(user=stranger, hub=wales) is False
