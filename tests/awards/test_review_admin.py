"""The reviewers' admin: who sees what, the review form, conflicts, "Assign reviewers" and the panel list."""

import pytest
from django.urls import reverse

from awards.models import ApplicationEvent, Document
from awards.review.models import Review, ReviewerAssignment
from awards.review.services import criteria_ensure
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory
from tests.awards.review_factories import assign, reviewer, submitted, submitted_review
from tests.conftest import login_with_mfa

pytestmark = pytest.mark.django_db


def review_url(app):
    return reverse("admin:awards_applicationtoreview_change", args=[app.pk])


def document_url(app):
    return Document.objects.filter(application=app).first().get_absolute_url()


@pytest.fixture
def reviewer_client(client):
    user = reviewer(full_name="Dr Ada Reviewer")
    login_with_mfa(client, user)
    client.user = user
    return client


# --- What a reviewer can open ----------------------------------------------------------------------------


def test_reviewer_list_shows_only_their_own_assigned_unconflicted_applications(reviewer_client):
    call = AwardCallFactory()
    mine, other, conflicted = submitted(call, title="Mine"), submitted(call, title="Other"), submitted(call)
    assign(mine, reviewer_client.user)
    assign(other, reviewer())
    assign(conflicted, reviewer_client.user, conflict_declared_at="2025-01-01T10:00Z", conflict_reason="x")
    response = reviewer_client.get(reverse("admin:awards_applicationtoreview_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.reference in body and "Not started" in body
    assert other.reference not in body and conflicted.reference not in body
    assert mine.applicant.email not in body


def test_reviewer_cannot_open_an_unassigned_application_its_documents_or_the_staff_admin(reviewer_client):
    app = submitted()
    assign(app, reviewer())
    assert reviewer_client.get(review_url(app)).status_code == 404
    assert reviewer_client.get(document_url(app)).status_code == 404
    assert reviewer_client.get(reverse("admin:awards_application_change", args=[app.pk])).status_code == 403
    assert reviewer_client.get(reverse("admin:awards_application_changelist")).status_code == 403
    assert reviewer_client.get(reverse("admin:awards_application_export_csv")).status_code == 403
    assert reviewer_client.get(reverse("admin:awards_applicationtoreview_conflict", args=[app.pk])).status_code == 404
    assert reviewer_client.get(reverse("admin:awards_applicationtoreview_panel")).status_code == 403


def test_reviewer_cannot_open_even_an_assigned_application_in_the_staff_admin(reviewer_client):
    app = submitted()
    assign(app, reviewer_client.user)
    assert reviewer_client.get(reverse("admin:awards_application_change", args=[app.pk])).status_code == 403
    assert reviewer_client.get(document_url(app)).status_code == 200


def test_assigned_reviewer_sees_the_application_without_contact_emails(reviewer_client):
    app = submitted()
    assign(app, reviewer_client.user)
    response = reviewer_client.get(review_url(app))
    body = response.content.decode()
    assert response.status_code == 200
    assert app.title in body and "Helix Imaging Ltd" in body and document_url(app) in body
    assert app.applicant.email not in body and "tom@example.org" not in body
    assert "Declare a conflict of interest" in body
    for criterion in criteria_ensure(call=app.call):
        assert criterion.title in body


def test_a_declared_conflict_removes_access_to_the_page_and_documents_at_once(reviewer_client):
    app = submitted()
    assign(app, reviewer_client.user)
    assert reviewer_client.get(document_url(app)).status_code == 200
    conflict = reverse("admin:awards_applicationtoreview_conflict", args=[app.pk])
    refused = reviewer_client.post(conflict, {"reason": ""})
    assert refused.status_code == 400 and "Say briefly why" in refused.content.decode()
    response = reviewer_client.post(conflict, {"reason": "The applicant was my PhD student."})
    assert response.status_code == 302
    assignment = ReviewerAssignment.objects.get()
    assert assignment.conflict_reason == "The applicant was my PhD student."
    event = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.CONFLICT)
    assert event.actor == reviewer_client.user
    assert reviewer_client.get(review_url(app)).status_code == 404
    assert reviewer_client.get(document_url(app)).status_code == 404
    assert reviewer_client.get(conflict).status_code == 404


# --- The review form -------------------------------------------------------------------------------------


def _form_data(app, scores, recommendation="fund", button="_submit"):
    criteria = criteria_ensure(call=app.call)
    data = {f"score_{c.pk}": str(s) for c, s in zip(criteria, scores, strict=True) if s is not None}
    data.update(recommendation=recommendation, comments="A clear plan with a committed partner.", **{button: "1"})
    return data


def test_submitting_an_incomplete_review_shows_each_problem_and_keeps_what_was_typed(reviewer_client):
    app = submitted()
    assign(app, reviewer_client.user)
    response = reviewer_client.post(review_url(app), _form_data(app, [4, None, 3, None], recommendation=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body and body.count("Choose a score from 1 to 5") >= 2
    assert "Choose your recommendation" in body
    assert "A clear plan with a committed partner." in body
    assert not Review.objects.filter(submitted_at__isnull=False).exists()


def test_save_draft_then_submit_stores_the_mean(reviewer_client):
    app = submitted()
    assign(app, reviewer_client.user)
    draft = reviewer_client.post(review_url(app), _form_data(app, [4, None, None, None], "", "_save_draft"))
    assert draft.status_code == 302
    assert Review.objects.get().submitted_at is None
    page = reviewer_client.get(review_url(app)).content.decode()
    assert "Draft saved" in page
    done = reviewer_client.post(review_url(app), _form_data(app, [4, 5, 3, 4]))
    assert done.status_code == 302
    review = Review.objects.get()
    assert review.submitted_at is not None and str(review.mean_score) == "4.00"


def test_other_reviews_are_hidden_until_the_reviewer_submits_then_shown_without_names(reviewer_client):
    app = submitted()
    colleague = reviewer(full_name="Professor Hidden Name")
    submitted_review(assign(app, colleague), [2, 2, 2, 1], comments="Weak feasibility case.")
    assign(app, reviewer_client.user)
    before = reviewer_client.get(review_url(app)).content.decode()
    assert "Weak feasibility case." not in before and "1.75" not in before
    assert "once you have submitted your own review" in before
    reviewer_client.post(review_url(app), _form_data(app, [4, 4, 4, 4]))
    after = reviewer_client.get(review_url(app)).content.decode()
    assert "Weak feasibility case." in after and "1.75" in after and "Reviewer 1" in after
    assert "Professor Hidden Name" not in after and colleague.email not in after


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_review_page_runs_the_same_queries_with_one_or_six_other_reviews(reviewer_client):
    counts = []
    for others in (1, 6):
        app = submitted()
        assign(app, reviewer_client.user)
        for _ in range(others):
            submitted_review(assign(app, reviewer()), [3, 4, 3, 4])
        reviewer_client.post(review_url(app), _form_data(app, [4, 4, 4, 4]))
        counts.append(_queries(reviewer_client, review_url(app)))
    assert counts[0] == counts[1] <= 25


def test_reviewer_list_runs_the_same_queries_with_two_or_twenty_applications(reviewer_client):
    url = reverse("admin:awards_applicationtoreview_changelist")
    call = AwardCallFactory()
    for _ in range(2):
        assign(submitted(call, full=False, partners=["Partner A", "Partner B"]), reviewer_client.user)
    small = _queries(reviewer_client, url)
    for _ in range(18):
        assign(submitted(call, full=False, partners=["Partner C"]), reviewer_client.user)
    assert _queries(reviewer_client, url) == small


# --- Staff: assigning from the application list ----------------------------------------------------------


def _action(apps, **extra):
    return {"action": "assign_reviewers", "_selected_action": [a.pk for a in apps], **extra}


def test_assign_reviewers_action_previews_flags_conflicts_then_assigns_and_emails(staff_client):
    call = AwardCallFactory()
    apps = [submitted(call) for _ in range(2)]
    good = [reviewer(organisation="Institute A"), reviewer(organisation="Institute B")]
    flagged = reviewer(organisation="Helix Imaging Limited", full_name="Conflicted Person")
    changelist = reverse("admin:awards_application_changelist")
    chooser = staff_client.post(changelist, _action(apps))
    assert chooser.status_code == 200 and "Conflicted Person" in chooser.content.decode()
    ids = [r.pk for r in [*good, flagged]]
    preview = staff_client.post(changelist, _action(apps, reviewers=ids, per_application=2, _assign_step="preview"))
    body = preview.content.decode()
    assert preview.status_code == 200 and "Planned: 4 assignments" in body
    assert "matches the partner organisation Helix Imaging Ltd" in body
    assert not ReviewerAssignment.objects.exists()
    done = staff_client.post(changelist, _action(apps, reviewers=ids, per_application=2, _assign_step="confirm"))
    assert done.status_code == 302
    assert ReviewerAssignment.objects.count() == 4
    assert not ReviewerAssignment.objects.filter(reviewer=flagged).exists()
    assert OutboundEmail.objects.filter(to__in=[r.email for r in good]).count() == 4


def test_assign_reviewers_action_says_what_is_missing(staff_client):
    app = submitted()
    response = staff_client.post(
        reverse("admin:awards_application_changelist"), _action([app], per_application=0, _assign_step="preview")
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose at least one reviewer." in body and "at least 1 reviewer" in body


# --- Staff: the panel list -------------------------------------------------------------------------------


def _panel_call(n):
    call = AwardCallFactory()
    team = [reviewer(organisation=f"Institute {i}") for i in range(2)]
    apps = [submitted(call, full=False) for _ in range(n)]
    for i, app in enumerate(apps):
        for r in team:
            submitted_review(assign(app, r), [1 + (i % 5)] * 4)
    return call, apps


def test_panel_list_ranks_by_mean_then_submission_time(staff_client):
    call = AwardCallFactory()
    team = [reviewer(organisation="Institute A"), reviewer(organisation="Institute B")]
    low, high, tie_first, tie_second, unscored = (submitted(call, full=False) for _ in range(5))
    submitted_review(assign(low, team[0]), [2, 2, 2, 2], recommendation="do_not_fund")
    submitted_review(assign(high, team[0]), [5, 5, 5, 5])
    submitted_review(assign(high, team[1]), [3, 3, 3, 3], recommendation="fund_if_changed")
    submitted_review(assign(tie_second, team[0]), [3, 3, 3, 3])
    submitted_review(assign(tie_first, team[0]), [3, 3, 3, 3])
    conflicted = assign(low, team[1], conflict_declared_at="2025-01-01T10:00Z", conflict_reason="x")
    submitted_review(conflicted, [5, 5, 5, 5])  # does not count
    response = staff_client.get(reverse("admin:awards_applicationtoreview_panel"), {"call": call.pk})
    body = response.content.decode()
    assert response.status_code == 200
    positions = [body.index(a.reference) for a in (high, tie_first, tie_second, low, unscored)]
    assert positions == sorted(positions)
    assert "4.00" in body and "2.00" in body  # high: mean 4.00, spread 2.00


@pytest.mark.parametrize("size", [3, 30])
def test_panel_list_runs_the_same_queries_at_any_size(staff_client, django_assert_num_queries, size):
    call, apps = _panel_call(size)
    url = reverse("admin:awards_applicationtoreview_panel")
    staff_client.get(url, {"call": call.pk})  # warm the session and permission caches
    # session, user, two-factor check, calls, criteria, applications, partners, priority areas,
    # recommendation tallies, criterion means, the signed-in user's profile (page header)
    with django_assert_num_queries(11):
        response = staff_client.get(url, {"call": call.pk})
    assert response.content.decode().count("CSEA-2099-") == size
