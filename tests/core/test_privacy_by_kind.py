"""Data rights by kind (issue 21, the outside tester's faults): each fault's kind, tested across its cases."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from crossector.core import privacy
from crossector.core.models import OutboundEmail, User
from tests.core.data_rights import recently_signed_in
from tests.factories import PASSWORD, person

pytestmark = pytest.mark.django_db


def test_every_account_email_belongs_to_the_account_of_its_address(client, django_capture_on_commit_callbacks):
    """Sign-up confirmation, a second address's confirmation, a password reset to either: all the account's."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "Ffion@Example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    user = User.objects.get(email__iexact="ffion@example.org")
    EmailAddress.objects.filter(user=user).update(verified=True)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"email": "ffion.second@example.org", "action_add": ""})
        client.logout()
        for address in ("ffion@example.org", "FFION.SECOND@example.org"):
            client.post(reverse("account_reset_password"), {"email": address})
    rows = OutboundEmail.objects.filter(to__iendswith="example.org")
    assert rows.count() >= 3
    assert {row.to.lower() for row in rows} == {"ffion@example.org", "ffion.second@example.org"}
    assert set(rows.values_list("user_id", flat=True)) == {user.pk}


def test_the_download_lists_emails_to_every_address_but_never_a_link_confirming_an_unconfirmed_one(
    client, django_capture_on_commit_callbacks
):
    user = person(email="gwen@example.org")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"email": "gwen.work@example.org", "action_add": ""})
    # An email written before the address was known to be the account's still is (no user on the row).
    OutboundEmail.objects.create(
        to="GWEN.WORK@example.org", subject="Old one", body_text="Hello", idempotency_key="old-unlinked-1"
    )
    data = json.loads(recently_signed_in(client, user).post(reverse("privacy_data")).content)
    mine = {(e["to"].lower(), e["subject"]) for e in data["emails_sent_to_you"]}
    assert ("gwen.work@example.org", "Old one") in mine
    confirmation = next(e for e in data["emails_sent_to_you"] if "Confirm" in e["subject"])
    assert confirmation["body"] == "" and confirmation["body_left_out"]
    assert "/accounts/confirm-email/" not in json.dumps(data)


def test_deletion_removes_every_address_the_person_had_from_every_kept_text(client, django_capture_on_commit_callbacks):
    """Any column, any letter case, inside JSON too; other people's addresses stay."""
    from awards.models import Application, ApplicationEvent
    from tests.awards.factories import AwardCallFactory, application

    user = person(email="huw@example.org", full_name="Huw Jenkins")
    EmailAddress.objects.create(user=user, email="huw.other@example.org", verified=True)
    submitted = application(
        call=AwardCallFactory(),
        applicant=user,
        status=Application.Status.SUBMITTED,
        reference="CSEA-26-0042",
        submitted_at=timezone.now(),
    )
    event = ApplicationEvent.objects.create(
        application=submitted,
        kind=ApplicationEvent.Kind.STATUS,
        from_status="submitted",
        to_status="eligible",
        note="Checked for HUW@EXAMPLE.ORG and huw.other@example.org; copied staff@example.org",
        data={"contact": "Huw.Other@example.org", "n": 1},
    )
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        privacy.account_erase(user=user)
    event.refresh_from_db()
    assert event.note == ("Checked for (email address removed) and (email address removed); copied staff@example.org")
    assert event.data == {"contact": "(email address removed)", "n": 1}
