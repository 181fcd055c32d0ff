import re

import pytest
from allauth.account.models import EmailAddress

from crossector.core.models import OutboundEmail, PriorityArea, User
from tests.factories import PASSWORD, UserFactory, person

pytestmark = pytest.mark.django_db

STRONG = "a-long-and-unusual-password-42"


def sign_up(client, email="new@example.org"):
    return client.post("/accounts/signup/", {"email": email, "password1": STRONG, "password2": STRONG})


def verification_link(email_row: OutboundEmail) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", email_row.body_text).group(1)


def test_sign_up_creates_an_unverified_user_and_queues_the_verification_email(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    email_row = OutboundEmail.objects.get(to="new@example.org")
    assert email_row.user == user
    assert "/accounts/confirm-email/" in email_row.body_text
    assert "Cross-Sector Programme, Academy of Medical Sciences" in email_row.body_text
    assert "41 Portland Place" in email_row.body_html  # the shared HTML layout
    assert "/accounts/confirm-email/" in email_row.body_html


def test_sign_up_with_mismatched_passwords_keeps_the_email_and_explains(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.org", "password1": STRONG, "password2": STRONG + "x"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert 'value="new@example.org"' in content
    assert not User.objects.exists()


def test_unverified_user_cannot_sign_in(client):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": "new@example.org", "password": STRONG})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_verification_link_verifies_signs_in_and_asks_for_the_profile(client):
    sign_up(client)
    link = verification_link(OutboundEmail.objects.get(to="new@example.org"))
    assert client.get(link).status_code == 200  # a confirm button, not a state change on GET
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/?welcome=1"
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert client.session["_auth_user_id"]


def test_login_with_complete_profile_goes_home(client):
    person(email="ada@example.org")
    response = client.post("/accounts/login/", {"login": "ADA@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_with_incomplete_profile_goes_to_the_profile(client):
    UserFactory(email="bo@example.org")
    response = client.post("/accounts/login/", {"login": "bo@example.org", "password": PASSWORD})
    assert response["Location"] == "/accounts/profile/?welcome=1"


def test_wrong_password_is_refused_with_a_message(client):
    person(email="ada@example.org")
    response = client.post("/accounts/login/", {"login": "ada@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_completing_the_profile_saves_every_field(client):
    user = UserFactory()
    client.force_login(user)
    genomics = PriorityArea.objects.get(slug="genomics")
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": "Ada Lovelace",
            "organisation": "Analytical Engines Ltd",
            "job_title": "Founder",
            "sector": "industry_sme",
            "region": "london",
            "interests": [genomics.pk],
            "bio": "Numbers.",
        },
    )
    assert response.status_code == 302
    profile = User.objects.get(pk=user.pk).profile
    assert profile.is_complete
    assert profile.get_sector_display() == "Industry (SME / start-up)"
    assert list(profile.interests.all()) == [genomics]


def test_profile_errors_are_summarised_and_typed_text_is_kept(client):
    client.force_login(UserFactory())
    response = client.post("/accounts/profile/", {"full_name": "Ada Lovelace", "organisation": "", "sector": "nope"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert 'href="#id_organisation"' in content
    assert 'value="Ada Lovelace"' in content


def test_profile_next_parameter_returns_to_a_local_page_only(client):
    client.force_login(UserFactory())
    data = {"full_name": "A", "organisation": "B", "job_title": "C", "sector": "nhs", "region": "wales"}
    response = client.post("/accounts/profile/", {**data, "next": "https://evil.example.com/"})
    assert response["Location"] == "/accounts/profile/"
    response = client.post("/accounts/profile/", {**data, "next": "/events/"})
    assert response["Location"] == "/events/"


def test_profile_page_requires_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_reset_email_goes_through_the_outbox(client):
    person(email="ada@example.org")
    response = client.post("/accounts/password/reset/", {"email": "ada@example.org"})
    assert response.status_code == 302
    row = OutboundEmail.objects.get(to="ada@example.org")
    assert "/accounts/password/reset/key/" in row.body_text


def test_repeated_failed_logins_are_rate_limited_with_a_clear_message(client):
    person(email="ada@example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "ada@example.org", "password": "wrong"})
    response = client.post("/accounts/login/", {"login": "ada@example.org", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
