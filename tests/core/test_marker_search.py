"""Erasure and the download reach every store, found by searching, not by listing (issue 21, item 1).

A person is made through the pages with a marker in every field they can type into; staff act on their
records in the admin; other people's emails name them. Then:

1. every text column, session, cache entry and upload holding a marker is a store this test knows: one
   the journey filled, or one declared in `crossector.core.privacy.HELD` (a new model with a personal text
   field that the journey fills but privacy.py forgets fails here, and one the journey cannot reach has to
   be declared to pass);
2. every marker held anywhere is in the download, unless its store is declared as left out of it, with a
   reason the download's "not_included" and the privacy notice both state;
3. after the person deletes their account, every marker still held anywhere is in a store declared as kept
   after deletion, with a reason the privacy notice states.
"""

import html
import json
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from awards.models import Application
from crossector.core import privacy
from crossector.core.models import OutboundEmail, User
from events.models import Booking
from hubs.network.models import AbuseReport
from hubs.network.services import matchmaking_digests_send
from tests.awards.factories import AwardCallFactory, pdf_bytes
from tests.conftest import login_with_mfa
from tests.core.data_rights import private_media, recently_signed_in  # noqa: F401
from tests.core.pages import Markers, submit
from tests.core.stores import search_everywhere
from tests.events.factories import EventFactory, HubFactory
from tests.factories import PASSWORD, person
from tests.network.factories import member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def ok(response, *expected_status):
    if response.status_code not in (expected_status or (302,)):
        import re

        text = re.sub(r"<[^>]+>", " ", response.content.decode())
        problems = [line.strip() for line in text.splitlines() if line.strip()][:400]
        raise AssertionError((response.status_code, " | ".join(problems[-200:])))
    return response


def sign_up_through_the_pages(client, markers: Markers) -> User:
    email = f"{markers.new('sign-up: email')}@example.org"
    ok(
        submit(
            client,
            reverse("account_signup"),
            markers,
            values={"email": email, "password1": PASSWORD, "password2": PASSWORD},
        )
    )
    user = User.objects.get(email=email)
    # The verification email's link, followed as the person would.
    verification = OutboundEmail.objects.filter(to=email).latest("created_at")
    link = next(w for w in verification.body_text.split() if "/accounts/confirm-email/" in w)
    path = link[link.index("/accounts/") :]
    ok(submit(client, path, markers))
    return user


def profile_through_the_pages(client, markers: Markers):
    ok(
        submit(
            client,
            reverse("profile"),
            markers,
            values={"full_name": f"Ffion {markers.new('profile: full_name')}", "sector": "nhs", "region": "wales"},
        )
    )


def second_address_through_the_pages(client, markers: Markers) -> str:
    """A second address, added on the email page: allauth emails it a confirmation link."""
    address = f"{markers.new('second email address')}@example.org"
    ok(client.post(reverse("account_email"), {"email": address, "action_add": ""}))
    assert OutboundEmail.objects.filter(to=address).exists()
    return address


def application_through_the_pages(client, markers: Markers, call, *, submit_it: bool):
    base = f"/awards/{call.slug}/apply/"
    ok(client.post(base))
    ok(submit(client, base + "you/", markers, values={"organisation_sector": "nhs", "career_stage": "mid"}))
    ok(
        submit(
            client,
            base + "partners/",
            markers,
            values={"partners-0-sector": "industry_sme", "partners-0-is_health_related": "yes"},
        )
    )
    ok(submit(client, base + "proposal/", markers))
    start = f"{timezone.localdate() + timedelta(days=200):%-d %-m %Y}"
    ok(
        submit(
            client,
            base + "costs/",
            markers,
            values={
                "costs-0-category": "travel",
                "costs-0-amount": "2500.00",
                "duration_months": "6",
                "fte_percent": "100",
                **dict(zip(("start_date_day", "start_date_month", "start_date_year"), start.split(), strict=True)),
                "start_date": start,
            },
        )
    )
    ok(submit(client, base + "documents/", markers, form="partner_letter-signatory_name"))
    for kind in ("cv", "partner_letter", "employer_statement"):
        name = f"{markers.new('upload: file name')}.pdf"
        upload = SimpleUploadedFile(name, pdf_bytes(markers.new("upload: file content")), "application/pdf")
        ok(client.post(base + "documents/", {kind: upload}))
    if submit_it:
        ok(submit(client, base + "check/", markers, values={"submit": ""}))


