import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from crossector.core.models import OutboundEmail
from hubs.network import selectors, services
from hubs.network.models import AbuseReport, ConnectionRequest
from tests.conftest import login_with_mfa
from tests.network.factories import connection_request, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client):
    user = member(full_name="Alice Academic", email="alice@example.org", sector="academia")
    return user


@pytest.fixture
def sam(db):
    return member(full_name="Sam Startup", email="sam@example.org", sector="industry_sme")


def send(sender, recipient, message="I work on imaging and would like to talk."):
    return services.connection_request_create(sender=sender, recipient=recipient, message=message)


def test_sending_a_request_emails_the_recipient_a_link_to_reply(client, alice, sam, on_commit):
    client.force_login(alice)
    with on_commit():
        response = client.post(f"/network/people/{sam.pk}/connect/", {"message": "Shall we talk about imaging?"})
    assert response.status_code == 302
    req = ConnectionRequest.objects.get()
    assert (req.sender, req.recipient, req.status) == (alice, sam, ConnectionRequest.Status.PENDING)
    email = OutboundEmail.objects.get(to="sam@example.org")
    assert email.idempotency_key == f"network-request-{req.pk}-received"
    assert "Alice Academic" in email.subject
    assert "Shall we talk about imaging?" in email.body_text
    assert f"/network/requests/{req.pk}/" in email.body_text
    assert "alice@example.org" not in email.body_text  # no email address before acceptance


def test_message_is_required_and_limited_to_500_characters(client, alice, sam):
    client.force_login(alice)
    response = client.post(f"/network/people/{sam.pk}/connect/", {"message": "x" * 501})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content and "at most 500 characters" in content
    assert "x" * 501 in content  # what was typed is kept
    response = client.post(f"/network/people/{sam.pk}/connect/", {"message": ""})
    assert "Enter a short message" in response.content.decode()
    assert not ConnectionRequest.objects.exists()


def test_cannot_request_someone_who_is_not_in_the_directory(alice):
    hidden = member(full_name="Hidden", listed=False)
    with pytest.raises(services.NetworkError) as error:
        send(alice, hidden)
    assert error.value.code == "unavailable"


def test_emails_are_revealed_to_both_only_after_acceptance(client, alice, sam, on_commit):
    req = send(alice, sam)
    client.force_login(alice)
    assert "sam@example.org" not in client.get(f"/network/people/{sam.pk}/").content.decode()
    assert "sam@example.org" not in client.get(f"/network/requests/{req.pk}/").content.decode()
    client.force_login(sam)
    assert "alice@example.org" not in client.get(f"/network/requests/{req.pk}/").content.decode()

    with on_commit():
        response = client.post(f"/network/requests/{req.pk}/accept/")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == ConnectionRequest.Status.ACCEPTED and req.responded_at
    assert "alice@example.org" in client.get(f"/network/requests/{req.pk}/").content.decode()
    assert "alice@example.org" in client.get("/network/connections/").content.decode()
    client.force_login(alice)
    assert "sam@example.org" in client.get(f"/network/people/{sam.pk}/").content.decode()
    accepted = OutboundEmail.objects.get(idempotency_key=f"network-request-{req.pk}-accepted")
    assert accepted.to == "alice@example.org" and "sam@example.org" in accepted.body_text


def test_only_the_recipient_can_accept_or_decline(client, alice, sam):
    req = send(alice, sam)
    with pytest.raises(services.NetworkError):
        services.connection_request_accept(request=req, user=alice)
    with pytest.raises(services.NetworkError):
        services.connection_request_decline(request=req, user=alice)
    stranger = member(full_name="Stranger")
    client.force_login(stranger)
    assert client.get(f"/network/requests/{req.pk}/").status_code == 404
    assert client.post(f"/network/requests/{req.pk}/accept/").status_code == 404
    req.refresh_from_db()
    assert req.status == ConnectionRequest.Status.PENDING


def test_decline_keeps_emails_hidden(client, alice, sam):
    req = send(alice, sam)
    client.force_login(sam)
    client.post(f"/network/requests/{req.pk}/decline/")
    req.refresh_from_db()
    assert req.status == ConnectionRequest.Status.DECLINED
    assert selectors.visible_email(viewer=alice, other=sam) == ""
    assert not OutboundEmail.objects.filter(to="alice@example.org").exists()


def test_sender_can_withdraw_a_waiting_request_but_not_an_answered_one(client, alice, sam):
    req = send(alice, sam)
    with pytest.raises(services.NetworkError):
        services.connection_request_withdraw(request=req, user=sam)
    client.force_login(alice)
    client.post(f"/network/requests/{req.pk}/withdraw/")
    req.refresh_from_db()
    assert req.status == ConnectionRequest.Status.WITHDRAWN
    with pytest.raises(services.NetworkError):
        services.connection_request_accept(request=req, user=sam)


