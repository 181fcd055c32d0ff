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


# --- Consent is the person's: no admin form sets it -----------------------------------------------------------


def _the_persons_own(field) -> bool:
    """Consent flags, the times they were given, and the requirements consent covers: the person's to give."""
    return "consent" in field.name or field.name.endswith("requirements")


def test_no_admin_form_or_inline_can_set_a_consent_or_requirements(rf):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = person(is_staff=True, is_superuser=True)
    checked = []
    for model, model_admin in admin.site._registry.items():
        owned = {f.name for f in model._meta.get_fields() if hasattr(f, "column") and _the_persons_own(f)}
        forms = [(model, model_admin.get_form(request, None, change=True))]
        for inline in model_admin.get_inline_instances(request, None):
            inline_owned = {f.name for f in inline.model._meta.concrete_fields if _the_persons_own(f)}
            forms.append((inline.model, inline.get_formset(request, None).form))
            owned |= inline_owned
        for form_model, form in forms:
            mine = {f.name for f in form_model._meta.concrete_fields if _the_persons_own(f)}
            assert not (set(form.base_fields) & mine), (model_admin, form_model, set(form.base_fields) & mine)
            checked += sorted(mine)
    # The walk reached the booking's consents, from the booking admin and the event's inline.
    assert checked.count("attendee_list_consent") >= 2
    assert "access_requirements_consent_at" in checked


def test_staff_posting_consent_to_the_booking_change_form_changes_nothing(client):
    from events.models import Booking
    from tests.conftest import login_with_mfa
    from tests.events.factories import BookingFactory

    booking = BookingFactory()
    staff = login_with_mfa(client, person(is_staff=True, is_superuser=True, email="staff@example.org"))
    url = reverse("admin:events_booking_change", args=[booking.pk])
    page = staff.get(url).content.decode()
    assert 'name="attendee_list_consent"' not in page and 'name="access_requirements"' not in page
    response = staff.post(
        url,
        {
            "_save": "",
            "attended_at_0": "",
            "attended_at_1": "",
            "attendee_list_consent": "on",
            "access_requirements": "Wheelchair access",
            "dietary_requirements": "Vegan",
            "access_requirements_consent_at": "2026-01-01 10:00",
        },
    )
    assert response.status_code == 302
    after = Booking.objects.get(pk=booking.pk)
    assert not after.attendee_list_consent and after.attendee_list_consent_at is None
    assert after.access_requirements == "" and after.access_requirements_consent_at is None
    assert after.dietary_requirements == booking.dietary_requirements
