import pytest
from playwright.sync_api import expect

from crossector.core.models import User
from tests.e2e.conftest import assert_accessible, outbox_link, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-password-42"


def test_public_pages_have_no_wcag_violations(live_server, page):
    for path in ["/", "/privacy/", "/accessibility/", "/accounts/login/", "/accounts/signup/", "/no-such-page/"]:
        page.goto(live_server.url + path)
        assert_accessible(page, path)


def test_sign_up_verify_log_in_and_complete_profile_with_the_keyboard_alone(live_server, page):
    page.goto(live_server.url + "/")
    tab_to(page, "Skip to main content")
    tab_to(page, "Create an account")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    assert_accessible(page, "sign-up")

    tab_to(page, "Email")
    page.keyboard.type("grace@example.org")
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "Password (again)")
    page.keyboard.type(PASSWORD + "typo")
    page.keyboard.press("Enter")

    # The mistake is summarised at the top, and the email typed is kept.
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Email")).to_have_value("grace@example.org")
    assert_accessible(page, "sign-up with errors")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Password (again)").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    link = outbox_link("grace@example.org", r"https?://[^/\s]+(/accounts/confirm-email/\S+/)")
    page.goto(live_server.url + link)
    tab_to(page, "Confirm")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Complete your profile")
    assert_accessible(page, "profile")
    tab_to(page, "Full name")
    page.keyboard.type("Grace Hopper")
    tab_to(page, "Organisation")
    page.keyboard.type("Royal Infirmary")
    tab_to(page, "Job title")
    page.keyboard.type("Clinical lead")
    tab_to(page, "Sector")
    page.keyboard.press("ArrowDown")  # first sector in the list: NHS
    tab_to(page, "UK nation or region")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # Wales
    tab_to(page, "Cell and gene therapy")
    page.keyboard.press("Space")
    tab_to(page, "Save profile")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your profile has been saved")
    profile = User.objects.get(email="grace@example.org").profile
    assert profile.full_name == "Grace Hopper"
    assert profile.get_sector_display() == "NHS and health & care services"
    assert profile.get_region_display() == "Wales"
    assert [a.slug for a in profile.interests.all()] == ["cell-gene-therapy"]

    page.get_by_role("button", name="Grace Hopper").click()
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign Out").click()
    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page, "login")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("button", name="Grace Hopper")).to_be_visible()
