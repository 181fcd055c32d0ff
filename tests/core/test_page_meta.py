"""Issue 14, every page: schema.org Event data, Open Graph tags and a description of its own per page kind,
/favicon.ico and /robots.txt, gzip only for responses that hold no secret (BREACH), deferred scripts."""

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from awards.models import AwardCall
from events.models import Event
from tests.awards.factories import AwardCallFactory
from tests.conftest import login_with_mfa
from tests.events.factories import EventFactory, HubFactory

pytestmark = pytest.mark.django_db
UK = ZoneInfo("Europe/London")


def meta(html: str, attr: str, name: str) -> str | None:
    found = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)">', html)
    return unescape(found.group(1)) if found else None


def title(html: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1)).strip()


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


# --- schema.org Event -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "expected_start", "expected_end"),
    [
        (datetime(2022, 11, 17, 17, 0, tzinfo=UK), "2022-11-17T17:00:00+00:00", "2022-11-17T20:00:00+00:00"),  # GMT
        (datetime(2023, 4, 20, 9, 30, tzinfo=UK), "2023-04-20T09:30:00+01:00", "2023-04-20T12:30:00+01:00"),  # BST
        # the night the clocks go back: 3 hours of wall time from 00:30 BST end at 02:30 GMT
        (datetime(2026, 10, 25, 0, 30, tzinfo=UK), "2026-10-25T00:30:00+01:00", "2026-10-25T02:30:00+00:00"),
    ],
)
def test_event_page_carries_schema_org_event_with_uk_offset(client, settings, starts, expected_start, expected_end):
    settings.SITE_URL = "https://portal.example.org"
    hub = HubFactory(name="Wales hub", slug="wales")
    ends = starts.astimezone(UTC) + timedelta(hours=3)  # three hours as the clock runs, not wall-clock sums
    event = EventFactory(hub=hub, title="Innovation in precision medicine", starts_at=starts, ends_at=ends)
    html = client.get(f"/events/{event.slug}/").content.decode()
    (data,) = json_ld(html)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Innovation in precision medicine"
    assert (data["startDate"], data["endDate"]) == (expected_start, expected_end)
    assert data["url"] == f"https://portal.example.org/events/{event.slug}/"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["name"] == "Cardiff City Hall"
    assert data["location"]["address"]["streetAddress"] == "Cathays Park, Cardiff CF10 3ND"
    assert data["organizer"] == {
        "@type": "Organization",
        "name": "Wales hub",
        "url": "https://portal.example.org/hubs/wales/",
    }
    assert data["description"] == event.summary


@pytest.mark.parametrize(
    ("fmt", "mode", "kinds"),
    [
        (Event.Format.ONLINE, "OnlineEventAttendanceMode", ["VirtualLocation"]),
        (Event.Format.HYBRID, "MixedEventAttendanceMode", ["Place", "VirtualLocation"]),
    ],
)
def test_online_events_never_give_the_joining_link_away(client, fmt, mode, kinds):
    event = EventFactory(format=fmt, online_url="https://meet.example.org/secret-room-42", hub=None)
    html = client.get(f"/events/{event.slug}/").content.decode()
    (data,) = json_ld(html)
    assert data["eventAttendanceMode"] == f"https://schema.org/{mode}"
    locations = data["location"] if isinstance(data["location"], list) else [data["location"]]
    assert [loc["@type"] for loc in locations] == kinds
    assert "secret-room-42" not in json.dumps(data)
    assert data["organizer"]["name"] == "Academy of Medical Sciences"


