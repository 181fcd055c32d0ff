"""The main pages in Chromium under the real Content Security Policy: not one violation reported."""

import pytest
from django.test import Client

from tests.awards.factories import application
from tests.conftest import login_with_mfa
from tests.e2e.conftest import open_enrolment_link
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _visit_all(page, base: str, paths: list[str]) -> list[str]:
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(LISTEN)
    problems = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status < 400, (path, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)  # violation events are dispatched asynchronously
        problems += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    return problems + console


def _sign_in(page, live_server, client):
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_public_and_applicant_pages_report_no_csp_violation(live_server, page):
    event = EventFactory(title="Precision medicine in Cardiff")
    user = person(full_name="Ceri Applicant")
    draft = application(applicant=user)
    client = Client()
    client.force_login(user)
    _sign_in(page, live_server, client)
    slug = draft.call.slug
    paths = [
        "/",
        "/hubs/",
        f"/hubs/{event.hub.slug}/",
        "/events/",
        f"/events/{event.slug}/",
        f"/events/{event.slug}/book/",
        "/events/bookings/",
        "/awards/",
        f"/awards/{slug}/",
        f"/awards/{slug}/apply/",
        f"/awards/{slug}/apply/you/",
        f"/awards/{slug}/apply/costs/",
        f"/awards/{slug}/apply/documents/",
        f"/awards/{slug}/apply/check/",
        "/network/",
        "/accounts/profile/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/privacy/",
    ]
    assert _visit_all(page, live_server.url, paths) == []
    # Bootstrap's JavaScript still runs: the account menu opens.
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Ceri Applicant").click() if page.get_by_role(
        "button", name="Ceri Applicant"
    ).count() else page.get_by_role("link", name="Ceri Applicant").click()
    assert page.get_by_role("link", name="Your profile").is_visible()


def test_sign_in_pages_and_the_admin_report_no_csp_violation(live_server, page):
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    assert _visit_all(page, live_server.url, anonymous) == []
    staff = person(is_staff=True, is_superuser=True)
    client = login_with_mfa(Client(), staff)
    _sign_in(page, live_server, client)
    paths = [
        "/admin/",
        "/admin/awards/application/",
        "/admin/events/event/",
        "/admin/events/booking/",
        "/admin/core/outboundemail/",
        "/admin/events/event/add/",
    ]
    assert _visit_all(page, live_server.url, paths) == []


def test_the_authenticator_app_qr_code_is_allowed(live_server, page):
    """allauth shows the TOTP QR code as a data: image: img-src allows data: for this."""
    from tests.factories import PASSWORD

    staff = person(is_staff=True)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state("load")
    assert _visit_all(page, live_server.url, ["/accounts/2fa/totp/activate/"]) == []
    # Staff set up the app only after opening a link emailed to them (crossector/core/mfa_enrolment.py).
    open_enrolment_link(page, live_server, staff.email)
    if "/reauthenticate/" in page.url:  # allauth asks for the password again before showing a secret
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/2fa/totp/activate/**")
        page.wait_for_timeout(100)
        assert page.evaluate("window.__csp") == []
    image = page.locator("img[src^='data:image/svg+xml']")
    assert image.count() == 1
    assert page.evaluate("(img) => img.naturalWidth > 0", image.element_handle())
