import pytest
from playwright.sync_api import expect

from crossector.core.models import User
from tests.e2e.conftest import assert_accessible, outbox_link, tab_to
from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email):
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(live_server.url + "/")


def opt_in_through_profile(page, live_server, *, check_a11y=False):
    page.goto(live_server.url + "/accounts/profile/")
    if check_a11y:
        assert_accessible(page, "profile with directory choices")
    page.get_by_label("Show me in the people directory").check()
    page.get_by_role("group", name="I am open to").get_by_label("Collaborating").check()
    tab_to(page, "Save profile")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your profile has been saved")


def test_two_people_opt_in_connect_and_see_each_others_email(live_server, page):
    person(email="nia@example.org", full_name="Nia Hughes", sector="nhs", organisation="Cardiff NHS Trust")
    person(email="sam@example.org", full_name="Sam Okafor", sector="industry_sme", organisation="Helix Imaging Ltd")

    sign_in(page, live_server, "sam@example.org")
    opt_in_through_profile(page, live_server, check_a11y=True)

    sign_in(page, live_server, "nia@example.org")
    opt_in_through_profile(page, live_server)
    page.goto(live_server.url + "/network/")
    expect(page.get_by_role("heading", level=1)).to_have_text("People directory")
    page.get_by_label("Sector").select_option(label="Industry (SME / start-up)")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 person")).to_be_visible()
    assert_accessible(page, "directory")
    page.get_by_role("link", name="Sam Okafor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Okafor")
    expect(page.get_by_text("sam@example.org")).to_have_count(0)
    assert_accessible(page, "person page")

    page.get_by_role("link", name="Send a connection request").click()
    page.get_by_role("button", name="Send request").click()  # empty message: error summary, nothing sent
    expect(page.get_by_role("alert")).to_contain_text("Enter a short message")
    assert_accessible(page, "request page with an error")
    page.get_by_label("Your message").fill("I lead imaging work at Cardiff; could we talk about a placement?")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status")).to_contain_text("Your request has been sent to Sam Okafor")

    sign_in(page, live_server, "sam@example.org")
    link = outbox_link("sam@example.org", r"https?://[^/\s]+(/network/requests/\d+/)")
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Nia Hughes would like to connect")
    expect(page.get_by_text("nia@example.org")).to_have_count(0)
    assert_accessible(page, "request page")
    tab_to(page, "Accept")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("You are now connected with Nia Hughes")
    expect(page.get_by_role("link", name="nia@example.org")).to_be_visible()

    sign_in(page, live_server, "nia@example.org")
    sam = User.objects.get(email="sam@example.org")
    page.goto(f"{live_server.url}/network/people/{sam.pk}/")
    expect(page.get_by_role("link", name="sam@example.org")).to_be_visible()
    page.goto(live_server.url + "/network/connections/")
    expect(page.get_by_role("link", name="sam@example.org")).to_be_visible()
    assert_accessible(page, "connections")
