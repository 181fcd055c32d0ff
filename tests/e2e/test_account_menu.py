"""The account menu is a real button: Space and Enter open it, Escape closes it, from the keyboard alone."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("key", ["Space", "Enter"])
def test_account_menu_opens_with_space_and_with_enter(live_server, page, key):
    user = person(email="menu@example.org", full_name="Menna Menu")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")

    menu = page.get_by_role("button", name="Menna Menu")
    profile = page.get_by_role("link", name="Your profile")
    menu.focus()
    expect(profile).to_be_hidden()
    page.keyboard.press(key)
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(profile).to_be_visible()
    page.keyboard.press("Escape")
    expect(profile).to_be_hidden()
    expect(menu).to_be_focused()
