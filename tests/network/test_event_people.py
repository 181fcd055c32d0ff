from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crossector.core.models import OutboundEmail
from events.models import Booking
from hubs.network import selectors, services
from hubs.network.tasks import matchmaking_digest_sweep
from tests.network.factories import BookingFactory, EventFactory, member

pytestmark = pytest.mark.django_db


def attend(event, user, *, consent=True, status=Booking.Status.CONFIRMED):
    return BookingFactory(event=event, user=user, attendee_list_consent=consent, status=status)


@pytest.fixture
def event(db):
    return EventFactory(capacity=None, slug="precision-medicine", starts_at=timezone.now() + timedelta(days=10))


@pytest.fixture
def nia(event):
    user = member(full_name="Nia NHS", email="nia@example.org", sector="nhs", interests=["medical-imaging"])
    attend(event, user)
    return user


@pytest.fixture
def crowd(event):
    """Consenting attendees, plus people who must never appear on the list."""
    sam = member(full_name="Sam SME", email="sam@example.org", sector="industry_sme", interests=["medical-imaging"])
    ada = member(
        full_name="Ada Academic",
        email="ada@example.org",
        sector="academia",
        listed=False,
        interests=["medical-imaging"],
    )
    nora = member(full_name="Nora Nurse", email="nora@example.org", sector="nhs", interests=["medical-imaging"])
    attend(event, sam)
    attend(event, ada)
    attend(event, nora)
    # Not on the list: no consent (though in the directory), waiting list, cancelled.
    attend(event, member(full_name="Quiet Quentin", email="quentin@example.org", sector="regulator"), consent=False)
    attend(
        event,
        member(full_name="Waiting Wendy", email="wendy@example.org", sector="charity"),
        status=Booking.Status.WAITLISTED,
    )
    attend(
        event,
        member(full_name="Cancelled Carl", email="carl@example.org", sector="government"),
        status=Booking.Status.CANCELLED,
    )
    return {"sam": sam, "ada": ada, "nora": nora}


NOT_ON_THE_LIST = ("Quiet Quentin", "Waiting Wendy", "Cancelled Carl")


def test_consenting_attendees_see_each_other_and_people_to_meet_with_reasons(client, event, nia, crowd):
    client.force_login(nia)
    response = client.get(f"/network/events/{event.slug}/")
    assert response.status_code == 200
    assert [p.full_name for p in response.context["attendees"]] == ["Ada Academic", "Nora Nurse", "Sam SME"]
    ranked = [(m.profile.full_name, m.reason) for m in response.context["people_to_meet"]]
    assert ranked == [
        ("Sam SME", "works in industry (SME / start-up); shares your interest in medical imaging"),
        # Ada is not in the directory, so her interests are not used (nor revealed); her sector is on the list.
        ("Ada Academic", "works in academia and research"),
        ("Nora Nurse", "shares your interest in medical imaging"),
    ]
    content = response.content.decode()
    for name in NOT_ON_THE_LIST:
        assert name not in content
    for email in ("sam@example.org", "ada@example.org", "nora@example.org"):
        assert email not in content


def test_people_who_did_not_consent_or_are_not_confirmed_cannot_see_the_list(client, event, crowd):
    for user_email in ("quentin@example.org", "wendy@example.org", "carl@example.org"):
        from crossector.core.models import User

        client.force_login(User.objects.get(email=user_email))
        response = client.get(f"/network/events/{event.slug}/")
        assert response.status_code == 200
        assert "attendees" not in response.context
        assert "Sam SME" not in response.content.decode()


def test_blocked_people_do_not_see_each_other_at_an_event(client, event, nia, crowd):
    services.block_create(blocker=crowd["sam"], blocked=nia)
    client.force_login(nia)
    response = client.get(f"/network/events/{event.slug}/")
    assert "Sam SME" not in response.content.decode()


def test_unknown_or_draft_event_is_404(client, nia):
    client.force_login(nia)
    assert client.get("/network/events/no-such-event/").status_code == 404
    draft = EventFactory(status="draft")
    assert client.get(f"/network/events/{draft.slug}/").status_code == 404


