"""The admin opens only for staff who passed two-factor authentication in this session."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group, Permission

from tests.conftest import login_with_mfa, mfa_enrolment_link
from tests.factories import PASSWORD, person

pytestmark = pytest.mark.django_db


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def staff_with_totp(**fields):
    user = person(is_staff=True, is_superuser=True, **fields)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def test_anonymous_visitor_is_sent_to_the_portal_login_not_the_admin_form(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    deep = client.get("/admin/core/outboundemail/?status__exact=failed")
    assert deep["Location"] == "/accounts/login/?next=%2Fadmin%2Fcore%2Foutboundemail%2F%3Fstatus__exact%3Dfailed"


def test_admin_login_url_hands_over_to_the_portal_login(client):
    response = client.get("/admin/login/?next=/admin/events/event/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fevents%2Fevent%2F"
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # No Django admin password form is served at all, so there is no way round the second factor.
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302


def test_signed_in_member_of_the_public_gets_a_clear_refusal_never_the_admin(client, user):
    login_with_mfa(client, user)  # even with a second factor, not staff
    for url in ("/admin/", "/admin/core/outboundemail/", "/admin/dashboard/", "/admin/login/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url
        content = response.content.decode()
        assert "is not a staff or reviewer account" in content
        body = content[content.index("<body") :]  # the head repeats the address asked for (canonical link)
        assert "Site administration" not in body and "outboundemail" not in body


def test_staff_without_an_authenticator_are_asked_to_set_one_up(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/admin/events/event/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    assert not client.get("/admin/").wsgi_request.user.is_anonymous  # still signed in, just not let in


@pytest.mark.django_db(transaction=True)  # allauth announces the new app after commit, as in production
def test_staff_set_up_the_app_see_recovery_codes_and_go_on_to_the_admin(client, staff_user):
    client.post("/accounts/login/", {"login": staff_user.email, "password": PASSWORD})
    response = client.get("/admin/events/event/", follow=True)
    # The password is not enough to set up the app: first a link emailed to the account's address.
    assert response.resolver_match.url_name == "mfa_enrolment_email"
    assert "The staff admin needs two-factor authentication" in response.content.decode()
    client.post("/accounts/2fa/totp/email/")
    response = client.get(mfa_enrolment_link(staff_user), follow=True)
    # allauth asks for the password again before any security change, so the set-up goes on with it.
    assert response.resolver_match.url_name == "account_reauthenticate"
    confirm_url = response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"]
    response = client.post(confirm_url, {"password": PASSWORD}, follow=True)
    content = response.content.decode()
    assert "Set up two-factor authentication" in content
    assert "staff and reviewers\nmust use two-factor authentication" in content  # why they are here
    secret = response.context["form"].secret
    assert f'data-testid="totp-secret">{secret}</code>' in content  # the key as text, not only a QR code

    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "Incorrect code" in wrong.content.decode()
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)}, follow=True)
    content = response.content.decode()
    assert "Your recovery codes" in content
    codes = Authenticator.objects.get(user=staff_user, type="recovery_codes").wrap().get_unused_codes()
    assert len(codes) == 10 and all(code in content for code in codes)
    assert 'href="/admin/events/event/">Continue to the staff admin' in content

    # Typing the code to activate counted as the second step: the admin opens without asking again.
    assert client.get("/admin/events/event/").status_code == 200


def test_staff_with_an_app_but_no_second_step_this_session_must_enter_a_code(client):
    staff, secret = staff_with_totp()
    client.force_login(staff)  # e.g. a session from before the admin required 2FA
    response = client.get("/admin/core/outboundemail/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fcore%2Foutboundemail%2F"
    page = client.get(response["Location"])
    assert "Enter a code from your authenticator app to open the staff admin" in page.content.decode()
    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response["Location"] == "/admin/core/outboundemail/"
    assert client.get("/admin/core/outboundemail/").status_code == 200


def test_staff_who_signed_in_with_both_factors_reach_the_admin(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert "Cross-Sector Programme staff admin" in response.content.decode()


def test_password_then_totp_code_through_the_real_login_opens_the_admin(client):
    staff, secret = staff_with_totp(email="ops@example.org")
    response = client.post("/accounts/login/?next=/admin/", {"login": "ops@example.org", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")  # password alone is not signed in
    page = client.get("/accounts/2fa/authenticate/").content.decode()
    assert "Enter your authentication code" in page and 'autocomplete="one-time-code"' in page
    response = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert "Incorrect code" in response.content.decode()
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_works_as_the_second_step_once(client):
    staff, _secret = staff_with_totp(email="ops@example.org")
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(staff).get_unused_codes()[0]
    client.post("/accounts/login/?next=/admin/", {"login": "ops@example.org", "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.logout()
    client.post("/accounts/login/", {"login": "ops@example.org", "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code" in response.content.decode()  # each recovery code works once
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")


def test_reviewer_with_two_factor_reaches_the_admin_but_only_what_their_group_allows(client):
    reviewer = person(is_staff=True, email="rev@example.org")
    group, _ = Group.objects.get_or_create(name="Reviewers")
    group.permissions.set(Permission.objects.filter(codename="view_applicationtoreview"))
    reviewer.groups.add(group)
    login_with_mfa(client, reviewer)
    response = client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "/admin/core/outboundemail/" not in content and "/admin/events/event/" not in content
    assert "/admin/dashboard/" not in content
    assert client.get("/admin/core/outboundemail/").status_code == 403
    assert client.get("/admin/dashboard/").status_code == 403


def test_turning_off_the_app_closes_the_admin_until_it_is_set_up_again(client):
    staff, _secret = staff_with_totp()
    login_with_mfa(client, staff)
    assert client.get("/admin/").status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


def test_the_gate_costs_one_query_per_admin_page(staff_client, django_assert_num_queries):
    staff_client.get("/admin/")  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        staff_client.get("/admin/")
    assert sum("mfa_authenticator" in q["sql"] for q in queries.captured_queries) == 1


def test_demo_staff_sign_in_to_the_admin_with_the_published_demo_key(client, capsys):
    from django.core.management import call_command

    from crossector.core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent: still one authenticator each
    assert DEMO_TOTP_SECRET in capsys.readouterr().out
    assert Authenticator.objects.filter(user__email="staff@example.org", type="totp").count() == 1
    client.post("/accounts/login/?next=/admin/", {"login": "staff@example.org", "password": DEMO_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
