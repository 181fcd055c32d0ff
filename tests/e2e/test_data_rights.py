"""A person downloads their data, then deletes their account, in a real browser; axe on every page."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from awards.models import Application
from crossector.core.models import User
from tests.awards.factories import AwardCallFactory, application, complete
from tests.e2e.conftest import assert_accessible
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_person_downloads_their_data_then_deletes_their_account(live_server, page, tmp_path):
    user = person(email="nia@example.org", full_name="Nia Bevan")
    event = EventFactory(title="Digital pathology in Swansea", starts_at=timezone.now() + timedelta(days=10))
    BookingFactory(user=user, event=event, access_requirements="Step-free access")
    draft = complete(application(call=AwardCallFactory(), applicant=user))
    Application.objects.filter(pk=draft.pk).update(title="Learning model validation at Helix")
    base = live_server.url

    sign_in(page, base, user.email)
    page.goto(base + "/accounts/profile/")
    page.get_by_role("link", name="Download a copy of your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    assert_accessible(page, "your data")

    # allauth asks for the password again; the download then starts.
    page.get_by_role("button", name="Download my data").click()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page, "re-authenticate")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_download() as info:
        page.get_by_role("button", name="Confirm").click()
    download = info.value
    assert download.suggested_filename.startswith("cross-sector-programme-my-data-")
    path = tmp_path / "my-data.json"
    download.save_as(path)
    data = json.loads(path.read_text())
    assert data["bookings"][0]["event"] == "Digital pathology in Swansea"
    assert data["bookings"][0]["access_requirements"] == "Step-free access"
    assert data["award_applications"][0]["proposal"]["title"] == "Learning model validation at Helix"

    page.goto(base + "/accounts/data/")
    page.get_by_role("link", name="delete your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    expect(page.get_by_text("Your 1 unsubmitted application")).to_be_visible()
    assert_accessible(page, "delete your account")

    page.get_by_role("button", name="Delete my account").click()  # no password: the error summary
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert_accessible(page, "delete your account with an error")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been deleted")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_accessible(page, "account deleted")

    assert not User.objects.get(pk=user.pk).is_active
    assert not Application.objects.filter(pk=draft.pk).exists()

    sign_in(page, base, "nia@example.org")
    expect(page.get_by_role("alert")).to_contain_text("The email address and/or password you specified are not correct")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
