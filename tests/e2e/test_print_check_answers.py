"""Issue 14: the check-answers page prints as the application alone: no Change links, no to-do list, no
declaration boxes or buttons. On screen they are all there."""

import pytest
from playwright.sync_api import expect

from awards import demo as awards_demo
from awards.models import Application
from crossector.core import demo as core_demo
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import PRIORITY_AREAS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_check_answers_prints_without_change_links_to_do_list_and_checkboxes(live_server, page):
    for slug, name in PRIORITY_AREAS:
        PriorityArea.objects.get_or_create(slug=slug, defaults={"name": name})
    users = core_demo.seed()
    awards_demo.seed(users)
    draft = Application.objects.get(applicant=users["applicant"])  # half done: the to-do list is shown
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(users["applicant"].email)
    page.get_by_label("Password").fill(core_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/awards/{draft.call.slug}/apply/check/")

    change = page.get_by_role("link", name="Change")
    to_do = page.get_by_role("heading", name="Still to do before you can submit")
    boxes = page.get_by_role("checkbox")
    submit = page.get_by_role("button", name="Submit application")
    answers = page.get_by_text(draft.title).first

    page.emulate_media(media="screen")
    assert change.count() >= 5 and boxes.count() >= 1
    for shown in (change.first, to_do, boxes.first, submit, answers):
        expect(shown).to_be_visible()

    page.emulate_media(media="print")
    for i in range(change.count()):
        expect(change.nth(i)).to_be_hidden()
    for i in range(boxes.count()):
        expect(boxes.nth(i)).to_be_hidden()
    expect(to_do).to_be_hidden()
    expect(submit).to_be_hidden()
    expect(answers).to_be_visible()  # the application itself still prints
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    pdf = page.pdf()  # and the print really renders
    assert pdf[:4] == b"%PDF"
