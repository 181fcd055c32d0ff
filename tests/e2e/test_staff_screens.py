"""Issue 14, staff screens in a real Chromium at 1280 px over the demo world: the application list's key
columns are all on screen, and the dashboard names every call. With UPDATE_SCREENSHOTS=1 both pages are
saved into docs/img/ as the screenshots the docs show (docs/review.md, docs/dashboard.md); otherwise into the
test's temporary folder, so an ordinary test run leaves the tree unchanged:

    UPDATE_SCREENSHOTS=1 make test PYTEST_ARGS=tests/e2e/test_staff_screens.py
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.e2e.conftest import assert_accessible, sign_in_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture
def img(tmp_path) -> Path:
    folder = DOCS_IMG if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


KEY_COLUMNS = {
    "reference_display": "Reference",
    "applicant_name": "Applicant",
    "amount_requested_display": "Requested",
    "status": "Status",
    "submitted_at": "Submitted",
    "review_count_display": "Reviews",
    "mean_score_display": "Mean score",
    "score_spread_display": "Spread",
}


def _world():
    """seed_demo, plus submitted applications with long names and scores in every call, so every column has
    its widest realistic content."""
    from decimal import Decimal

    from awards.models import Application, AwardCall
    from awards.review.models import Review, ReviewerAssignment
    from crossector.core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from tests.awards.review_factories import reviewer, submitted

    call_command("seed_demo", stdout=io.StringIO())
    statuses = [Application.Status.UNDER_REVIEW, Application.Status.SHORTLISTED, Application.Status.ELIGIBLE]
    for n, call in enumerate(AwardCall.objects.order_by("closes_at")):
        app = submitted(
            call,
            status=statuses[n % 3],
            title="Digital pathology triage across NHS Wales and an imaging SME",
            organisation="Betsi Cadwaladr University Health Board",
        )
        app.applicant.profile.full_name = f"Professor Angharad Llewellyn-Pritchard {n}"
        app.applicant.profile.save()
        for mean in ("4.25", "2.50"):
            assignment = ReviewerAssignment.objects.create(application=app, reviewer=reviewer())
            Review.objects.create(
                assignment=assignment,
                mean_score=Decimal(mean),
                recommendation=Review.Recommendation.FUND,
                submitted_at=app.submitted_at,
            )
    return "staff@example.org", DEMO_PASSWORD, DEMO_TOTP_SECRET


def test_application_list_key_columns_fit_at_1280px(live_server, page, img):
    email, password, secret = _world()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_totp(page, live_server, email, password, secret, next_path="/admin/awards/application/")

    page.wait_for_load_state("networkidle")
    # The list scrolls sideways inside its own box (.results): a column is seen only if it ends inside that
    # box, and the box inside the window.
    box_right, overflow = page.evaluate(
        """() => { const r = document.querySelector('#changelist-form .results');
            return [r.getBoundingClientRect().right, r.scrollWidth - r.clientWidth]; }"""
    )
    assert box_right <= 1280 and overflow <= 0, f"the list is {overflow} px wider than its box"
    edges = page.evaluate(
        """(columns) => Object.fromEntries(columns.map(c => {
            const th = document.querySelector(`#result_list th.column-${c}`);
            return [c, th ? th.getBoundingClientRect().right : null]; }))""",
        list(KEY_COLUMNS),
    )
    for column, right in edges.items():
        assert right is not None, f"{column} is not in the list"
        assert right <= min(box_right, 1280), f"{KEY_COLUMNS[column]} ends at {right:.0f} px, out of sight"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling at all
    headers = page.locator("#result_list thead th").all_inner_texts()
    for label in KEY_COLUMNS.values():
        assert any(label.lower() in h.lower() for h in headers), label
    assert_accessible(page, "application list at 1280 px")
    page.screenshot(path=str(img / "admin-applications-1280.png"), full_page=False)
    assert (img / "admin-applications-1280.png").stat().st_size > 10_000


def test_dashboard_names_every_call_in_full(live_server, page, img):
    from awards.models import AwardCall

    email, password, secret = _world()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_totp(page, live_server, email, password, secret, next_path="/admin/dashboard/")
    page.wait_for_load_state("networkidle")

    chart = page.locator("#chart-calls-title").locator("xpath=..")
    labels = chart.locator("text.dash-label").all()
    names = [" ".join(label.locator("tspan").all_text_contents()) for label in labels]
    calls = list(AwardCall.objects.values_list("name", flat=True))
    assert sorted(names) == sorted(calls) and len(set(names)) == len(calls)
    for label in labels:  # every line of every label is inside the drawing, none cut at the left edge
        box = label.bounding_box()
        svg = chart.bounding_box()
        assert box["x"] >= svg["x"] - 1
    page.screenshot(path=str(img / "dashboard.png"), full_page=True)
    assert (img / "dashboard.png").stat().st_size > 10_000
