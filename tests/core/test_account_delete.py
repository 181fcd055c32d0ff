"""Delete my account: everything that identifies the person goes, except what the retention policy keeps."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse

from awards.models import Application, Document
from crossector.core import privacy
from crossector.core.models import OutboundEmail, Profile, User
from events.models import Booking
from hubs.models import HubFollow
from hubs.network.models import AbuseReport, Block, ConnectionRequest
from tests.awards.factories import AwardCallFactory, application, complete
from tests.core.data_rights import footprint, private_media  # noqa: F401
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def delete_account(client, user, password=PASSWORD, **extra):
    client.force_login(user)
    return client.post(reverse("privacy_delete"), {"password": password}, **extra)


def identifying_values_linked_to(user_id: int, needles: list[str]) -> list[str]:
    """Every text column of every row that points at the user, searched for the person's name and email."""
    found = []
    for model in apps.get_models():
        links = [
            f
            for f in model._meta.get_fields()
            if (f.many_to_one or f.one_to_one) and f.concrete and f.related_model is User
        ]
        texts = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        for link in links:
            for row in model.objects.filter(**{link.name: user_id}).values(*[f.attname for f in texts]):
                for column, value in row.items():
                    if value and any(n.lower() in str(value).lower() for n in needles):
                        found.append(f"{model._meta.label}.{column}")
    user_row = User.objects.filter(pk=user_id).values("email").get()
    found += [f"core.User.email={user_row['email']}" for n in needles if n.lower() in user_row["email"].lower()]
    return found


def test_confirmation_page_says_what_is_erased_and_what_is_kept_and_why(client):
    fp = footprint()
    client.force_login(fp.user)
    html = client.get(reverse("privacy_delete")).content.decode()
    assert "This cannot be undone." in html
    assert "1 unsubmitted application" in html
    assert "for events that have not started yet will be cancelled" in html
    assert "CSEA-24-0000" in html and "2 years after the decision" in html
    assert "stay in our event statistics" in html
    assert 'autocomplete="current-password"' in html


def test_wrong_password_shows_the_error_summary_and_erases_nothing(client):
    fp = footprint()
    response = delete_account(client, fp.user, password="not-my-password")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "The password is not right" in response.content.decode()
    fp.user.refresh_from_db()
    assert fp.user.is_active and fp.user.email == "ffion@example.org"
    assert Application.objects.filter(pk=fp.draft.pk).exists()


