"""Data rights by kind (issue 21, the outside tester's faults): each fault's kind, tested across its cases."""

import html
import json
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client
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


# --- Cookies: every cookie the portal sets is the notice's list, and the list is every cookie --------------------


class RecordingClient(Client):
    """A browser that remembers the name of every cookie any response set (or deleted)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cookie_names: set[str] = set()

    def request(self, **request):
        response = super().request(**request)
        self.cookie_names |= set(response.cookies)
        return response


def _notice_cookie_names(client) -> list[str]:
    page = client.get(reverse("privacy")).content.decode()
    table = page[page.index('id="cookie-list"') : page.index("</table>", page.index('id="cookie-list"'))]
    return re.findall(r'<th scope="row"><code>([^<]+)</code></th>', table)


def _messages_in(client) -> list[str]:
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    morsel = client.cookies.get("messages")
    if morsel is None or not morsel.value:
        return []
    return [str(m) for m in CookieStorage(HttpRequest())._decode(morsel.value) or []]


def test_the_cookies_a_journey_receives_are_exactly_the_notices_cookie_list(django_capture_on_commit_callbacks):
    """Sign-up and the confirmation link, sign-in, a second address, profile, booking, an application form,
    the directory, the data download, a staff sign-in with two factors and the admin, and deletion."""
    from tests.awards.factories import AwardCallFactory
    from tests.core.test_mfa_gate import staff_with_totp, totp_code
    from tests.events.factories import EventFactory

    browser = RecordingClient()
    event, call = EventFactory(), AwardCallFactory()
    with django_capture_on_commit_callbacks(execute=True):
        browser.get(reverse("account_signup"))
        browser.post(
            reverse("account_signup"), {"email": "nia@example.org", "password1": PASSWORD, "password2": PASSWORD}
        )
        link = OutboundEmail.objects.get(to="nia@example.org").body_text
        path = re.search(r"/accounts/confirm-email/\S+", link).group(0)
        browser.post(path)
        profile = {"full_name": "Nia Hughes", "sector": "nhs", "region": "wales", "directory_listed": "on"}
        browser.post(reverse("profile"), profile)
        browser.post(reverse("account_email"), {"email": "nia.work@example.org", "action_add": ""})
        assert not any("@" in m for m in _messages_in(browser)), _messages_in(browser)
        browser.post(reverse("account_logout"))
        browser.post(reverse("account_login"), {"login": "nia@example.org", "password": PASSWORD})
        assert _messages_in(browser) and not any("@" in m for m in _messages_in(browser)), _messages_in(browser)
        browser.post(reverse("events:book", args=[event.slug]), {"attendee_list_consent": "on"})
        browser.post(f"/awards/{call.slug}/apply/")
        browser.post(f"/awards/{call.slug}/apply/you/", {"organisation": "Powys"})
        browser.get(reverse("network:directory"), {"q": "Hughes"})
        browser.post(reverse("awards:notify"))
        browser.post(reverse("privacy_data"))

        staff = RecordingClient()
        staff_with_totp(email="ops@example.org")
        secret = Authenticator.objects.get(user__email="ops@example.org").wrap().instance.data["secret"]
        staff.post("/accounts/login/?next=/admin/", {"login": "ops@example.org", "password": PASSWORD})
        staff.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert staff.get("/admin/").status_code == 200

        browser.post(reverse("account_logout"))
        browser.post(reverse("account_login"), {"login": "nia@example.org", "password": PASSWORD})
        deleted = browser.post(reverse("privacy_delete"), {"password": PASSWORD})
        assert deleted.status_code == 302
    seen = browser.cookie_names | staff.cookie_names
    listed = _notice_cookie_names(Client())
    assert len(listed) == len(set(listed))
    assert seen == set(listed), f"set by the portal: {sorted(seen)}; in the notice: {sorted(listed)}"


def test_sign_in_messages_never_carry_an_address(client):
    user = person(email="rhodri.long.address@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    messages = _messages_in(client)
    assert messages == ["You have signed in."]


def test_the_notice_says_the_same_session_limit_in_its_cookie_list_and_its_retention_table(client, settings):
    settings.SESSION_COOKIE_AGE = 3 * 7 * 24 * 3600
    page = html.unescape(client.get(reverse("privacy")).content.decode())
    assert page.count("at most 3 weeks after you last used the portal") == 2
    assert "2 weeks" not in page


# --- The notice, the deletion page and the download say the same ------------------------------------------------


def _list(page: str, list_id: str) -> list[str]:
    start = page.index(f'id="{list_id}"')
    body = page[start : page.index("</ul>", start)]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", body, re.S)]


def test_the_notice_the_deletion_page_and_the_download_list_the_same_things(client):
    from tests.core.data_rights import footprint

    fp = footprint()
    notice = client.get(reverse("privacy")).content.decode()
    erased = [h.sentence for h in privacy.held(privacy.Held.ERASED)]
    kept = [h.sentence for h in privacy.held(privacy.Held.KEPT)]
    left_out = [h.sentence for h in privacy.held(privacy.Held.NOT_IN_DOWNLOAD)]
    assert _list(notice, "deletion-erases") == erased
    assert _list(notice, "deletion-keeps") == kept
    assert _list(notice, "download-leaves-out") == left_out

    data = json.loads(recently_signed_in(client, fp.user).post(reverse("privacy_data")).content)
    assert data["not_included"] == left_out

    page = html.unescape(client.get(reverse("privacy_delete")).content.decode())
    for sentence in erased + kept:
        assert sentence in page, sentence

    # What the tester found missing is in all of them.
    for words in (
        "Reports other members made about you",
        "The notes our staff wrote on your applications' status",
        "Your requests to be told when an award call opens",
        "Reviewers' names, scores and comments",
        "Your password and your two-factor secrets",
    ):
        assert any(words in line for line in erased + kept + left_out), words
        assert words in html.unescape(notice), words


def test_deletion_deletes_call_notices_as_the_deletion_page_says(client):
    from awards.models import CallOpenNoticeRequest

    user = person()
    client.force_login(user)
    client.post(reverse("awards:notify"))
    assert CallOpenNoticeRequest.objects.filter(user=user).exists()
    assert "Your requests to be told when an award call opens" in html.unescape(
        client.get(reverse("privacy_delete")).content.decode()
    )
    privacy.account_erase(user=user)
    assert not CallOpenNoticeRequest.objects.filter(user=user).exists()


# --- The notice is linked inside every portal form that collects personal data ----------------------------------

PRIVACY_HREF = re.compile(r'href="/privacy/[^"]*"')
# Fields a person types into, picks or ticks: what they give us. (A radio button picks among what is
# already held, such as which of one's addresses is primary; a password is checked or hashed, never kept.)
GIVING_TYPES = {"text", "search", "tel", "url", "email", "number", "date", "file", "checkbox", ""}
# Forms with nothing to type that still record something about the person.
RECORDS_WITHOUT_TYPING = {"awards:notify", "hubs:follow"}
# Forms that take what they need only to check who someone is, or to send a link to an address already held.
NOT_COLLECTING = {
    "account_login": "checks the address and password of an account that exists",
    "account_reset_password": "sends a reset link to an address we already hold (or to nobody)",
    "account_reauthenticate": "checks the password again",
    "mfa_reauthenticate": "checks a second factor again",
    "mfa_authenticate": "checks a second factor",
}


def _post_forms(page: str):
    from tests.core.pages import forms_on

    for match in re.finditer(r"<form\b[^>]*>.*?</form>", page, re.S | re.I):
        parsed = forms_on(match.group(0))
        if parsed:
            yield parsed[0], match.group(0)


def _collects(form, name: str) -> bool:
    if name in RECORDS_WITHOUT_TYPING:
        return True
    return any(
        f.tag in ("textarea", "select") or (f.tag == "input" and f.type in GIVING_TYPES)
        for f in form.fields
        if f.name not in ("csrfmiddlewaretoken", "next") and f.type not in ("hidden", "submit", "button", "password")
    )


def _portal_pages(world):
    """(who, path) for every portal page: each URL pattern outside the admin, with the objects the URL walk
    builds (tests/security/test_url_walk.py), as A, and each one without parameters signed out too."""
    from tests.awards.factories import AwardCallFactory
    from tests.events.factories import EventFactory, HubFactory
    from tests.network.factories import member
    from tests.security import test_url_walk as walk

    upcoming = AwardCallFactory(
        opens_at=timezone.now() + timezone.timedelta(days=30), closes_at=timezone.now() + timezone.timedelta(days=90)
    )
    stranger = member(full_name="Eluned Stranger")
    listed = {"user_id": stranger.pk}
    built = dict(walk.PRIVATE)
    built.update({name: builder for name, (_, builder) in walk.PUBLIC.items()})
    for pattern in walk.all_patterns():
        if pattern.route.startswith("admin/") or pattern.key in ("account_logout",):
            continue
        if not pattern.params:
            yield "A", pattern.url({})
            yield "signed out", pattern.url({})
        elif pattern.key in built:
            kwargs_list = built[pattern.key](world)
            if "user_id" in pattern.params:
                kwargs_list = [listed]
            for kwargs in kwargs_list:
                yield "A", pattern.url(kwargs)
    yield "A", reverse("awards:call", args=[upcoming.slug])
    yield "A", reverse("hubs:detail", args=[HubFactory().slug])  # a hub A does not follow: its follow form
    fresh = EventFactory(hub=world.event.hub)  # one A has not booked yet: its booking form
    yield "A", reverse("events:book", args=[fresh.slug])
    yield "A", reverse("events:detail", args=[fresh.slug])


@pytest.fixture
def world(settings, tmp_path):
    from tests.security.world import world_build

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path, "base_url": None}},
    }
    return world_build()


def test_every_portal_form_that_collects_personal_data_links_the_notice_inside_the_form(world):
    from django.urls import Resolver404, resolve

    clients = {"A": Client(), "signed out": Client()}
    clients["A"].force_login(world.owner)
    found, missing = set(), []
    for who, path in _portal_pages(world):
        response = clients[who].get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for form, markup in _post_forms(response.content.decode()):
            try:
                name = resolve((form.action or path).split("?")[0]).view_name
            except Resolver404:
                name = form.action
            if name in NOT_COLLECTING or not _collects(form, name):
                continue
            found.add(name)
            if not PRIVACY_HREF.search(markup):
                missing.append(f"{name} on {path} ({who})")
    assert not missing, "No privacy notice link inside the form:\n" + "\n".join(sorted(set(missing)))
    # The walk reaches the collecting forms the tester named, and the ones the notice was already next to.
    for name in (
        "account_signup",
        "account_email",
        "awards:notify",
        "profile",
        "events:book",
        "events:booking_requirements",
        "awards:section",
        "network:request_create",
        "network:report",
        "hubs:follow",
        "awards:documents",
        "awards:signatory_request",
    ):
        assert name in found, (name, sorted(found))
