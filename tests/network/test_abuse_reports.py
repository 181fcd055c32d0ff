"""Abuse reports reach staff at once: an outbox email per staff address, linking to the report in the admin."""

import pytest

from crossector.core.models import OutboundEmail
from hubs.network import services
from hubs.network.models import AbuseReport
from tests.factories import person
from tests.network.factories import connection_request, member

pytestmark = pytest.mark.django_db


def test_a_report_emails_every_active_superuser_with_a_link_to_the_report(client):
    staff = person(full_name="Programme Staff", is_staff=True, is_superuser=True)
    former = person(full_name="Former Staff", is_staff=True, is_superuser=True)
    type(former).objects.filter(pk=former.pk).update(is_active=False)
    alice, spammer = member(full_name="Alice Analyst"), member(full_name="Spammy Sender", listed=False)
    connection_request(sender=spammer, recipient=alice, message="Buy my product")
    client.force_login(alice)

    client.post(f"/network/people/{spammer.pk}/report/", {"reason": "Selling, not networking."})

    report = AbuseReport.objects.get()
    emails = list(OutboundEmail.objects.filter(subject="A person in the network has been reported"))
    assert [e.to for e in emails] == [staff.email]
    assert "Alice Analyst has reported Spammy Sender" in emails[0].body_text
    assert "Selling, not networking." in emails[0].body_text
    assert f"/admin/hubs/abusereport/{report.pk}/change/" in emails[0].body_text


def test_configured_addresses_replace_the_superusers(settings):
    settings.NETWORK_ABUSE_REPORT_EMAILS = ["safeguarding@example.org", "programme@example.org"]
    person(is_staff=True, is_superuser=True)
    alice, bob = member(full_name="Alice"), member(full_name="Bob")

    services.abuse_report_create(reporter=alice, reported=bob, reason="Rude messages")

    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        "programme@example.org",
        "safeguarding@example.org",
    ]


def test_reporting_yourself_is_refused_and_emails_nobody(settings):
    settings.NETWORK_ABUSE_REPORT_EMAILS = ["safeguarding@example.org"]
    alice = member(full_name="Alice")
    with pytest.raises(services.NetworkError):
        services.abuse_report_create(reporter=alice, reported=alice, reason="?")
    assert not AbuseReport.objects.exists() and not OutboundEmail.objects.exists()
