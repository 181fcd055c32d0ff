"""Download my data: everything about the person, nothing about others they may not see, in fixed queries."""

import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crossector.core import privacy
from tests.core.data_rights import footprint, private_media, recently_signed_in  # noqa: F401
from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def download(client) -> tuple[dict, object]:
    response = client.post(reverse("privacy_data"))
    assert response.status_code == 200, response
    return json.loads(response.content), response


def test_download_is_a_private_json_attachment(client):
    user = person()
    _, response = download(recently_signed_in(client, user))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cross-sector-programme-my-data-')
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_download_holds_account_profile_bookings_applications_network_and_emails(client):
    fp = footprint()
    secret = generate_totp_secret()
    TOTP.activate(fp.user, secret)
    data, _ = download(recently_signed_in(client, fp.user))

    assert data["account"]["email"] == "ffion@example.org"
    assert data["account"]["email_addresses"] == [{"email": "ffion@example.org", "verified": True, "primary": True}]
    assert data["account"]["two_factor_authentication"] == {"enabled": True, "methods": [Authenticator.Type.TOTP]}
    assert data["profile"]["full_name"] == "Ffion Aderyn-Pritchard"
    assert data["profile"]["organisation"] == "Powys Teaching Health Board"
    assert len(data["profile"]["interests"]) == 2
    assert data["profile"]["directory"]["listed"] is True
    assert data["hub_follows"][0]["hub"] == fp.future_booking.event.hub.name

    bookings = {b["event"]: b for b in data["bookings"]}
    assert (
        bookings["Precision medicine in Cardiff 0"]["access_requirements"]
        == "Step-free access and a hearing loop, please"
    )
    assert bookings["Precision medicine in Cardiff 0"]["dietary_requirements"] == "Vegan"
    assert bookings["Care closer to home 0"]["checked_in_at"] is not None

    apps = {a["proposal"]["title"]: a for a in data["award_applications"]}
    draft = apps["Pathology AI placement 0"]
    assert draft["status"] == "Draft"
    assert draft["partners"][0]["name"] == "Helix Imaging Ltd"
    assert draft["timing_and_costs"]["cost_lines"][0]["amount"] == "45000.00"
    assert {d["kind"] for d in draft["documents"]} == {
        "CV",
        "Letter of support from the partner organisation",
        "Statement from your employing organisation",
    }
    assert all(d["size_bytes"] == 100 and d["name"].endswith(".pdf") for d in draft["documents"])
    assert draft["letter_requests"][0]["signatory_name"] == "Tom Ellison"
    submitted = apps["Genomics secondment 0"]
    assert submitted["reference"] == "CSEA-24-0000"
    assert submitted["status_history"][0]["to"] == "Not awarded"

    requests = data["network"]["connection_requests"]
    assert {r["direction"] for r in requests} == {"sent", "received"}
    accepted = next(r for r in requests if r["other_person"]["name"] == "Gareth Friend")
    assert accepted["other_person"]["email"] == "gareth.friend@example.org"  # connected: they may see it
    declined = next(r for r in requests if r["other_person"]["name"] == "Sian Stranger")
    assert "email" not in declined["other_person"]
    assert data["network"]["blocks_you_made"][0]["person"] == {"name": "Pest 0"}
    assert data["network"]["reports_you_made"][0]["reason"] == "Rude messages 0"

    email = data["emails_sent_to_you"][0]
    assert email["subject"] == "Your place is booked 0"
    assert email["status"] == "Sent"
    assert email["body"] == "Dear Ffion Aderyn-Pritchard, see you there."


def test_download_leaves_out_reviewers_secrets_and_other_peoples_addresses(client):
    fp = footprint()
    secret = generate_totp_secret()
    TOTP.activate(fp.user, secret)
    _, response = download(recently_signed_in(client, fp.user))
    text = response.content.decode()
    for withheld in (
        "Rhiannon Reviewer",
        "rhiannon.reviewer@example.org",
        "Confidential: weak partner letter",
        secret,
        "sian.stranger@example.org",
        "pest0@example.org",
        "contact0@example.org",
        fp.user.password,
    ):
        assert withheld not in text
    assert any("Reviewers' names, scores and comments" in line for line in json.loads(text)["not_included"])


def test_download_runs_the_same_queries_however_much_there_is(client):
    small = footprint(copies=1)
    large = footprint(copies=4, full_name="Owain Glyn", email="owain@example.org")
    counts = []
    for fp in (small, large):
        with CaptureQueriesContext(connection) as queries:
            data = privacy.personal_data_export(user=fp.user)
        counts.append(len(queries))
    assert len(data["award_applications"]) == 8  # the large one really has more
    assert counts[0] == counts[1]
    assert counts[0] <= 20


def test_download_asks_for_the_password_again_first(client):
    user = person()
    client.force_login(user)
    response = client.post(reverse("privacy_data"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    resumed = client.post(
        reverse("account_reauthenticate") + "?next=" + reverse("privacy_data"), {"password": PASSWORD}
    )
    assert resumed.status_code == 200
    assert json.loads(resumed.content)["account"]["email"] == user.email


def test_data_page_explains_the_download_and_links_to_deletion(client):
    user = person()
    client.force_login(user)
    response = client.get(reverse("privacy_data"))
    assert response.status_code == 200
    assert b"Download my data" in response.content
    assert reverse("privacy_delete").encode() in response.content


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for name in ("privacy_data", "privacy_delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert client.post(reverse("privacy_data")).status_code == 302


def test_account_menu_profile_page_and_privacy_notice_link_to_your_data(client):
    user = person()
    client.force_login(user)
    for page in ("home", "profile", "privacy"):
        html = client.get(reverse(page)).content.decode()
        assert reverse("privacy_data") in html, page
    privacy_html = client.get(reverse("privacy")).content.decode()
    assert reverse("privacy_delete") in privacy_html
    assert reverse("privacy_delete") in client.get(reverse("profile")).content.decode()