@pytest.fixture
def journey(client, django_capture_on_commit_callbacks):
    """The person, made through the pages, and everything others do that touches them."""
    markers = Markers()
    hub = HubFactory()
    event = EventFactory(hub=hub, starts_at=timezone.now() + timedelta(days=3))
    later = EventFactory(hub=hub, starts_at=timezone.now() + timedelta(days=20))
    open_call, other_call = AwardCallFactory(), AwardCallFactory()
    other = member(full_name="Gareth Other", email="gareth.other@example.org", sector="industry_sme")
    pest = member(full_name="Pest Person", email="pest@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        user = sign_up_through_the_pages(client, markers)
        profile_through_the_pages(client, markers)
        second = second_address_through_the_pages(client, markers)
        # A directory search for someone: what the person typed must not be kept (the cached filter form).
        ok(client.get(reverse("network:directory"), {"q": markers.new("directory: search")}), 200)
        ok(client.post(reverse("hubs:follow", args=[hub.slug])))
        ok(client.post(reverse("awards:notify")))
        ok(submit(client, reverse("events:book", args=[event.slug]), markers))
        ok(submit(client, reverse("events:book", args=[later.slug]), markers))
        application_through_the_pages(client, markers, open_call, submit_it=True)
        application_through_the_pages(client, markers, other_call, submit_it=False)
        ok(submit(client, reverse("network:request_create", args=[other.pk]), markers))
        ok(submit(client, reverse("network:report", args=[pest.pk]), markers))
        ok(client.post(reverse("network:block", args=[pest.pk])))

        # Another attendee books too, and the matchmaking digest names the person to them.
        Client().force_login(other)
        other_client = Client()
        other_client.force_login(other)
        ok(other_client.post(reverse("events:book", args=[event.slug]), {"attendee_list_consent": "on"}))
        matchmaking_digests_send()

        # Staff: edit the person's booking in the admin; record an eligibility check naming them.
        staff = login_with_mfa(Client(), person(is_staff=True, is_superuser=True, email="staff@example.org"))
        booking = Booking.objects.get(user=user, event=event)
        ok(
            submit(
                staff,
                reverse("admin:events_booking_change", args=[booking.pk]),
                markers,
                values={"_save": "", "attended_at_0": "", "attended_at_1": ""},
            )
        )
        submitted = Application.objects.get(applicant=user, call=open_call)
        name = user.profile.full_name
        ok(
            staff.post(
                reverse("admin:awards_application_transition", args=[submitted.pk]),
                {
                    "to_status": "eligible",
                    "note": f"Eligibility checked for {name} {user.email} ({second}) {markers.new('staff: note')}",
                },
            )
        )
        # Another member reports the person, quoting their addresses; staff note the addresses too. The report
        # is kept after deletion; the addresses in it are not.
        reporter = Client()
        reporter.force_login(member(full_name="Rhys Reporter", email="rhys@example.org"))
        reason = f"They wrote to me from {user.email.upper()} and {second}, please look into it."
        ok(reporter.post(reverse("network:report", args=[user.pk]), {"reason": reason}))
        report = AbuseReport.objects.get(reporter__email="rhys@example.org", reported=user)
        AbuseReport.objects.filter(pk=report.pk).update(staff_notes=f"Wrote to {user.email} and {second}.")

    # A sign-in session that had already expired when the account was deleted.
    stale = Client()
    ok(submit(stale, reverse("account_login"), markers, values={"login": user.email, "password": PASSWORD}))
    Session.objects.filter(session_key=stale.session.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    markers.addresses = {m for address in (user.email, second) for m in markers.find(address)}
    return markers, user


def declared(store: str, held) -> bool:
    return any(h.holds(store) for h in held)


def test_every_marker_is_in_the_download_and_only_declared_stores_keep_one_after_deletion(
    client, journey, django_capture_on_commit_callbacks
):
    markers, user = journey
    before = search_everywhere(markers)
    assert len({h.marker for h in before}) >= 30, sorted(markers.made.items())
    # The journey reaches the stores the issue found: the admin's log, an expired session, a staff note,
    # another attendee's digest, the upload store.
    stores = {h.store.split("@")[0] for h in before}
    for store in (
        "django_admin_log.object_repr",
        "session",
        "awards_applicationevent.note",
        "uploads",
        "account_emailaddress.email",
        "hubs_abusereport.reason",
        "hubs_abusereport.staff_notes",
    ):
        assert store in stores, store
    assert any(h.store.startswith("core_outboundemail.body_text@network-digest-") for h in before)

    # 2. Everything held is in the download, or declared as left out of it.
    response = ok(recently_signed_in(client, user).post(reverse("privacy_data")), 200)
    download = response.content.decode()
    in_download = markers.find(download)
    left_out = privacy.held(privacy.Held.NOT_IN_DOWNLOAD)
    missing = [str(h) for h in before if h.marker not in in_download and not declared(h.store, left_out)]
    assert not missing, "Held but not in the download:\n" + "\n".join(missing)
    not_included = json.loads(download)["not_included"]
    notice = html.unescape(client.get(reverse("privacy")).content.decode())
    for h in left_out:
        assert any(h.why in line for line in not_included), h.why
        assert h.why in notice, h.why

    # 3. After deletion, only the stores declared as kept hold anything.
    with django_capture_on_commit_callbacks(execute=True):
        deleted = ok(client.post(reverse("privacy_delete"), {"password": PASSWORD}))
    after = search_everywhere(markers)
    kept = privacy.held(privacy.Held.KEPT)
    left = [str(h) for h in after if not declared(h.store, kept)]
    assert not left, "Still held after deletion:\n" + "\n".join(left)
    # The person's addresses are erased even from what is kept (a staff note, a report about them), except
    # where a declaration says the address itself is kept (the email telling them the account is gone).
    with_address = [h for h in kept if h.keeps_address]
    addresses = [str(h) for h in after if h.marker in markers.addresses and not declared(h.store, with_address)]
    assert not addresses, "An address is still held after deletion:\n" + "\n".join(addresses)
    assert "(email address removed)" in AbuseReport.objects.get(reporter__email="rhys@example.org").reason
    # The browser forgets it was signed in from: the known-device cookie names (by digest) the addresses.
    assert deleted.cookies["known_device"].value == ""
    assert deleted.cookies["known_device"]["max-age"] == 0
    for h in kept:
        assert h.why in notice, h.why


# Text columns no page lets a person type into, and why a new one must be added here (or to the journey, or to
# privacy.Held) before this test passes: that is how a forgotten personal field is found.
NOT_TYPED_BY_THE_PERSON = {
    "programme content written by staff": (
        "auth_group.*",
        "awards_awardcall.*",
        "awards_callfaq.*",
        "awards_outcomeemailtemplate.*",
        "awards_reviewcriterion.*",
        "core_priorityarea.*",
        "events_event.*",
        "hubs_hub.*",
        "hubs_partner.*",
        "hubs_contact.*",
    ),
    "the framework's own tables": (
        "auth_permission.*",
        "django_celery_beat_*",
        "django_content_type.*",
        "django_migrations.*",
    ),
    "secrets, hashes and random keys, erased with the account or expiring": (
        "account_emailconfirmation.key",
        "awards_signatoryrequest.token_hash",
        "core_user.password",
        "mfa_authenticator.data",
        "django_session.session_key",
        "awards_document.file",
    ),
    "built by the portal from ids, or searched in another form": (
        "core_outboundemail.idempotency_key",
        "awards_application.reference",
        "django_admin_log.object_id",
        "django_session.session_data",  # searched decoded, as "session"
        "core_outboundemail.attachments",  # calendar files: the event's details
        "core_outboundemail.last_error",  # the mail server's answer
        "django_admin_log.change_message",  # the names of the fields staff changed
        "awards_applicationevent.data",
    ),
    "written by reviewers and staff: declared in privacy.Held and tested in tests/awards": (
        "awards_review.comments",
        "awards_reviewerassignment.conflict_reason",
        "hubs_abusereport.staff_notes",
    ),
}


def _choice_columns() -> set[str]:
    from django.apps import apps

    return {
        f"{model._meta.db_table}.{f.column}"
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.choices
    }


def test_every_text_column_is_filled_by_the_journey_or_known_not_to_be_typed_by_the_person(journey):
    """A new model (or field) holding text a person types must be reached by the journey above, so that the
    download and erasure are checked for it; otherwise it has to be listed here with its reason."""
    from fnmatch import fnmatchcase

    from tests.core.stores import text_columns

    markers, _ = journey
    filled = {h.store.split("@")[0] for h in search_everywhere(markers)}
    known = [pattern for patterns in NOT_TYPED_BY_THE_PERSON.values() for pattern in patterns]
    unknown = [
        f"{table}.{column}"
        for table, column in text_columns()
        if f"{table}.{column}" not in filled | _choice_columns()
        and not any(fnmatchcase(f"{table}.{column}", p) for p in known)
    ]
    assert unknown == []
