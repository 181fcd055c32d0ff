"""Every page, as every kind of person: the crawl in tests/e2e/crawl.py over the demo world.

The world is `seed_demo` (hubs, past and upcoming events with bookings and a waiting list, three award calls, a
draft, a review round, a directory of people) plus a submitted application of the demo applicant, so the print,
receipt and withdraw pages are linked too. Each role signs in through the real pages, with a code from its
authenticator where the portal asks for one. No page is listed here: a new page is crawled once it is linked.
"""

import io

import pytest
from django.core.management import call_command

from tests.e2e.conftest import fresh_totp
from tests.e2e.crawl import Role, crawl_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world():
    from awards.models import AwardCall
    from crossector.core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, totp_ensure
    from crossector.core.models import User
    from tests.awards.review_factories import submitted

    call_command("seed_demo", stdout=io.StringIO())
    applicant = User.objects.get(email="applicant@example.org")
    submitted(AwardCall.objects.get(slug="csea-2025"), applicant=applicant, title="Genomics triage in NHS Wales")
    organiser = User.objects.get(email="organiser@example.org")
    totp_ensure(user=organiser, secret=DEMO_TOTP_SECRET)  # the check-in door asks hub organisers for a code too
    admin_start = ("/", "/admin/")
    return [
        Role("anonymous"),
        Role("attendee", "attendee@example.org", DEMO_PASSWORD),
        Role("applicant", "applicant@example.org", DEMO_PASSWORD),
        Role("hub organiser", "organiser@example.org", DEMO_PASSWORD, DEMO_TOTP_SECRET, admin_start),
        Role("reviewer", "reviewer@example.org", DEMO_PASSWORD, DEMO_TOTP_SECRET, admin_start),
        Role("staff", "staff@example.org", DEMO_PASSWORD, DEMO_TOTP_SECRET, admin_start),
    ]


def test_every_page_as_every_role_is_accessible_reflows_at_320px_and_has_its_own_title(live_server, browser):
    roles = _world()
    contexts = {}

    def page_for(role):
        if role.name not in contexts:
            contexts[role.name] = browser.new_context(viewport={"width": 1280, "height": 800})
            contexts[role.name].new_page().set_default_timeout(15_000)
        return contexts[role.name].pages[0]

    def sign_in(page, role):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(role.email)
        page.get_by_label("Password").fill(role.password)
        page.get_by_role("button", name="Sign In").click()
        if role.totp_secret:
            page.get_by_label("Authentication code").fill(fresh_totp(role.totp_secret))
            page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{live_server.url}/")

    try:
        report = crawl_all(page_for, base_url=live_server.url, roles=roles, sign_in=sign_in)
    finally:
        for context in contexts.values():
            context.close()
    print("\n" + report.summary())  # the figures, with -s

    pages = report.pages_per_role()
    # The crawl reached each role's own pages (a failed sign-in would leave only the public ones).
    assert {"anonymous", "attendee", "applicant", "hub organiser", "reviewer", "staff"} <= set(pages)
    patterns = {role: {v.pattern for v in report.visits if v.role == role} for role in pages}
    assert {"events:my_bookings", "network:directory", "profile"} <= patterns["attendee"]
    assert {"awards:my_applications", "awards:print", "awards:section", "awards:check"} <= patterns["applicant"]
    assert {"events:check_in", "admin:events_booking_changelist"} <= patterns["hub organiser"]
    assert "admin:awards_applicationtoreview_change" in patterns["reviewer"]
    staff_admin = {p for p in patterns["staff"] if p.startswith("admin:")}
    for view in ("changelist", "add", "change", "history", "delete"):
        assert any(p.endswith(f"_{view}") for p in staff_admin), f"no admin {view} page was crawled"
    assert pages["staff"]["error states"] and pages["staff"]["actions"], "forms and actions were not exercised"
    assert not report.problems, f"{len(report.problems)} problems:\n" + "\n".join(report.problems)
