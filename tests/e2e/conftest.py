"""Browser test harness: Playwright driving Debian's Chromium against a live server on PostgreSQL."""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does this as root).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


_axe = Axe()


def assert_accessible(page, context: str = ""):
    """No WCAG 2.2 A/AA violation that axe-core can find on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"axe found problems on {context or page.url}:\n{results.generate_report()}"


def outbox_link(email_to: str, pattern: str) -> str:
    from crossector.core.models import OutboundEmail

    row = OutboundEmail.objects.filter(to=email_to).order_by("-created_at").first()
    assert row is not None, f"no email to {email_to} in the outbox"
    match = re.search(pattern, row.body_text)
    assert match, f"no link matching {pattern!r} in: {row.body_text}"
    return match.group(1)


def tab_to(page, name: str, limit: int = 120):
    """Press Tab until the focused element's accessible name contains `name`: proof it is reachable by keyboard."""
    page.wait_for_load_state("load")
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            """() => { const el = document.activeElement; if (!el) return "";
            const byId = el.id && document.querySelector(`label[for="${el.id}"]`);
            const text = el.getAttribute("aria-label") || (byId && byId.innerText) || el.innerText || el.value;
            return (text || "").trim(); }"""
        )
        seen.append(label[:40])
        if name.lower() in label.lower():
            return
    raise AssertionError(f"could not reach {name!r} with the Tab key; focus went through {seen}")


# --- Two-factor authentication (the admin requires it) -------------------------------------------
def open_enrolment_link(page, live_server, email: str):
    """On "Check your email", ask for the two-factor set-up link and open it from the outbox in this browser,
    as the person would from their inbox (crossector/core/mfa_enrolment.py)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text(f"We have sent a link to {email}")
    page.goto(live_server.url + outbox_link(email, r"https?://[^/\s]+(/accounts/2fa/totp/email/\S+/)"))


_TOTP_CODES_GIVEN: set[tuple[str, str]] = set()


def totp_now(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `secret` shows now (or `steps_ahead` 30-second steps later)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_ahead))


def fresh_totp(secret: str) -> str:
    """A valid code not handed out before in this test run: allauth refuses a code used twice within its
    30 seconds, so a second sign-in takes the next step's code (MFA_TOTP_TOLERANCE accepts it), and only
    if both are spent waits for the clock to move on."""
    import time

    while True:
        for ahead in (0, 1):
            code = totp_now(secret, steps_ahead=ahead)
            if (secret, code) not in _TOTP_CODES_GIVEN:
                _TOTP_CODES_GIVEN.add((secret, code))
                return code
        time.sleep(1)


def give_totp(user) -> str:
    """Set up an authenticator app for `user` with a new secret (plus recovery codes) and return the secret."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


@pytest.fixture
def staff_with_totp(transactional_db):
    """A programme staff superuser with an authenticator app: `.user`, `.email`, `.password`, `.secret`."""
    from types import SimpleNamespace

    from tests.factories import PASSWORD, person

    user = person(is_staff=True, is_superuser=True, email="totp-staff@example.org", full_name="Tess Staff")
    return SimpleNamespace(user=user, email=user.email, password=PASSWORD, secret=give_totp(user))


def sign_in_with_totp(page, live_server, email: str, password: str, secret: str, next_path: str = "/admin/"):
    """Sign in through the real pages, password then authenticator code, and land on `next_path`."""
    from urllib.parse import quote

    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next={quote(next_path)}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your authentication code")
    page.get_by_label("Authentication code").fill(fresh_totp(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + next_path)
