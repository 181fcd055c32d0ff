"""Issue 5 end to end: staff assign a reviewer, the reviewer scores, staff take the application to an award.

Everyone signs in through the real pages with password and a TOTP code from their authenticator secret.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, give_totp, outbox_link, sign_in_with_totp
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_assign_reviewer_scores_staff_award_and_the_applicant_is_emailed(live_server, page, staff_with_totp):
    from awards.models import ApplicationEvent
    from awards.review.models import Review
    from awards.review.services import criteria_ensure
    from crossector.core.models import OutboundEmail
    from tests.awards.review_factories import reviewer, submitted

    app = submitted()
    criteria = criteria_ensure(call=app.call)
    judge = reviewer(full_name="Dr Rowan Judge", organisation="University of Dundee")
    judge_secret = give_totp(judge)
    staff = staff_with_totp

    # Staff: tick the application, "Assign reviewers", preview, confirm.
    sign_in_with_totp(page, live_server, staff.email, staff.password, staff.secret, "/admin/awards/application/")
    page.get_by_role("checkbox", name=re.compile(re.escape(app.reference))).check()
    page.get_by_label("Action:").select_option(label="Assign reviewers")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign reviewers to 1 application")
    page.get_by_label("Dr Rowan Judge (University of Dundee)").check()
    page.get_by_label("Reviewers per application").fill("1")
    page.get_by_role("button", name="Preview the assignments").click()
    expect(page.get_by_role("heading", name="Planned: 1 assignment")).to_be_visible()
    expect(page.get_by_role("table", name="What will happen to each application")).to_contain_text("Dr Rowan Judge")
    assert_accessible(page, "assign reviewers preview")
    page.get_by_role("button", name=re.compile("Confirm: make 1 assignment")).click()
    expect(page.get_by_text("1 assignment made; each reviewer was emailed a link.")).to_be_visible()

    # The reviewer follows the link in their email and signs in with their own code.
    path = outbox_link(judge.email, r"https?://[^/\s]+(/admin/awards/applicationtoreview/\d+/change/)")
    sign_in_with_totp(page, live_server, judge.email, PASSWORD, judge_secret, path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(app.title)
    expect(page.get_by_text(app.applicant.email)).to_have_count(0)
    assert_accessible(page, "review form")
    page.get_by_role("button", name="Submit review").click()  # nothing chosen yet
    expect(page.get_by_role("alert")).to_contain_text("Choose your recommendation")
    assert_accessible(page, "review form with errors")
    for criterion, score in zip(criteria, ["4 – Good", "5 – Excellent", "4 – Good", "3 – Adequate"], strict=True):
        page.get_by_role("group", name=criterion.title).get_by_label(score).check()
    page.get_by_role("group", name="Your recommendation").get_by_label("Fund", exact=True).check()
    page.get_by_role("textbox", name="Comments").fill("Strong partner commitment; a realistic plan.")
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_text("Your review has been submitted.")).to_be_visible()
    assert str(Review.objects.get().mean_score) == "4.00"

    # Staff: eligible → under review → shortlisted → awarded, the last one previewed and confirmed.
    sign_in_with_totp(
        page, live_server, staff.email, staff.password, staff.secret, f"/admin/awards/application/{app.pk}/change/"
    )
    expect(page.get_by_text("1 submitted; mean score 4.00")).to_be_visible()
    for button, status in (
        ("Mark eligible", "eligible"),
        ("Send to review", "under review"),
        ("Shortlist", "shortlisted"),
    ):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_text(f"{app.reference} is now {status}.")).to_be_visible()
    page.get_by_role("button", name="Award…").click()
    page.get_by_role("button", name=re.compile("Confirm: move to awarded")).click()
    expect(page.get_by_text(f"{app.reference} is now awarded.")).to_be_visible()

    email = OutboundEmail.objects.get(to=app.applicant.email, idempotency_key=f"application-{app.pk}-outcome-awarded")
    assert app.reference in email.body_text
    kinds = list(ApplicationEvent.objects.filter(application=app).values_list("kind", flat=True))
    assert kinds.count("assigned") == 1 and kinds.count("review_submitted") == 1 and kinds.count("status") == 4