def test_cancelled_event_says_so_and_a_title_cannot_close_the_script(client):
    event = EventFactory(
        title='Cell </script><script>alert(1)</script> & "gene" therapy', status=Event.Status.CANCELLED
    )
    html = client.get(f"/events/{event.slug}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    (data,) = json_ld(html)
    assert data["name"] == event.title
    assert data["eventStatus"] == "https://schema.org/EventCancelled"


# --- Open Graph and descriptions ---------------------------------------------------------------------------


@pytest.fixture
def public_pages(db):
    hub = HubFactory(name="Scotland hub", slug="scotland", summary="NHS Research Scotland's networking hub.")
    event = EventFactory(
        hub=hub,
        title="Cell and gene therapy: from lab to clinic",
        summary="Talks, a workshop and time to meet people from other sectors.",
    )
    call = AwardCallFactory(name="Cross-Sector Experience Awards 2025", slug="csea-2025")
    return {
        "home": "/",
        "events": "/events/",
        "past events": "/events/?when=past",
        "event": f"/events/{event.slug}/",
        "hubs": "/hubs/",
        "hub": f"/hubs/{hub.slug}/",
        "calls": "/awards/",
        "call": f"/awards/{call.slug}/",
        "privacy": "/privacy/",
        "accessibility": "/accessibility/",
    }


def test_every_public_page_kind_has_open_graph_tags_and_its_own_description(client, settings, public_pages):
    settings.SITE_URL = "https://portal.example.org"
    descriptions = {}
    for kind, url in public_pages.items():
        response = client.get(url)
        assert response.status_code == 200, kind
        html = response.content.decode()
        description = meta(html, "name", "description")
        assert description and len(description) >= 20, kind
        assert meta(html, "property", "og:description") == description, kind
        assert title(html).startswith(meta(html, "property", "og:title")), kind
        assert meta(html, "property", "og:title"), kind
        assert meta(html, "property", "og:type") == "website"
        assert meta(html, "property", "og:url") == "https://portal.example.org" + url.split("?")[0]
        assert meta(html, "property", "og:image").startswith("https://portal.example.org/static/og-image")
        assert meta(html, "property", "og:site_name") == "Cross-Sector Programme – Academy of Medical Sciences"
        assert f'<link rel="canonical" href="https://portal.example.org{url.split("?")[0]}">' in html
        descriptions[kind] = description
    repeated = {d for d in descriptions.values() if list(descriptions.values()).count(d) > 1}
    assert not repeated, f"pages share a description: {repeated}"
    assert "Cross-Sector Experience Awards 2025" in descriptions["call"]
    assert (
        "lab to clinic" not in descriptions["events"]
        and descriptions["event"] == "Talks, a workshop and time to meet people from other sectors."
    )


def test_the_og_image_is_a_1200_by_630_png(client):
    from django.contrib.staticfiles import finders

    with open(finders.find("og-image.png"), "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (1200, 630)


# --- Root files ---------------------------------------------------------------------------------------------


def test_favicon_ico_is_served_at_the_root_as_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").content.decode()
    assert client.post("/favicon.ico").status_code == 405


def test_robots_txt_keeps_crawlers_to_public_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for private in ("/admin/", "/accounts/", "/awards/applications/", "/awards/letters/", "/events/bookings/"):
        assert f"Disallow: {private}" in lines
    for public in ("/events/", "/hubs/", "/awards/"):
        assert f"Disallow: {public}" not in lines


# --- Compression, only without secrets ----------------------------------------------------------------------


def test_public_pages_are_gzipped_for_anonymous_visitors(client, public_pages):
    for kind in ("home", "events", "event", "hubs", "calls", "privacy"):
        response = client.get(public_pages[kind], HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip", kind
        assert "Accept-Encoding" in response["Vary"]
        assert b"<!doctype html>" in gzip.decompress(response.content)
    plain = client.get("/", HTTP_ACCEPT_ENCODING="identity")
    assert not plain.has_header("Content-Encoding")


def test_pages_with_a_secret_are_never_compressed(client, user, staff_user, public_pages):
    # A form page for anonymous visitors: it carries a CSRF token and sets the cookie.
    for url in ("/accounts/login/", "/accounts/signup/"):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert not response.has_header("Content-Encoding"), url
    # Anyone signed in: every page may hold their own data next to reflected text.
    client.force_login(user)
    for url in ("/", public_pages["events"], "/accounts/profile/", "/events/bookings/", "/events/?q=guess"):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert not response.has_header("Content-Encoding"), url
    client.logout()
    login_with_mfa(client, staff_user)
    response = client.get("/admin/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")


def test_a_visitor_carrying_a_session_cookie_gets_no_compression(client):
    client.cookies["sessionid"] = "anything"
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert not response.has_header("Content-Encoding")


# --- Scripts never block rendering ------------------------------------------------------------------------


def test_every_script_on_portal_pages_is_deferred(client, user, public_pages):
    call = AwardCall.objects.get(slug="csea-2025")
    pages = [*public_pages.values(), "/accounts/login/"]
    client.force_login(user)
    pages += ["/accounts/profile/", f"/awards/{call.slug}/apply/you/", "/events/bookings/"]
    for url in pages:
        html = client.get(url, follow=True).content.decode()
        scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html)
        assert scripts, url
        for tag in scripts:
            assert re.search(r"\bdefer\b", tag), f"{url}: {tag}"


@pytest.mark.django_db
def test_a_page_reached_through_a_secret_never_repeats_its_address_in_its_markup(client):
    for url in (
        f"/accounts/password/reset/key/1u-{'a' * 32}/",  # a reset key
        "/awards/letters/Gu3ssedT0ken-not-issued-to-anyone_0123456789abcdef/",  # a signatory's link
        "/hubs/unfollow/Gu3ssedT0ken-not-issued/",  # an emailed unfollow link
    ):
        content = client.get(url).content.decode()
        assert url not in content and 'rel="canonical"' not in content and "og:url" not in content, url
    public = client.get("/events/").content.decode()
    assert 'rel="canonical" href="' in public and 'property="og:url"' in public
