"""Setting up a second factor on an account that needs one takes an emailed one-time link, not only the password.

The fault this closes: a stolen password let a reviewer's (or staff member's, or hub organiser's) account add the
thief's own authenticator app and then pass every second-factor check.
"""

import re
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from django.core import signing
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crossector.core import mfa_enrolment
from crossector.core.models import OutboundEmail, SecondFactorEnrolmentLink
from tests.conftest import login_with_mfa, mfa_enrolment_link
from tests.factories import PASSWORD, person

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
EMAIL_PAGE = "/accounts/2fa/totp/email/"
# What the set-up page shows and nothing else does: the key as text, the QR code, the otpauth:// address.
SECRET_SIGNS = ('data-testid="totp-secret"', "otpauth://", "data:image/svg+xml", "Setup key")


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in_with_password(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password sign-in itself must work"
    return client


def confirm_password(client):
    """allauth's "Confirm access" step, passed with the password (what a password thief can do)."""
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def secrets_in_session(client) -> list[str]:
    return [key for key, _value in client.session.items() if "totp" in key.lower() or "secret" in key.lower()]


def reviewer_of(application):
    from awards.review.models import ReviewerAssignment
    from tests.security.world import reviewer_in_group

    reviewer = reviewer_in_group()
    ReviewerAssignment.objects.create(application=application, reviewer=reviewer)
    return reviewer


def hub_organiser():
    from events.permissions import organisers_group_ensure

    user = person(is_staff=True, email="organiser.h@example.org")
    user.groups.add(organisers_group_ensure())
    return user


def reviewer():
    user = person(is_staff=True, email="reviewer.h@example.org")
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    return user


def programme_staff():
    return person(is_staff=True, is_superuser=True, email="staff.h@example.org")


WHO_NEEDS_IT = {"programme staff": programme_staff, "reviewer": reviewer, "hub organiser": hub_organiser}


def enrol_through_the_link(client, user) -> str:
    """The whole set-up as a person does it: ask for the link, open it, confirm the password, type a code."""
    client.post(EMAIL_PAGE)
    response = client.get(mfa_enrolment_link(user))
    assert response.status_code == 302 and response["Location"] == ACTIVATE
    confirm_password(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/recovery-codes/"
    return secret


# --- The tester's sequence ---------------------------------------------------------------------------------


def test_the_testers_sequence_no_longer_gives_a_password_only_reviewer_the_setup_key_or_the_applications(client):
    submitted = _submitted_application()
    assigned = reviewer_of(submitted)
    review_url = reverse("admin:awards_applicationtoreview_change", args=[submitted.pk])

    sign_in_with_password(client, assigned)
    response = client.get(ACTIVATE)
    assert response.status_code == 302 and response["Location"] == EMAIL_PAGE
    confirm_password(client)  # the "Confirm access" step the tester passed with the password
    page = client.get(ACTIVATE, follow=True)
    html = page.content.decode()
    assert page.resolver_match.url_name == "mfa_enrolment_email"
    assert "Check your email" in html and not any(sign in html for sign in SECRET_SIGNS)
    assert secrets_in_session(client) == []

    # POSTing a code for a key the thief made up sets nothing up.
    response = client.post(ACTIVATE, {"code": totp_code(generate_totp_secret())})
    assert response.status_code == 302 and response["Location"] == EMAIL_PAGE
    assert not Authenticator.objects.filter(user=assigned).exists()
    assert client.get(review_url).status_code == 302  # still not let at the application


def _submitted_application():
    from awards import services as award_services
    from tests.awards.factories import AwardCallFactory, application, complete

    submitted = complete(application(call=AwardCallFactory()))
    submitted = award_services.application_submit(application=submitted, user=submitted.applicant)
    return submitted


@pytest.mark.parametrize("who", WHO_NEEDS_IT)
def test_every_account_that_needs_the_second_factor_is_sent_to_the_email_step_first(client, who):
    user = WHO_NEEDS_IT[who]()
    sign_in_with_password(client, user)
    confirm_password(client)
    for method in (client.get, client.post):
        response = method(ACTIVATE, {"code": "123456"} if method == client.post else None)
        assert response.status_code == 302 and response["Location"] == EMAIL_PAGE, (who, method)
    assert not Authenticator.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)  # allauth announces the new app after commit, as in production
@pytest.mark.parametrize("who", WHO_NEEDS_IT)
def test_with_the_link_the_account_sets_up_its_app_and_passes_the_second_factor(client, who):
    user = WHO_NEEDS_IT[who]()
    sign_in_with_password(client, user)
    secret = enrol_through_the_link(client, user)
    assert Authenticator.objects.get(user=user, type="totp").wrap().instance.data["secret"]
    assert secret
    assert client.get("/admin/").status_code == 200  # activation counts as the second step
    # The proof has done its job: it does not linger in the session.
    assert mfa_enrolment.PROOF_SESSION_KEY not in client.session


@pytest.mark.django_db(transaction=True)
def test_the_assigned_reviewer_reaches_the_application_only_after_setting_up_through_the_link(client):
    submitted = _submitted_application()
    assigned = reviewer_of(submitted)
    review_url = reverse("admin:awards_applicationtoreview_change", args=[submitted.pk])
    sign_in_with_password(client, assigned)
    assert client.get(review_url).status_code == 302
    enrol_through_the_link(client, assigned)
    assert client.get(review_url).status_code == 200


# --- The email ------------------------------------------------------------------------------------------------


def test_the_link_goes_to_the_primary_verified_address_only_and_each_link_has_its_own_email(client, settings):
    settings.SITE_URL = "https://portal.example.org"
    user = programme_staff()
    EmailAddress.objects.create(user=user, email="second.h@example.org", verified=True, primary=False)
    sign_in_with_password(client, user)
    page = client.get(EMAIL_PAGE).content.decode()
    assert "staff.h@example.org" in page and 'type="submit"' in page
    assert client.post(EMAIL_PAGE)["Location"] == EMAIL_PAGE
    client.post(EMAIL_PAGE)
    emails = list(OutboundEmail.objects.filter(user=user).order_by("pk"))
    assert [e.to for e in emails] == ["staff.h@example.org", "staff.h@example.org"]
    assert len({e.idempotency_key for e in emails}) == 2
    links = [re.search(r"https://portal\.example\.org(/accounts/2fa/totp/email/\S+/)", e.body_text) for e in emails]
    assert all(links) and links[0].group(1) != links[1].group(1)
    assert "works once, for 30 minutes" in emails[0].body_text
    assert links[0].group(1) in emails[0].body_html
    assert "We have sent a link to staff.h@example.org" in client.get(EMAIL_PAGE).content.decode()


def test_an_account_without_a_verified_primary_address_is_told_whom_to_ask_and_nothing_is_sent(client, settings):
    user = programme_staff()
    EmailAddress.objects.filter(user=user).update(verified=False)
    client.force_login(user)
    page = client.get(EMAIL_PAGE).content.decode()
    assert "no verified email address" in page and settings.CONTACT_EMAIL in page
    client.post(EMAIL_PAGE)
    assert not OutboundEmail.objects.filter(user=user).exists()


def test_an_account_made_with_createsuperuser_gets_its_link_at_its_sign_in_address(client):
    from crossector.core.models import User

    user = User.objects.create_superuser(email="founder.h@example.org", password=PASSWORD)
    client.force_login(user)
    client.post(EMAIL_PAGE)
    assert OutboundEmail.objects.get(user=user).to == "founder.h@example.org"


# --- The link: once, for its own account, within 30 minutes -------------------------------------------------


def test_the_link_opens_once(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    client.post(EMAIL_PAGE)
    link = mfa_enrolment_link(user)
    assert client.get(link)["Location"] == ACTIVATE
    again = client.get(link)
    assert again.status_code == 403 and "used already" in again.content.decode()
    # ... in another session of the same account too.
    other = client.__class__()
    sign_in_with_password(other, user)
    assert other.get(link).status_code == 403
    assert other.get(ACTIVATE)["Location"] == EMAIL_PAGE


def test_the_link_expires_after_30_minutes_and_the_page_it_opens_after_15(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    client.post(EMAIL_PAGE)
    link = mfa_enrolment_link(user)
    with time_machine.travel(time.time() + 31 * 60):
        response = client.get(link)
        assert response.status_code == 403 and "expired" in response.content.decode()
    assert SecondFactorEnrolmentLink.objects.get(user=user).used_at is None

    client.post(EMAIL_PAGE)
    assert client.get(mfa_enrolment_link(user))["Location"] == ACTIVATE
    confirm_password(client)
    assert client.get(ACTIVATE).status_code == 200
    with time_machine.travel(time.time() + 16 * 60):
        assert client.get(ACTIVATE)["Location"] == EMAIL_PAGE


def test_sending_a_link_deletes_the_accounts_expired_ones_only(client):
    user = programme_staff()
    other = reviewer()
    mfa_enrolment.enrolment_link_send(user=other, address=other.email)
    sign_in_with_password(client, user)
    client.post(EMAIL_PAGE)
    with time_machine.travel(time.time() + 20 * 60):
        client.post(EMAIL_PAGE)
    with time_machine.travel(time.time() + 31 * 60):
        client.post(EMAIL_PAGE)
        assert SecondFactorEnrolmentLink.objects.filter(user=user).count() == 2  # the 31-minute-old one is gone
    assert SecondFactorEnrolmentLink.objects.filter(user=other).count() == 1


def test_a_link_row_older_than_30_minutes_is_refused_even_with_a_freshly_signed_token(client):
    user = programme_staff()
    client.force_login(user)
    link = SecondFactorEnrolmentLink.objects.create(user=user)
    SecondFactorEnrolmentLink.objects.filter(pk=link.pk).update(created_at=link.created_at - timedelta(minutes=31))
    token = signing.dumps({"u": user.pk, "n": link.nonce.hex}, salt=mfa_enrolment.LINK_SALT, compress=True)
    assert "expired" in client.get(reverse("mfa_enrolment_link", args=[token])).content.decode()


@pytest.mark.parametrize("who", ["another staff member", "a member of the public"])
def test_the_link_is_refused_signed_in_as_someone_else_and_stays_usable_for_its_owner(client, who):
    owner = programme_staff()
    sign_in_with_password(client, owner)
    client.post(EMAIL_PAGE)
    link = mfa_enrolment_link(owner)
    client.logout()

    someone = person(is_staff=who == "another staff member", email="someone.h@example.org")
    sign_in_with_password(client, someone)
    response = client.get(link)
    html = response.content.decode()
    assert response.status_code == 403 and "sent to a different account" in html and "someone.h@example.org" in html
    assert mfa_enrolment.PROOF_SESSION_KEY not in client.session
    assert client.get(ACTIVATE).get("Location") != ACTIVATE
    client.logout()

    sign_in_with_password(client, owner)
    assert client.get(link)["Location"] == ACTIVATE


def test_signed_out_the_link_asks_to_sign_in_first_then_opens(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    client.post(EMAIL_PAGE)
    link = mfa_enrolment_link(user)
    client.logout()

    response = client.get(link, follow=True)
    assert response.resolver_match.url_name == "account_login"
    assert "Sign in first to the account the email was sent to" in response.content.decode()
    assert SecondFactorEnrolmentLink.objects.get(user=user).used_at is None
    response = client.post(f"/accounts/login/?next={link}", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == link
    assert client.get(link)["Location"] == ACTIVATE


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "",
        "a" * 300,
        "%00",
        signing.dumps({"u": 1, "n": "x"}, salt="another-salt"),
        signing.dumps("just a string", salt=mfa_enrolment.LINK_SALT),
    ],
)
def test_a_made_up_or_damaged_link_is_refused_without_an_error_page(client, token):
    user = programme_staff()
    client.force_login(user)
    url = f"/accounts/2fa/totp/email/{token}/"
    response = client.get(url)
    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert "not complete or not valid" in response.content.decode()
    assert mfa_enrolment.PROOF_SESSION_KEY not in client.session


def test_a_signed_token_naming_an_unissued_nonce_is_refused(client):
    user = programme_staff()
    client.force_login(user)
    token = signing.dumps({"u": user.pk, "n": "0" * 32}, salt=mfa_enrolment.LINK_SALT, compress=True)
    assert "not complete or not valid" in client.get(reverse("mfa_enrolment_link", args=[token])).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_open_the_link_once():
    user = programme_staff()
    link = mfa_enrolment.enrolment_link_send(user=user, address=user.email)
    token = signing.dumps({"u": user.pk, "n": link.nonce.hex}, salt=mfa_enrolment.LINK_SALT, compress=True)
    results, barrier = [], threading.Barrier(4)

    def click():
        try:
            barrier.wait()
            results.append(mfa_enrolment.enrolment_link_redeem(user=user, token=token))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count(None) == 1
    assert results.count(mfa_enrolment.LinkRefusal.USED) == 3


# --- The rate limit -------------------------------------------------------------------------------------------


def test_three_links_an_hour_per_account_then_a_clear_refusal(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    for _ in range(3):
        assert client.post(EMAIL_PAGE).status_code == 302
    refused = client.post(EMAIL_PAGE)
    assert refused.status_code == 429
    assert "You have asked for 3 links in the last hour" in refused.content.decode()
    assert OutboundEmail.objects.filter(user=user).count() == 3
    # The limit is the account's own: another account asks as usual.
    other = client.__class__()
    colleague = reviewer()
    sign_in_with_password(other, colleague)
    assert other.post(EMAIL_PAGE).status_code == 302
    with time_machine.travel(time.time() + 61 * 60):
        assert client.post(EMAIL_PAGE).status_code == 302


def test_the_rate_is_in_allauths_limits(settings):
    assert settings.ACCOUNT_RATE_LIMITS["mfa_enrolment_email"] == "3/h/user"


# --- Side doors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO_NEEDS_IT)
def test_an_account_without_its_second_factor_cannot_add_or_change_email_addresses(client, settings, who):
    user = WHO_NEEDS_IT[who]()
    EmailAddress.objects.create(user=user, email="spare.h@example.org", verified=True, primary=False)
    sign_in_with_password(client, user)
    page = client.get("/accounts/email/")
    html = page.content.decode()
    assert page.status_code == 403 and "cannot be changed yet" in html and settings.CONTACT_EMAIL in html
    posts = [
        {"action_add": "", "email": "thief.h@example.org"},
        {"action_primary": "", "email": "spare.h@example.org"},
        {"action_remove": "", "email": user.email},
        {"action_send": "", "email": "spare.h@example.org"},
    ]
    for data in posts:
        assert client.post("/accounts/email/", data).status_code == 403, data
    assert set(EmailAddress.objects.filter(user=user).values_list("email", "primary")) == {
        (user.email, True),
        ("spare.h@example.org", False),
    }
    assert not OutboundEmail.objects.filter(to="thief.h@example.org").exists()
    client.post(EMAIL_PAGE)
    assert OutboundEmail.objects.get(user=user, idempotency_key__startswith="mfa-enrolment-").to == user.email


def test_staff_with_an_app_change_addresses_only_after_using_it_in_this_session(client):
    user = programme_staff()
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)  # a session from before the app was set up
    response = client.get("/accounts/email/")
    assert response.status_code == 403 and "Enter a code from your app" in response.content.decode()
    EmailAddress.objects.create(user=user, email="spare.h@example.org", verified=True, primary=False)
    assert client.post("/accounts/email/", {"action_primary": "", "email": "spare.h@example.org"}).status_code == 403
    login_with_mfa(client, user)
    assert client.get("/accounts/email/").status_code == 200
    client.post("/accounts/email/", {"action_primary": "", "email": "spare.h@example.org"})
    assert EmailAddress.objects.get(user=user, primary=True).email == "spare.h@example.org"


def test_recovery_codes_and_turning_the_app_off_need_the_second_factor_in_this_session(client):
    user = programme_staff()
    TOTP.activate(user, generate_totp_secret())
    codes = RecoveryCodes.activate(user).get_unused_codes()
    client.force_login(user)  # password only: e.g. signed in before the app was set up in another browser
    confirm_password(client)
    for url in (
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/download/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/2fa/totp/deactivate/",
    ):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next="), url
            assert not any(code in response.content.decode() for code in codes)
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert Authenticator.objects.get(user=user, type="recovery_codes").wrap().get_unused_codes() == codes

    login_with_mfa(client, user)
    confirm_password(client)
    assert all(code in client.get("/accounts/2fa/recovery-codes/").content.decode() for code in codes)


def test_recovery_codes_cannot_be_made_without_an_app(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    confirm_password(client)
    assert client.post("/accounts/2fa/recovery-codes/generate/")["Location"] == ACTIVATE
    assert not Authenticator.objects.filter(user=user).exists()


def _mfa_patterns():
    """Every route under /accounts/2fa/, whoever defines it (allauth's and the portal's)."""

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and route.startswith("accounts/2fa/"):
                yield route

    return sorted(set(walk(get_resolver().url_patterns, "")))


def test_no_route_under_2fa_shows_a_secret_key_to_a_password_only_staff_session_without_the_link(client):
    routes = _mfa_patterns()
    assert "accounts/2fa/totp/activate/" in routes and "accounts/2fa/totp/email/<str:token>/" in routes
    user = programme_staff()
    sign_in_with_password(client, user)
    confirm_password(client)
    for route in routes:
        url = "/" + re.sub(r"<[^>]+>", "Gu3ssedT0ken", route)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"code": "123456"} if method == "post" else None, follow=True)
            html = response.content.decode(errors="replace")
            assert response.status_code < 500, (method, url)
            assert not any(sign in html for sign in SECRET_SIGNS), (method, url)
            assert secrets_in_session(client) == [], (method, url)
    assert not Authenticator.objects.filter(user=user).exists()


# --- Who is not gated, and who becomes gated -------------------------------------------------------------


def test_people_who_see_only_their_own_data_set_up_an_app_without_a_link(client):
    user = person(email="member.h@example.org")
    sign_in_with_password(client, user)
    confirm_password(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200 and 'data-testid="totp-secret"' in page.content.decode()
    client.post(ACTIVATE, {"code": totp_code(page.context["form"].secret)})
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert not OutboundEmail.objects.filter(idempotency_key__startswith="mfa-enrolment-").exists()


def test_people_who_see_only_their_own_data_change_their_addresses_as_before(client):
    user = person(email="member3.h@example.org")
    sign_in_with_password(client, user)
    assert client.get("/accounts/email/").status_code == 200
    client.post("/accounts/email/", {"action_add": "", "email": "member.other.h@example.org"})
    assert EmailAddress.objects.filter(user=user, email="member.other.h@example.org").exists()


def test_the_email_page_sends_nothing_for_an_account_that_does_not_need_a_link(client):
    user = person(email="member2.h@example.org")
    sign_in_with_password(client, user)
    assert client.post(EMAIL_PAGE)["Location"] == ACTIVATE
    assert not OutboundEmail.objects.filter(user=user).exists()


def test_an_account_made_staff_later_is_gated_from_its_next_page(client):
    user = person(email="promoted.h@example.org")
    sign_in_with_password(client, user)
    confirm_password(client)
    assert client.get("/accounts/email/").status_code == 200
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert client.get(ACTIVATE)["Location"] == EMAIL_PAGE
    assert client.get("/accounts/email/").status_code == 403


def test_a_link_opened_once_the_app_is_set_up_is_not_needed(client):
    user = programme_staff()
    sign_in_with_password(client, user)
    client.post(EMAIL_PAGE)
    first = mfa_enrolment_link(user)
    client.post(EMAIL_PAGE)
    enrol_through_the_link(client, user)
    response = client.get(first, follow=True)
    assert "You do not need this link any more" in response.content.decode()
