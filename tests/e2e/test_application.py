"""The demo applicant finishes their half-done application in a real browser, partly with the keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from awards import demo as awards_demo
from awards.models import Application
from crossector.core import demo as core_demo
from crossector.core.models import OutboundEmail, PriorityArea
from crossector.core.vocabulary import PRIORITY_AREAS
from tests.awards.factories import pdf_bytes
from tests.e2e.conftest import assert_accessible, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_applicant():
    for slug, name in PRIORITY_AREAS:  # transactional tests flush the data migration's rows
        PriorityArea.objects.get_or_create(slug=slug, defaults={"name": name})
    users = core_demo.seed()
    awards_demo.seed(users)
    return users["applicant"], Application.objects.get(applicant=users["applicant"])


def test_demo_applicant_completes_checks_and_submits_their_application(live_server, page, tmp_path, demo_applicant):
    user, draft = demo_applicant
    base = f"{live_server.url}/awards/{draft.call.slug}/apply"
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(core_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your application")
    expect(page.get_by_text("You have completed 2 of 6 sections.")).to_be_visible()
    assert_accessible(page, "task list")

    # 1 and 2 came from the profile and the earlier visit: check them and move on.
    page.get_by_role("link", name="1. You and your employing organisation").click()
    expect(page.get_by_label("Employing organisation", exact=True)).to_have_value(user.profile.organisation)
    assert_accessible(page, "section: you")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner organisation(s)")
    assert_accessible(page, "section: partners")
    page.get_by_role("button", name="Save and continue").click()

    # 3, with the keyboard alone.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your proposal")
    assert_accessible(page, "section: proposal")
    expect(
        page.get_by_text("You have 250 words remaining").or_(page.get_by_text("words remaining").first)
    ).to_be_visible()
    tab_to(page, "Why this is the right time")
    page.keyboard.type("Our laboratory is about to buy digital pathology scanners, so the skills are needed now.")
    tab_to(page, "Benefits to you")
    page.keyboard.type("I learn validation; the trust gains a safer roll-out; the partner learns NHS workflows.")
    tab_to(page, "How the links will last")
    page.keyboard.type("A joint PhD studentship and a standing monthly data clinic.")
    expect(page.get_by_text("You have 290 words remaining")).to_be_visible()  # the live counter
    tab_to(page, "Save and continue")
    page.keyboard.press("Enter")

    # 4: an error, shown in the summary, fixed through its link.
    expect(page.get_by_role("heading", level=1)).to_have_text("Timing and costs")
    assert_accessible(page, "section: costs")
    page.get_by_label("Day", exact=True).fill("1")
    page.get_by_label("Month", exact=True).fill("4")
    page.get_by_label("Year", exact=True).fill("2027")
    page.get_by_label("Duration (months)").fill("6")
    page.get_by_label("Time on the placement (% of full time)").fill("100")
    page.get_by_label("Category").select_option("backfill")
    page.get_by_label("Amount").fill("100,000.01")
    page.get_by_label("Justification").fill("Backfill my post at band 8a for six months.")
    expect(page.get_by_text("Running total: £100,000.01, which is more than the maximum")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("more than this call's maximum of £100,000")
    expect(page.get_by_label("Justification")).to_have_value("Backfill my post at band 8a for six months.")
    assert_accessible(page, "section: costs with an error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Amount")).to_be_focused()
    page.get_by_label("Amount").fill("£48,500")
    page.get_by_role("button", name="Save and continue").click()

    # 5: three PDFs.
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    assert_accessible(page, "section: documents")
    files = {}
    for name in ("cv", "partner-letter", "employer-statement"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(pdf_bytes(name))
    page.get_by_label("Upload the CV").set_input_files(files["cv"])
    page.get_by_label("Upload the letter of support").set_input_files(files["partner-letter"])
    page.get_by_label("Upload the statement from").set_input_files(files["employer-statement"])
    page.get_by_role("button", name="Upload and continue").click()

    # 6: check answers, declarations and submit, with the keyboard.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and declarations")
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(5)
    expect(page.get_by_text("Still to do before you can submit")).to_have_count(0)
    expect(page.get_by_role("link", name="cv.pdf")).to_be_visible()
    assert_accessible(page, "check answers")
    for label in ("The information in this application", "My employing organisation knows", "I agree that"):
        tab_to(page, label)
        page.keyboard.press("Space")
    tab_to(page, "Submit application")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Application submitted")
    reference = page.locator("[data-reference]").inner_text()
    assert re.fullmatch(r"CSEA-\d{4}-0001", reference)
    assert_accessible(page, "confirmation")
    receipt = OutboundEmail.objects.get(to=user.email, subject__contains=reference)
    assert "£48,500" in receipt.body_text and "Helix Imaging Ltd" in receipt.body_text

    # Read-only afterwards: the section pages send the applicant to the read-only view.
    page.goto(base + "/proposal/")
    expect(page.get_by_text("can no longer be changed").first).to_be_visible()


def test_call_pages_and_my_applications_have_no_wcag_violations(live_server, page, demo_applicant):
    user, draft = demo_applicant
    for path in ("/awards/", f"/awards/{draft.call.slug}/", "/awards/csea-2024/"):
        page.goto(live_server.url + path)
        assert_accessible(page, path)
    page.goto(
        f"{live_server.url}/awards/{draft.call.slug}/?employed=yes&different_sector=no&health_link=yes&employer_support=yes"
    )
    expect(page.get_by_role("status")).to_contain_text("must be in a different sector")
    assert_accessible(page, "eligibility answers")
