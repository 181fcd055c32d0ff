"""The pages reached only from an emailed link or a token, crawled with the crawl's checks (tests/e2e/crawl.py).

The crawl follows links, and no page links to these: a signatory's upload link, an email verification link, a
password reset link, the "stop following this hub" link and the two-factor set-up link. Here each link is issued
for real (the service or page that sends it, then the link read from the outbox, as its reader would) and opened
in its normal state, its error states (the form answered wrongly or empty), once used, and guessed. Every page
passes the same checks as the crawl: axe WCAG 2.2 A/AA, reflow at 320 px, a title of its own naming the service,
"Error:" exactly when the page shows errors, no asterisks.

Every capability-link pattern of the URL walk (tests/security/test_url_walk.py, TOKEN) must be opened here in
a normal and an error state: a new token page fails this test until it is.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_enrolment_link, outbox_link
from tests.e2e.crawl import Crawler, CrawlReport, pattern_of
from tests.security.test_url_walk import TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUESS = "Gu3ssed-t0ken-nobody-was-sent_0123456789"
REFUSED = {"used link", "guessed link"}
NEW_PASSWORD = "a-long-and-unusual-password-42"


class TokenCrawl:
    def __init__(self, live_server, browser):
        self.base = live_server.url
        self.browser = browser
        self.report = CrawlReport()
        self.crawler = Crawler(base_url=self.base, report=self.report)
        self.opened: dict[str, set[str]] = {}  # token pattern -> the states it was checked in
        self.contexts = []

    def page(self):
        context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def check(self, page, role: str, state: str = "page", *, token_link: str = ""):
        pattern = pattern_of(self.base + token_link) if token_link else ""
        # A link that cannot be used (used, expired or guessed) is one page for its kind of link whatever the
        # token: allauth cannot tell a used key from a guessed one, so both say the same under one title.
        refused = state in REFUSED
        identity = f"{pattern}: a link that cannot be used" if refused else ""
        self.crawler.check(page, role=role, state="refused link" if refused else state, identity=identity)
        if token_link:
            self.opened.setdefault(pattern, set()).add(state)

    def open(self, page, link: str, role: str, state: str = "page"):
        page.goto(self.base + link)
        self.check(page, role, state, token_link=link)

    def close(self):
        for context in self.contexts:
            context.close()


def _signatory(crawl: TokenCrawl):
    from awards import services
    from tests.awards.factories import application, pdf_bytes
    from tests.factories import person

    applicant = person(full_name="Ffion Applicant")
    draft = application(applicant=applicant, title="Genomics triage in NHS Wales")
    services.signatory_request_create(
        application=draft, user=applicant, kind="employer_statement", name="Dr Rhys Head", email="head@example.org"
    )
    link = outbox_link("head@example.org", r"https?://[^/\s]+(/awards/letters/[^/\s]+/)")
    page, role = crawl.page(), "signatory"
    crawl.open(page, link, role)
    upload = page.get_by_role("button", name="Upload the letter")
    page.get_by_label("The signed letter (PDF)").set_input_files(
        files=[{"name": "letter.txt", "mimeType": "text/plain", "buffer": b"Not a PDF at all"}]
    )
    upload.click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    crawl.check(page, role, "error state of the upload", token_link=link)
    page.get_by_role("button", name="Upload the letter").click()  # no file chosen
    expect(page.get_by_role("alert")).to_contain_text("Choose the PDF letter")
    crawl.check(page, role, "error state of the upload", token_link=link)
    page.get_by_label("The signed letter (PDF)").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Upload the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, the letter has been received")
    crawl.check(page, role, "letter received", token_link=link)
    crawl.open(page, link, role, "used link")
    expect(page.get_by_role("heading", level=1)).to_have_text("This letter has already been uploaded")
    crawl.open(page, f"/awards/letters/{GUESS}/", role, "guessed link")


def _email_verification(crawl: TokenCrawl):
    page, role = crawl.page(), "new member"
    page.goto(crawl.base + "/accounts/signup/")
    page.get_by_label("Email").fill("new.member@example.org")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    link = outbox_link("new.member@example.org", r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)")
    crawl.open(page, link, role)
    crawl.open(page, f"/accounts/confirm-email/{GUESS}/", role, "guessed link")
    page.goto(crawl.base + link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complete your profile")
    crawl.open(page, link, role, "used link")


def _password_reset(crawl: TokenCrawl):
    from tests.factories import person

    person(email="forgetful@example.org", full_name="Gwen Forgetful")
    page, role = crawl.page(), "password reset"
    page.goto(crawl.base + "/accounts/password/reset/")
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_role("button", name="Reset My Password").click()
    link = outbox_link("forgetful@example.org", r"https?://[^/\s]+(/accounts/password/reset/key/[^/\s]+/)")
    crawl.open(page, link, role)  # allauth moves the key into the session and shows the form
    set_password = page.url.removeprefix(crawl.base)
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD + "typo")
    with page.expect_navigation():
        page.get_by_label("New Password (again)").press("Enter")
    crawl.check(page, role, "error state of the new password", token_link=link)
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_label("New Password (again)").press("Enter")
    crawl.check(page, role, "password changed")
    crawl.open(page, link, role, "used link")
    assert page.url.removeprefix(crawl.base) in {link, set_password}
    uidb36 = link.split("/")[-2].split("-")[0]
    crawl.open(page, f"/accounts/password/reset/key/{uidb36}-{GUESS}/", role, "guessed link")


def _unfollow(crawl: TokenCrawl):
    from events.emails import new_event_email
    from hubs import services as hub_services
    from tests.events.factories import EventFactory
    from tests.factories import person

    follower = person(email="follower@example.org", full_name="Huw Follower")
    event = EventFactory(title="Digital care closer to home")
    new_event_email(event=event, follow=hub_services.hub_follow(hub=event.hub, user=follower))
    link = outbox_link("follower@example.org", r"https?://[^/\s]+(/hubs/unfollow/[^/\s]+/)")
    page, role = crawl.page(), "hub follower"
    crawl.open(page, link, role)
    crawl.open(page, f"/hubs/unfollow/{GUESS}/", role, "guessed link")
    page.goto(crawl.base + link)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    crawl.check(page, role, "unfollowed", token_link=link)


def _second_factor_link(crawl: TokenCrawl):
    from tests.factories import PASSWORD, person

    person(is_staff=True, is_superuser=True, email="enrolling@example.org", full_name="Iolo Enrolling")
    page, role = crawl.page(), "staff setting up two factors"
    page.goto(crawl.base + "/accounts/login/?next=/admin/")
    page.get_by_label("Email").fill("enrolling@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    open_enrolment_link(page, type("Server", (), {"url": crawl.base}), "enrolling@example.org")
    link = re.sub(r"^https?://[^/]+", "", outbox_link("enrolling@example.org", r"(https?://\S+/2fa/totp/email/\S+/)"))
    crawl.check(page, role, token_link=link)  # the link opened: allauth asks for the password again
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    crawl.check(page, role)
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect code")
    crawl.check(page, role, "error state of the code", token_link=link)
    crawl.open(page, link, role, "used link")
    crawl.open(page, f"/accounts/2fa/totp/email/{GUESS}/", role, "guessed link")


JOURNEYS = {
    "awards:signatory_upload": _signatory,
    "account_confirm_email": _email_verification,
    "account_reset_password_from_key": _password_reset,
    "hubs:unfollow_email": _unfollow,
    "mfa_enrolment_link": _second_factor_link,
}


def test_every_token_page_is_accessible_reflows_and_titles_its_normal_and_error_states(live_server, browser):
    assert set(JOURNEYS) == set(TOKEN), "issue a real link for each token pattern of the URL walk here"
    crawl = TokenCrawl(live_server, browser)
    try:
        for journey in JOURNEYS.values():
            journey(crawl)
    finally:
        crawl.close()
    print("\n" + crawl.report.summary())
    for pattern in JOURNEYS:
        states = crawl.opened.get(pattern, set())
        assert "page" in states or "letter received" in states, f"{pattern} was not opened: {crawl.opened}"
        assert any(s != "page" for s in states), f"{pattern} was not opened in an error state: {states}"
    assert not crawl.report.problems, f"{len(crawl.report.problems)} problems:\n" + "\n".join(crawl.report.problems)
