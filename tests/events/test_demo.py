import time

import pytest
from django.utils import timezone

from crossector.core import demo as core_demo
from events import demo as events_demo
from events import selectors
from events.models import Booking, Event
from hubs import demo as hubs_demo
from hubs.models import Hub

pytestmark = pytest.mark.django_db


def seed():
    users = core_demo.seed()
    hubs_demo.seed(users)
    return users, events_demo.seed(users)


def test_demo_data_has_the_programme_hubs_events_bookings_and_an_organiser_and_is_idempotent():
    users, summary = seed()
    counts = (Hub.objects.count(), Event.objects.count(), Booking.objects.count())
    seed()
    assert (Hub.objects.count(), Event.objects.count(), Booking.objects.count()) == counts
    assert "organiser@example.org" in summary
    wales = Hub.objects.get(slug="wales")
    assert wales.partners.get().name == "Life Sciences Hub Wales"
    assert Hub.objects.get(slug="scotland").partners.get().name == "NHS Research Scotland"
    past = [(e.starts_at.date().isoformat(), e.venue_name) for e in selectors.event_list(past=True, hub=wales)]
    assert past == [("2023-11-22", "Swansea"), ("2023-04-20", "Cardiff"), ("2022-11-17", "Cardiff")]
    now = timezone.now()
    badges = {e.slug: selectors.event_badge(e, now=now) for e in selectors.event_list()}
    assert badges["wales-cancer-innovation"] == ("2 places left", "open")
    assert badges["scotland-cell-gene-therapy"] == ("Waiting list", "waiting")
    assert Event.objects.get(slug="meet-the-president-online").format == Event.Format.ONLINE
    assert Booking.objects.filter(user=users["attendee"]).exists()
    organiser = wales.organisers.get()
    assert organiser.is_staff and organiser.groups.filter(name="Hub organisers").exists()
    # the demo organiser can pass the admin's two-factor step with the published demo key
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

    from crossector.core.demo import DEMO_TOTP_SECRET

    totp = Authenticator.objects.get(user=organiser, type=Authenticator.Type.TOTP)
    code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))
    assert TOTP(totp).validate_code(code)
    assert DEMO_TOTP_SECRET in summary
    assert selectors.user_attended_hub_event(user=users["attendee"], hub=wales)
