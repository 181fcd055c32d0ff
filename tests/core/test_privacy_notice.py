"""The privacy notice is complete and present where data is collected (issue 21 item 5)."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from tests.awards.factories import AwardCallFactory, application
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import PASSWORD, person
from tests.network.factories import member

pytestmark = pytest.mark.django_db

LINK = f'href="{reverse("privacy")}#what-we-collect"'


def notice(client) -> str:
    return html.unescape(client.get(reverse("privacy")).content.decode())


def collection_pages(client):
    """Every page where a person gives us information, as that person sees it."""
    user = person()
    other = member(full_name="Gareth Other")
    app = application(call=AwardCallFactory(), applicant=user)
    booking = BookingFactory(user=user)
    base = f"/awards/{app.call.slug}/apply/"
    yield "sign-up", client.get(reverse("account_signup"))
    client.force_login(user)
    yield "profile", client.get(reverse("profile"))
    yield "booking", client.get(reverse("events:book", args=[EventFactory().slug]))
    yield "requirements", client.get(reverse("events:booking_requirements", args=[booking.pk]))
    for section in ("you", "partners", "proposal", "costs", "documents", "check"):
        yield f"application: {section}", client.get(base + section + "/")
    yield "connect", client.get(reverse("network:request_create", args=[other.pk]))
    yield "report", client.get(reverse("network:report", args=[other.pk]))


def test_the_notice_is_linked_next_to_the_button_on_every_page_that_collects_data(client):
    for name, response in collection_pages(client):
        assert response.status_code == 200, name
        page = response.content.decode()
        main = page[page.index("<main") : page.index("</main>")]  # the footer's link does not count
        assert LINK in main, name
        link = main.index(LINK)
        buttons = [m.start() for m in re.finditer(r'<button[^>]*type="submit"', main)]
        assert min(abs(link - b) for b in buttons) < 1500, f"{name}: the link is far from the button"


def test_the_notice_describes_the_network_follows_notices_two_factor_and_the_digest(client):
    text = notice(client)
    for words in (
        "connection requests you send and receive, with their messages",
        "the people you block",
        "reports you make about another member",
        "the hubs you follow",
        "told when an award call opens",
        "Two-factor authentication settings",
        '"people to meet" email',
        "Other confirmed attendees of an event",  # the digest's recipients, in "Who we share it with"
        "explicit consent",
        "withdraw your consent",
    ):
        assert words in text, words


def test_every_cookie_the_portal_sets_is_in_the_notice(client, django_capture_on_commit_callbacks):
    """Cookies found by using the portal (sign in, book: a message), not from a list."""
    user = person()
    seen = set()
    seen |= set(client.get(reverse("account_login")).cookies)
    seen |= set(client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).cookies)
    seen |= set(client.post(reverse("events:book", args=[EventFactory().slug]), {}).cookies)
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"} <= seen
    text = notice(client)
    for name in seen:
        assert f"<code>{name}</code>" in text, name


def test_every_local_storage_key_in_the_scripts_is_in_the_notice(client):
    """The admin's scripts (Django's own included) keep settings in the browser: each key is named."""
    keys = set()
    for script in ("admin/js/theme.js", "admin/js/nav_sidebar.js", *[str(p) for p in Path("static/js").glob("*.js")]):
        path = finders.find(script) or script
        keys |= set(re.findall(r"localStorage\.setItem\(\s*['\"]([^'\"]+)['\"]", Path(path).read_text()))
    assert {"theme", "django.admin.navSidebarIsOpen"} <= keys
    text = notice(client)
    for key in keys:
        assert f"<code>{key}</code>" in text, key


def test_the_deletion_page_does_not_promise_to_erase_a_name_it_keeps(client):
    from awards.models import Application

    kept, gone = person(full_name="Kept Applicant"), person(full_name="Draft Only")
    application(
        call=AwardCallFactory(),
        applicant=kept,
        status=Application.Status.SUBMITTED,
        reference="CSEA-26-0007",
        submitted_at=timezone.now(),
    )
    application(call=AwardCallFactory(), applicant=gone)
    client.force_login(kept)
    page = html.unescape(client.get(reverse("privacy_delete")).content.decode())
    assert "Your profile: name," not in page
    assert "Your name stays only with the submitted applications we keep" in page
    client.force_login(gone)
    page = html.unescape(client.get(reverse("privacy_delete")).content.decode())
    assert "Your name stays only" not in page
    assert "and your name unless an application you submitted is kept" in page
