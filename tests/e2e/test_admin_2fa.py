"""Staff set up two-factor authentication on their first visit to the admin, then sign in with it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, fresh_totp, open_enrolment_link, sign_in_with_totp
from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_set_up_totp_on_first_admin_visit_then_sign_in_with_a_code(live_server, page):
    person(is_staff=True, is_superuser=True, email="new-staff@example.org", full_name="Nia Staff")
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))
    page.get_by_label("Email").fill("new-staff@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # The password is not enough to set up the app: a link emailed to the account's address comes first.
    expect(page.get_by_role("status")).to_contain_text("The staff admin needs two-factor authentication")
    assert_accessible(page, "check your email")
    open_enrolment_link(page, live_server, "new-staff@example.org")
    # allauth confirms the password before any security change.
    expect(page.get_by_role("status")).to_contain_text("that confirms it is you")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_text("must use two-factor authentication before it opens")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page, "activate TOTP")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()  # typed into an app by hand
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect code")
    assert_accessible(page, "activate TOTP with an error")
    page.get_by_label("Code from your app").fill(fresh_totp(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.get_by_role("list", name="Unused codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name="Continue to the staff admin").click()
    expect(page).to_have_url(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="Programme administration")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill("new-staff@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your authentication code")
    assert_accessible(page, "two-factor sign-in step")
    page.get_by_label("Authentication code").fill(fresh_totp(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + "/admin/")


def test_sign_in_helper_reaches_the_admin_twice_in_a_row(live_server, page, staff_with_totp):
    s = staff_with_totp
    sign_in_with_totp(page, live_server, s.email, s.password, s.secret)
    expect(page.get_by_role("heading", name="Programme administration")).to_be_visible()
    # A second sign-in inside the same 30 seconds needs a code not used yet; the helper gives one.
    sign_in_with_totp(page, live_server, s.email, s.password, s.secret, next_path="/admin/core/outboundemail/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("email")


def test_programme_dashboard_from_the_admin_index_is_accessible(live_server, page, staff_with_totp):
    from crossector.core.vocabulary import Sector
    from tests.awards.factories import AwardCallFactory
    from tests.core.test_dashboard import connect, submitted
    from tests.events.factories import BookingFactory, EventFactory, HubFactory

    call = AwardCallFactory(name="Cross-Sector Experience Awards 2025")
    submitted(call, partners=[Sector.INDUSTRY_SME], costs=["45000"])
    event = EventFactory(hub=HubFactory(name="Wales hub", slug="wales"), title="Precision medicine in Cardiff")
    ada, bo = (BookingFactory(event=event).user for _ in range(2))
    connect(ada, bo)

    s = staff_with_totp
    sign_in_with_totp(page, live_server, s.email, s.password, s.secret)
    page.get_by_role("link", name="Open the programme dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard")
    expect(page.get_by_role("img", name="Amounts requested and awarded per call")).to_be_visible()
    page.get_by_text("Amounts requested and awarded per call: the figures as a table").click()
    expect(page.get_by_role("table", name="Amounts requested and awarded per call")).to_contain_text("£45,000")
    expect(page.get_by_role("table", name="The 20 latest events")).to_contain_text("Precision medicine in Cardiff")
    assert_accessible(page, "programme dashboard")
