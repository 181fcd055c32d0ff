"""Random and hostile data through the reviewers' forms (review, conflict, assign): never a 500, and a
rejected post changes nothing."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from awards.models import ApplicationEvent
from awards.review.models import Review, ReviewerAssignment
from awards.review.services import criteria_ensure
from tests.awards.review_factories import assign, reviewer, submitted
from tests.conftest import login_with_mfa
from tests.security.test_forms_fuzz import FUZZ, _no_500, form_data

pytestmark = pytest.mark.django_db


@FUZZ
@given(
    data=form_data("score_1", "score_2", "recommendation", "comments"),
    button=st.sampled_from(["_submit", "_save_draft"]),
)
def test_review_form(client, data, button):
    app = submitted(full=False)
    user = reviewer()
    assignment = assign(app, user)
    criteria = criteria_ensure(call=app.call)
    login_with_mfa(client, user)
    post = {f"score_{criteria[0].pk}": data.pop("score_1", ""), f"score_{criteria[1].pk}": data.pop("score_2", "")}
    response = client.post(
        reverse("admin:awards_applicationtoreview_change", args=[app.pk]), {**data, **post, button: "1"}
    )
    _no_500(response)
    review = Review.objects.filter(assignment=assignment).first()
    if response.status_code != 302:
        assert review is None
    else:
        assert review.submitted_at is None  # two of four criteria at most: never complete
        assert all(s in (1, 2, 3, 4, 5) for s in review.scores.values_list("score", flat=True))


@FUZZ
@given(data=form_data("reason"))
def test_conflict_form(client, data):
    app = submitted(full=False)
    user = reviewer()
    assignment = assign(app, user)
    login_with_mfa(client, user)
    response = client.post(reverse("admin:awards_applicationtoreview_conflict", args=[app.pk]), data)
    _no_500(response)
    assignment.refresh_from_db()
    declared = assignment.conflict_declared_at is not None
    assert declared == (response.status_code == 302)
    assert ApplicationEvent.objects.filter(application=app, kind="conflict").exists() == declared


@FUZZ
@given(data=form_data("reviewers", "per_application"), step=st.sampled_from(["preview", "confirm", "other"]))
def test_assign_reviewers_form(client, staff_user, data, step):
    app = submitted(full=False)
    login_with_mfa(client, staff_user)
    post = {**data, "action": "assign_reviewers", "_selected_action": [app.pk], "_assign_step": step}
    response = client.post(reverse("admin:awards_application_changelist"), post)
    _no_500(response)
    if response.status_code != 302:
        assert not ReviewerAssignment.objects.filter(application=app).exists()
