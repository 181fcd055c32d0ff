"""Nothing tells a stranger who has an account (docs/security.md).

- Sign-up answers an address that has an account exactly as a new one: the same redirect, the same page
  after it, an email through the outbox either way, and the same expensive step (hashing the password).
- Every URL taking a person's id (the URL walk's PRIVATE patterns with a `user_id`, so a new one is covered
  when it is added there, and the admin's user pages) answers someone who may not see that person exactly
  as it answers an id nobody has.
"""

import re
from unittest import mock
from urllib.parse import quote

import pytest
from django.contrib.auth import hashers
from django.test import Client

from crossector.core.models import OutboundEmail, User
from tests.factories import person
from tests.security.test_url_walk import PRIVATE, _actors, parametrised_patterns, world  # noqa: F401, F811 (fixture)

pytestmark = pytest.mark.django_db

STRONG = "long-enough-pass-42"
MISSING_ID = 987_654_321


def _sign_up(client, email):
    return client.post("/accounts/signup/", {"email": email, "password1": STRONG, "password2": STRONG})


def _normalised(response, *, email: str = "", path: str = "") -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', body)
    body = re.sub(r'<meta name="csrf-token" content="[^"]+"', "", body)
    if email:
        body = re.sub(re.escape(email), "EMAIL", body, flags=re.IGNORECASE)
    if path:
        body = body.replace(path, "PATH")
    return body


@pytest.mark.parametrize("casing", ["same", "upper"], ids=["as registered", "in capitals"])
def test_sign_up_answers_an_existing_address_as_a_new_one(casing, django_capture_on_commit_callbacks):
    existing = person(email="has-account@example.org")
    typed = existing.email if casing == "same" else existing.email.upper()
    answers = {}
    for kind, email in (("existing", typed), ("new", "no-account@example.org")):
        client = Client()
        response = _sign_up(client, email)
        assert response.status_code == 302
        page = client.get(response["Location"])
        answers[kind] = (response["Location"], page.status_code, _normalised(page, email=email))
    assert answers["existing"] == answers["new"]
    assert User.objects.filter(email__iexact="has-account@example.org").count() == 1  # no second account
    # Each address gets an email through the outbox: a verification link, or "you already have an account".
    assert OutboundEmail.objects.filter(to__iexact="has-account@example.org").count() == 1
    assert OutboundEmail.objects.filter(to="no-account@example.org").count() == 1


@pytest.mark.parametrize("kind", ["existing", "new"])
def test_sign_up_hashes_the_password_for_an_existing_address_too(kind):
    person(email="has-account@example.org")
    email = "has-account@example.org" if kind == "existing" else "no-account@example.org"
    hashed = []
    real = hashers.make_password

    def counting(password, *args, **kwargs):
        if password == STRONG:
            hashed.append(password)
        return real(password, *args, **kwargs)

    with (
        mock.patch("django.contrib.auth.hashers.make_password", counting),
        mock.patch("django.contrib.auth.base_user.make_password", counting),
        mock.patch("crossector.core.signup.make_password", counting),
    ):
        assert _sign_up(Client(), email).status_code == 302
    assert len(hashed) == 1, f"the {kind} address's password was hashed {len(hashed)} times"


# --- Person ids in URLs -----------------------------------------------------------------------------------


def _person_patterns():
    """Every URL taking a person's id: the walk's PRIVATE patterns with a user_id, the admin's user pages."""
    patterns = []
    for pattern in parametrised_patterns():
        if pattern.key in PRIVATE and "user_id" in pattern.params:
            patterns.append((pattern, "user_id"))
        elif pattern.key == "admin:auth_user_password_change" or (
            pattern.admin_model is User and pattern.params == ("object_id",)
        ):
            patterns.append((pattern, pattern.params[0]))
    return patterns


def test_the_sweep_covers_every_url_taking_a_person():
    names = {pattern.key for pattern, _ in _person_patterns()}
    assert {
        "network:person",
        "network:request_create",
        "network:block",
        "network:unblock",
        "network:report",
        "admin:auth_user_password_change",
        "admin:core_user_change",
    } <= names


def test_a_person_the_actor_may_not_see_answers_as_an_id_that_does_not_exist(world):  # noqa: F811
    """A's id, to everyone who may not see A (another member, a reviewer, an organiser, staff without their
    second factor, a visitor), gets exactly the answer an id nobody has gets, for GET and POST."""
    differences = []
    actors = _actors(world)
    for pattern, param in _person_patterns():
        real_url, missing_url = pattern.url({param: world.owner.pk}), pattern.url({param: MISSING_ID})
        for actor, client in actors.items():
            for method in ("get", "post"):
                data = {"message": "Hello there, shall we talk?", "reason": "spam"} if method == "post" else None
                answers = []
                for url, user_id in ((real_url, world.owner.pk), (missing_url, MISSING_ID)):
                    response = getattr(client, method)(url, data)
                    location = response.headers.get("Location", "").replace(quote(url, safe=""), "PATH")
                    location = location.replace(f"/{user_id}/", "/ID/")
                    answers.append((response.status_code, location, _normalised(response, path=url)))
                if answers[0] != answers[1]:
                    differences.append(f"{actor} {method.upper()} {real_url}: {answers[0][:2]} / {answers[1][:2]}")
    assert differences == [], "\n".join(differences)