def test_one_pending_request_per_pair_in_either_direction(alice, sam):
    send(alice, sam)
    with pytest.raises(services.NetworkError) as error:
        send(alice, sam)
    assert error.value.code == "pending"
    with pytest.raises(services.NetworkError) as error:
        send(sam, alice)
    assert error.value.code == "pending_reverse"
    assert ConnectionRequest.objects.count() == 1


def test_database_refuses_a_second_pending_request_for_the_same_pair_either_way(alice, sam):
    connection_request(sender=alice, recipient=sam)
    with pytest.raises(IntegrityError), transaction.atomic():
        connection_request(sender=sam, recipient=alice)
    # Answered requests do not count: after a decline the pair may try again.
    ConnectionRequest.objects.update(status=ConnectionRequest.Status.DECLINED, responded_at=timezone.now())
    assert send(sam, alice).status == ConnectionRequest.Status.PENDING


def test_already_connected_people_cannot_send_another_request(alice, sam):
    services.connection_request_accept(request=send(alice, sam), user=sam)
    with pytest.raises(services.NetworkError) as error:
        send(sam, alice)
    assert error.value.code == "connected"


def test_daily_cap_stops_the_eleventh_request_with_a_clear_message(client, alice, settings):
    settings.NETWORK_DAILY_REQUEST_CAP = 10
    others = [member(full_name=f"Other {i}") for i in range(12)]
    with time_machine.travel("2025-03-03 09:00 +0000", tick=False):
        for other in others[:10]:
            send(alice, other)
        services.connection_request_withdraw(request=ConnectionRequest.objects.first(), user=alice)
        client.force_login(alice)
        response = client.post(f"/network/people/{others[10].pk}/connect/", {"message": "Hello"})
        assert response.status_code == 200
        assert "You have sent 10 connection requests in the last 24 hours" in response.content.decode()
    assert ConnectionRequest.objects.filter(sender=alice).count() == 10
    with time_machine.travel("2025-03-04 09:01 +0000", tick=False):
        assert send(alice, others[10]).status == ConnectionRequest.Status.PENDING


def test_blocked_person_can_no_longer_send_requests(alice, sam):
    services.block_create(blocker=sam, blocked=alice)
    with pytest.raises(services.NetworkError) as error:
        send(alice, sam)
    assert error.value.code == "unavailable"


def test_blocking_closes_waiting_requests_and_hides_emails_of_a_connection(client, alice, sam):
    req = send(alice, sam)
    services.block_create(blocker=sam, blocked=alice)
    req.refresh_from_db()
    assert req.status == ConnectionRequest.Status.DECLINED
    client.force_login(alice)
    assert client.get(f"/network/requests/{req.pk}/").status_code == 404

    bob = member(full_name="Bob", email="bob@example.org")
    services.connection_request_accept(request=send(alice, bob), user=bob)
    assert selectors.visible_email(viewer=alice, other=bob) == "bob@example.org"
    services.block_create(blocker=bob, blocked=alice)
    assert selectors.visible_email(viewer=alice, other=bob) == ""
    assert "bob@example.org" not in client.get("/network/connections/").content.decode()


def test_block_through_the_page_and_unblock(client, alice, sam):
    client.force_login(alice)
    assert "Block Sam Startup?" in client.get(f"/network/people/{sam.pk}/block/").content.decode()
    client.post(f"/network/people/{sam.pk}/block/")
    assert selectors.is_blocked_between(a=alice, b=sam)
    assert "Sam Startup" in client.get("/network/connections/").content.decode()  # listed under blocks
    client.post(f"/network/people/{sam.pk}/unblock/")
    assert not selectors.is_blocked_between(a=alice, b=sam)


def test_recipient_can_report_an_unlisted_sender_and_staff_mark_it_handled(client, alice, staff_user):
    unlisted = member(full_name="Spammy Sender", listed=False)
    connection_request(sender=unlisted, recipient=alice, message="Buy my product")
    client.force_login(alice)
    response = client.post(f"/network/people/{unlisted.pk}/report/", {"reason": "Selling, not networking."})
    assert response.status_code == 302
    report = AbuseReport.objects.get()
    assert (report.reporter, report.reported, report.status) == (alice, unlisted, AbuseReport.Status.OPEN)

    login_with_mfa(client, staff_user)
    listing = client.get("/admin/hubs/abusereport/?status__exact=open")
    assert "Spammy Sender" in listing.content.decode() or unlisted.email in listing.content.decode()
    client.post("/admin/hubs/abusereport/", {"action": "mark_handled", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == AbuseReport.Status.HANDLED and report.handled_by == staff_user


def test_strangers_cannot_report_or_block_someone_they_cannot_see(client, alice):
    unlisted = member(full_name="Unlisted", listed=False)
    client.force_login(alice)
    assert client.get(f"/network/people/{unlisted.pk}/report/").status_code == 404
    assert client.post(f"/network/people/{unlisted.pk}/block/").status_code == 404