def test_event_people_page_runs_a_fixed_number_of_queries(client, event, nia, django_assert_num_queries):
    for i in range(3):
        attend(event, member(full_name=f"Few {i}", sector="academia", interests=["genomics"]))
    client.force_login(nia)
    with django_assert_num_queries(9) as few:
        client.get(f"/network/events/{event.slug}/")
    for i in range(30):
        attend(event, member(full_name=f"Many {i}", sector="academia", interests=["genomics"]))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(f"/network/events/{event.slug}/")


# --- The digest -------------------------------------------------------------------------------


def test_digest_goes_once_to_each_consenting_attendee_n_days_before(event, nia, crowd, settings, on_commit):
    settings.NETWORK_DIGEST_DAYS_BEFORE = 3
    with time_machine.travel(event.starts_at - timedelta(days=4), tick=False):
        assert matchmaking_digest_sweep() == 0  # too early
    with time_machine.travel(event.starts_at - timedelta(days=2, hours=23), tick=False), on_commit():
        sent = matchmaking_digest_sweep()
    recipients = set(
        OutboundEmail.objects.filter(idempotency_key__startswith="network-digest-").values_list("to", flat=True)
    )
    assert sent == 4
    assert recipients == {"nia@example.org", "sam@example.org", "ada@example.org", "nora@example.org"}
    nia_digest = OutboundEmail.objects.get(idempotency_key=f"network-digest-event-{event.pk}-user-{nia.pk}")
    assert "Sam SME" in nia_digest.body_text
    assert "works in industry (SME / start-up); shares your interest in medical imaging" in nia_digest.body_text
    for name in NOT_ON_THE_LIST:
        assert name not in nia_digest.body_text
    # Once per event per attendee, however often the hourly sweep runs.
    with time_machine.travel(event.starts_at - timedelta(days=2), tick=False):
        assert matchmaking_digest_sweep() == 0
    assert OutboundEmail.objects.filter(idempotency_key__startswith="network-digest-").count() == 4
    # After the event has started, nothing more goes out.
    late = member(full_name="Late Larry", email="larry@example.org", sector="charity")
    attend(event, late)
    with time_machine.travel(event.starts_at + timedelta(minutes=5), tick=False):
        assert matchmaking_digest_sweep() == 0


def test_digest_leaves_out_blocked_pairs(event, nia, crowd, settings):
    services.block_create(blocker=nia, blocked=crowd["sam"])
    with time_machine.travel(event.starts_at - timedelta(days=1), tick=False):
        services.matchmaking_digests_send()
    nia_digest = OutboundEmail.objects.get(idempotency_key=f"network-digest-event-{event.pk}-user-{nia.pk}")
    sam_digest = OutboundEmail.objects.get(idempotency_key=f"network-digest-event-{event.pk}-user-{crowd['sam'].pk}")
    assert "Sam SME" not in nia_digest.body_text
    assert "Nia NHS" not in sam_digest.body_text


def test_digest_task_is_registered_under_its_beat_name(settings):
    from crossector.celery import app

    assert "hubs.network.tasks.matchmaking_digest_sweep" in app.tasks
    assert any(
        entry["task"] == "hubs.network.tasks.matchmaking_digest_sweep"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )


# --- Find a host ------------------------------------------------------------------------------


def test_hosts_for_call_lists_directory_people_open_to_hosting_in_other_sectors(rf):
    viewer = member(full_name="Applicant", sector="nhs")
    member(full_name="Host Helen", sector="industry_large", open_to_hosting=True)
    member(full_name="Same Sector Sid", sector="nhs", open_to_hosting=True)
    member(full_name="Unlisted Una", sector="academia", open_to_hosting=True, listed=False)
    member(full_name="Not Hosting Nick", sector="academia")
    assert [p.full_name for p in selectors.hosts_for_call(viewer=viewer)] == ["Host Helen"]
    from django.contrib.auth.models import AnonymousUser

    assert selectors.hosts_for_call(viewer=AnonymousUser()) == []


def test_find_a_host_include_links_to_directory_entries(rf):
    from django.template.loader import render_to_string

    viewer = member(full_name="Applicant", sector="nhs")
    host = member(full_name="Host Helen", sector="industry_large", open_to_hosting=True)
    request = rf.get("/awards/some-call/")
    request.user = viewer
    html = render_to_string(
        "network/_find_a_host.html",
        {"hosts": selectors.hosts_for_call(viewer=viewer), "user": viewer, "request": request},
    )
    assert f'href="/network/people/{host.pk}/"' in html and "Host Helen" in html