def test_deleting_erases_the_person_and_keeps_only_what_the_policy_says(
    client, django_capture_on_commit_callbacks, upload_storage
):
    fp = footprint()
    TOTP.activate(fp.user, generate_totp_secret())
    files = list(Document.objects.filter(application=fp.draft).values_list("file", flat=True))
    assert files and all(default_storage.exists(name) for name in files)
    user_id = fp.user.pk

    with django_capture_on_commit_callbacks(execute=True):
        response = delete_account(client, fp.user)

    assert response.status_code == 302 and response["Location"] == reverse("privacy_account_deleted")
    page = client.get(response["Location"]).content.decode()
    assert "Your account has been deleted" in page and "CSEA-24-0000" in page
    assert "_auth_user_id" not in client.session

    user = User.objects.get(pk=user_id)
    assert not user.is_active and not user.has_usable_password()
    assert user.email == f"deleted-{user_id}@erased.invalid"
    assert not EmailAddress.objects.filter(user_id=user_id).exists()
    assert not Authenticator.objects.filter(user_id=user_id).exists()

    profile = Profile.objects.get(user_id=user_id)
    assert (profile.organisation, profile.job_title, profile.sector, profile.region, profile.bio) == ("",) * 5
    assert not profile.directory_listed and not profile.interests.exists()
    # Kept only because the submitted application is kept, and named on the confirmation page.
    assert profile.full_name == "Ffion Aderyn-Pritchard"

    future = Booking.objects.get(pk=fp.future_booking.pk)
    assert future.status == Booking.Status.CANCELLED and future.user is None
    past = Booking.objects.get(pk=fp.past_booking.pk)
    assert past.user is None and past.attended_at is not None and past.sector == "nhs"
    assert (past.access_requirements, past.dietary_requirements) == ("", "")

    assert not Application.objects.filter(pk=fp.draft.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert Application.objects.filter(pk=fp.submitted.pk, applicant_id=user_id).exists()

    assert not HubFollow.objects.filter(user_id=user_id).exists()
    assert not ConnectionRequest.objects.filter(sender_id=user_id).exists()
    assert not ConnectionRequest.objects.filter(recipient_id=user_id).exists()
    assert not Block.objects.filter(blocker_id=user_id).exists()
    assert not AbuseReport.objects.filter(reporter_id=user_id).exists()

    leftovers = identifying_values_linked_to(user_id, ["ffion@example.org", "Ffion", "Aderyn", "Powys"])
    assert leftovers == ["core.Profile.full_name"]
    final = OutboundEmail.objects.get(idempotency_key=f"account-{user_id}-deleted")
    assert final.to == "ffion@example.org" and final.user is None
    assert "CSEA-24-0000" in final.body_text and "What we keep, and why" in final.body_text
    others = OutboundEmail.objects.exclude(pk=final.pk)
    assert not others.filter(to__iexact="ffion@example.org").exists()
    assert not [e.subject for e in others if "Ffion" in e.body_text + e.body_html + e.subject]


def test_cancelled_place_goes_to_the_waiting_list(client, django_capture_on_commit_callbacks):
    user = person()
    event = EventFactory(capacity=1)
    BookingFactory(user=user, event=event)
    waiting = BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(client, user)
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED
    assert OutboundEmail.objects.filter(idempotency_key=f"booking-{waiting.pk}-promoted").exists()
    # No cancellation email to an address that is being erased.
    assert not OutboundEmail.objects.filter(idempotency_key__endswith="-cancelled").exists()


def test_every_session_ends_and_the_old_password_no_longer_signs_in(client, django_user_model):
    from django.test import Client

    user = person(email="leaving@example.org")
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get(reverse("profile")).status_code == 200
    delete_account(client, user)

    assert elsewhere.get(reverse("profile")).status_code == 302
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(user.pk) not in sessions
    login = Client().post(reverse("account_login"), {"login": "leaving@example.org", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session


def test_the_address_can_be_used_for_a_new_account(client):
    user = person(email="again@example.org")
    delete_account(client, user)
    client.logout()
    response = client.post(
        reverse("account_signup"),
        {"email": "again@example.org", "password1": "a-long-new-passphrase-9", "password2": "a-long-new-passphrase-9"},
    )
    assert response.status_code == 302
    assert User.objects.filter(email="again@example.org").exclude(pk=user.pk).exists()


def test_without_a_kept_application_the_name_goes_too(client):
    user = person(full_name="Dafydd Draft-Only")
    complete(application(call=AwardCallFactory(), applicant=user))
    delete_account(client, user)
    assert Profile.objects.get(user=user).full_name == ""
    assert not Application.objects.filter(applicant=user).exists()
    assert identifying_values_linked_to(user.pk, ["Dafydd", user.email]) == []


def test_deletion_is_all_or_nothing(client, monkeypatch):
    fp = footprint()
    import awards.privacy

    def broken(user, *, now):
        raise RuntimeError("storage is down")

    monkeypatch.setattr(awards.privacy, "erase_for", broken)
    client.raise_request_exception = False
    response = delete_account(client, fp.user)
    assert response.status_code == 500
    fp.user.refresh_from_db()
    assert fp.user.is_active and fp.user.email == "ffion@example.org"
    assert Booking.objects.get(pk=fp.past_booking.pk).user_id == fp.user.pk
    assert ConnectionRequest.objects.filter(sender=fp.user).exists()


def test_staff_accounts_are_closed_by_the_programme_team(staff_client, staff_user):
    response = staff_client.get(reverse("privacy_delete"))
    assert "closed by the programme team" in response.content.decode()
    staff_client.post(reverse("privacy_delete"), {"password": PASSWORD})
    staff_user.refresh_from_db()
    assert staff_user.is_active
    with pytest.raises(PermissionError):
        privacy.account_erase(user=staff_user)


def test_deleted_page_without_a_deletion_goes_home(client):
    assert client.get(reverse("privacy_account_deleted"))["Location"] == reverse("home")


def test_retention_settings_are_what_the_privacy_notice_says():
    assert (settings.RETENTION_DRAFT_MONTHS, settings.RETENTION_OUTBOX_DAYS) == (6, 90)
    assert (settings.RETENTION_UNSUCCESSFUL_MONTHS, settings.RETENTION_AWARDED_YEARS) == (24, 7)


def test_staff_emails_to_a_past_events_attendees_skip_an_anonymised_booking(client):
    from django.utils import timezone

    from events.services import attendees_email

    started = timezone.now() - timedelta(hours=1)
    event = EventFactory(starts_at=started, ends_at=started + timedelta(hours=3))
    leaving, staying = person(), person()
    BookingFactory(user=leaving, event=event)
    BookingFactory(user=staying, event=event)
    delete_account(client, leaving)
    assert Booking.objects.filter(event=event, user__isnull=True).count() == 1
    assert attendees_email(event=event, subject="Thank you for coming", message="Slides attached.") == 1
    assert OutboundEmail.objects.filter(subject="Thank you for coming").get().to == staying.email


def test_an_awarded_application_is_kept_seven_years_for_audit_even_from_a_leap_day():
    from datetime import UTC, datetime

    from awards.models import ApplicationEvent

    user = person()
    decided_at = datetime(2024, 2, 29, 12, tzinfo=UTC)
    app = application(
        call=AwardCallFactory(),
        applicant=user,
        status="awarded",
        reference="CSEA-24-0042",
        submitted_at=decided_at - timedelta(days=60),
        awarded_amount=90000,
    )
    ApplicationEvent.objects.create(
        application=app, kind="status", from_status="shortlisted", to_status="awarded", created_at=decided_at
    )
    kept = privacy.account_erasure_preview(user=user).kept
    assert any("CSEA-24-0042" in line and "kept until 28 February 2031" in line and "audited" in line for line in kept)
