"""Review services: criteria, conflicts, assigning (one by one and evenly), declaring conflicts, reviews."""

from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from awards.models import Application, ApplicationEvent
from awards.review import services
from awards.review.conflicts import conflict_likely, organisations_match
from awards.review.models import DEFAULT_CRITERIA, Review, ReviewCriterion, ReviewerAssignment
from awards.review.permissions import REVIEWERS_GROUP, applications_reviewable_by
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory
from tests.awards.review_factories import assign, reviewer, submitted
from tests.factories import person

pytestmark = pytest.mark.django_db


# --- The group -------------------------------------------------------------------------------------------


def test_reviewers_group_exists_after_migrate_with_only_the_proxy_view_permission():
    group = Group.objects.get(name=REVIEWERS_GROUP)
    assert sorted(group.permissions.values_list("content_type__model", "codename")) == [
        ("applicationtoreview", "view_applicationtoreview")
    ]


def test_reviewer_holds_no_permission_on_applications():
    user = reviewer()
    assert user.has_perm("awards.view_applicationtoreview")
    assert not user.has_perm("awards.view_application")
    assert not user.has_perm("awards.change_application")


# --- Criteria --------------------------------------------------------------------------------------------


def test_criteria_ensure_adds_the_four_defaults_once():
    call = AwardCallFactory()
    first = services.criteria_ensure(call=call)
    again = services.criteria_ensure(call=call)
    assert [c.title for c in first] == [title for title, _ in DEFAULT_CRITERIA]
    assert [c.pk for c in again] == [c.pk for c in first]
    assert ReviewCriterion.objects.filter(call=call).count() == 4


def test_criteria_ensure_keeps_a_calls_own_criteria():
    call = AwardCallFactory()
    ReviewCriterion.objects.create(call=call, title="Patient benefit", order=1)
    assert [c.title for c in services.criteria_ensure(call=call)] == ["Patient benefit"]


# --- Likely conflicts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ("Helix Imaging Ltd", "helix imaging limited", True),
        ("The Helix Imaging Ltd.", "Helix Imaging", True),
        ("Barts Health NHS Trust", "Barts Health NHS Foundation Trust", True),
        ("Cardiff & Vale University Health Board", "Cardiff and Vale University Health Board", True),
        ("University of Edinburgh", "The University of Edinburgh Medical School", True),
        ("Edinburgh", "University of Edinburgh", False),
        ("University of Glasgow", "University of Edinburgh", False),
        ("", "University of Edinburgh", False),
    ],
)
def test_organisations_match(a, b, match):
    assert organisations_match(a, b) is match
    assert organisations_match(b, a) is match


def test_conflict_likely_with_the_employing_organisation():
    app = submitted(organisation="Cardiff and Vale University Health Board")
    user = reviewer(organisation="Cardiff & Vale University Health Board")
    assert "employing organisation" in conflict_likely(reviewer=user, application=app)


def test_conflict_likely_with_a_partner_organisation():
    app = submitted(partners=["Genomics England Limited"])
    user = reviewer(organisation="The Genomics England Ltd")
    reason = conflict_likely(reviewer=user, application=app)
    assert "partner organisation Genomics England Limited" in reason


def test_conflict_likely_when_the_reviewer_is_the_applicant():
    app = submitted()
    app.applicant.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    assert conflict_likely(reviewer=app.applicant, application=app) == "The reviewer is the applicant."


def test_no_conflict_for_an_unrelated_organisation_or_an_empty_one():
    app = submitted()
    assert conflict_likely(reviewer=reviewer(organisation="University of Dundee"), application=app) is None
    assert conflict_likely(reviewer=reviewer(organisation=""), application=app) is None


# --- Assigning -------------------------------------------------------------------------------------------


def test_assign_records_the_event_and_emails_the_reviewer_a_link_once(staff_user):
    app = submitted()
    user = reviewer()
    assignment = services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    assert assignment.assigned_by == staff_user
    event = ApplicationEvent.objects.get(application=app, kind=ApplicationEvent.Kind.ASSIGNED)
    assert event.actor == staff_user and event.data["reviewer"] == user.pk
    email = OutboundEmail.objects.get(to=user.email)
    assert f"/admin/awards/applicationtoreview/{app.pk}/change/" in email.body_text
    assert app.reference in email.subject
    # Taken off and put back: the assignment is new, the email is not sent again.
    services.reviewer_unassign(assignment=assignment, actor=staff_user)
    services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    assert OutboundEmail.objects.filter(to=user.email).count() == 1
    assert ReviewCriterion.objects.filter(call=app.call).count() == 4


def test_assign_refuses_a_duplicate(staff_user):
    app = submitted()
    user = reviewer()
    services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    with pytest.raises(services.ReviewError, match="already assigned"):
        services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    assert ReviewerAssignment.objects.filter(application=app).count() == 1


def test_assign_refuses_a_likely_conflict_unless_overridden_with_a_note(staff_user):
    app = submitted()  # partner Helix Imaging Ltd
    user = reviewer(organisation="Helix Imaging")
    with pytest.raises(services.ReviewError, match="Likely conflict"):
        services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    with pytest.raises(services.ReviewError, match="Say why"):
        services.reviewer_assign(application=app, reviewer=user, actor=staff_user, override=True)
    assert not ReviewerAssignment.objects.exists()
    services.reviewer_assign(
        application=app, reviewer=user, actor=staff_user, override=True, note="Different division, no contact."
    )
    event = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.ASSIGNED)
    assert event.note == "Different division, no contact." and "Helix" in event.data["flagged_conflict"]


def test_assign_refuses_the_applicant_someone_outside_the_group_and_a_draft(staff_user):
    app = submitted()
    app.applicant.is_staff = True
    app.applicant.save()
    app.applicant.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    with pytest.raises(services.ReviewError, match="is the applicant"):
        services.reviewer_assign(application=app, reviewer=app.applicant, actor=staff_user, override=True, note="x")
    with pytest.raises(services.ReviewError, match="not a reviewer"):
        services.reviewer_assign(application=app, reviewer=person(is_staff=True), actor=staff_user)
    draft = submitted(status=Application.Status.DRAFT)
    with pytest.raises(services.ReviewError, match="draft"):
        services.reviewer_assign(application=draft, reviewer=reviewer(), actor=staff_user)
    assert not ReviewerAssignment.objects.exists()


def test_unassign_records_the_event_but_refuses_once_a_review_is_submitted(staff_user):
    app = submitted()
    user = reviewer()
    assignment = services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    services.reviewer_unassign(assignment=assignment, actor=staff_user, note="Too busy")
    assert not ReviewerAssignment.objects.exists()
    event = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.UNASSIGNED)
    assert event.actor == staff_user and event.note == "Too busy"
    assignment = services.reviewer_assign(application=app, reviewer=user, actor=staff_user)
    _submit(assignment, user, [4, 4, 4, 4])
    with pytest.raises(services.ReviewError, match="stays on the record"):
        services.reviewer_unassign(assignment=assignment, actor=staff_user)


# --- Assigning evenly ------------------------------------------------------------------------------------


def test_assign_evenly_spreads_ten_applications_by_two_over_four_reviewers(staff_user):
    call = AwardCallFactory()
    apps = [submitted(call) for _ in range(10)]
    team = [reviewer(organisation=f"Institute {n}") for n in range(4)]
    result = services.reviewers_assign_evenly(applications=apps, reviewers=team, per_application=2, actor=staff_user)
    assert len(result.assigned) == 20 and result.not_assigned == []
    per_app = Counter(ReviewerAssignment.objects.values_list("application", flat=True))
    assert set(per_app.values()) == {2}
    loads = Counter(ReviewerAssignment.objects.values_list("reviewer", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1 and sum(loads.values()) == 20
    assert OutboundEmail.objects.count() == 20
    assert ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.ASSIGNED, actor=staff_user).count() == 20
    # Running it again adds nothing: every application already has two.
    again = services.reviewers_assign_evenly(applications=apps, reviewers=team, per_application=2, actor=staff_user)
    assert again.assigned == [] and ReviewerAssignment.objects.count() == 20


def test_assign_evenly_skips_likely_conflicts_and_says_when_it_falls_short(staff_user):
    call = AwardCallFactory()
    apps = [submitted(call) for _ in range(3)]  # every one has partner Helix Imaging Ltd
    conflicted = reviewer(organisation="Helix Imaging Limited")
    team = [reviewer(organisation="Institute A"), reviewer(organisation="Institute B"), conflicted]
    result = services.reviewers_assign_evenly(applications=apps, reviewers=team, per_application=3, actor=staff_user)
    assert not ReviewerAssignment.objects.filter(reviewer=conflicted).exists()
    assert len(result.flagged) == 3 and all(r == conflicted for _, r, _ in result.flagged)
    assert len(result.not_assigned) == 3 and "Only 2 more reviewers" in result.not_assigned[0][1]
    assert ReviewerAssignment.objects.count() == 6


def test_assign_evenly_counts_existing_reviewers_and_prefers_the_least_loaded(staff_user):
    call = AwardCallFactory()
    busy, free = reviewer(organisation="Institute A"), reviewer(organisation="Institute B")
    for _ in range(3):
        assign(submitted(call), busy)
    app = submitted(call)
    plan = services.reviewers_assign_plan(applications=[app], reviewers=[busy, free], per_application=1)
    assert plan.planned == [(app, free)]
    assign(app, busy)
    plan = services.reviewers_assign_plan(applications=[app], reviewers=[busy, free], per_application=1)
    assert plan.planned == []


def test_assign_evenly_does_not_pick_a_reviewer_who_declared_a_conflict(staff_user):
    app = submitted()
    first, second = reviewer(organisation="Institute A"), reviewer(organisation="Institute B")
    services.conflict_declare(assignment=assign(app, first), reason="Former colleague", actor=first)
    plan = services.reviewers_assign_plan(applications=[app], reviewers=[first, second], per_application=1)
    assert plan.planned == [(app, second)]


# --- Conflicts -------------------------------------------------------------------------------------------


def test_declaring_a_conflict_records_it_and_ends_access_at_once():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    assert applications_reviewable_by(user, Application.objects.all()).get() == app
    services.conflict_declare(assignment=assignment, reason="I supervised the applicant", actor=user)
    assignment.refresh_from_db()
    assert assignment.conflict_declared_at and assignment.conflict_reason == "I supervised the applicant"
    event = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.CONFLICT)
    assert event.actor == user and event.note == "I supervised the applicant"
    assert not applications_reviewable_by(user, Application.objects.all()).exists()
    # Declaring again changes nothing.
    services.conflict_declare(assignment=assignment, reason="again", actor=user)
    assert ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.CONFLICT).count() == 1


def test_declaring_a_conflict_needs_a_reason_and_the_reviewer_or_staff():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    with pytest.raises(services.ReviewError, match="why"):
        services.conflict_declare(assignment=assignment, reason="  ", actor=user)
    with pytest.raises(services.ReviewError, match="Only the reviewer"):
        services.conflict_declare(assignment=assignment, reason="x", actor=reviewer())
    assert ReviewerAssignment.objects.get().conflict_declared_at is None


# --- Reviews ---------------------------------------------------------------------------------------------


def _scores(app, values):
    criteria = services.criteria_ensure(call=app.call)
    return {c.pk: v for c, v in zip(criteria, values, strict=True)}


def _submit(assignment, user, values, recommendation="fund"):
    return services.review_save(
        assignment=assignment,
        actor=user,
        scores=_scores(assignment.application, values),
        recommendation=recommendation,
        comments="Good.",
        submit=True,
    )


def test_a_draft_may_be_partial_and_has_no_mean():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    review = services.review_save(
        assignment=assignment,
        actor=user,
        scores=_scores(app, [4, None, None, None]),
        recommendation="",
        comments="Half way",
        submit=False,
    )
    assert review.submitted_at is None and review.mean_score is None
    assert list(review.scores.values_list("score", flat=True)) == [4]
    assert not ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.REVIEW_SUBMITTED).exists()


def test_submitting_requires_every_score_and_a_recommendation():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    with pytest.raises(services.ReviewError) as missing:
        services.review_save(
            assignment=assignment,
            actor=user,
            scores=_scores(app, [4, 5, None, 3]),
            recommendation="",
            comments="",
            submit=True,
        )
    fields = [name for name, _ in missing.value.problems]
    assert len(fields) == 2 and fields[1] == "recommendation" and fields[0].startswith("score_")
    assert not Review.objects.filter(submitted_at__isnull=False).exists()


def test_submitting_stores_the_mean_and_records_the_event():
    app = submitted()
    user = reviewer()
    review = _submit(assign(app, user), user, [4, 5, 3, 3])
    assert review.submitted_at is not None and review.mean_score == Decimal("3.75")
    event = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.REVIEW_SUBMITTED)
    assert event.actor == user and event.data["mean_score"] == "3.75"


def test_changing_a_submitted_review_records_before_and_after_and_stays_complete():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    _submit(assignment, user, [4, 5, 3, 3])
    review = _submit(assignment, user, [5, 5, 5, 5], recommendation="fund_if_changed")
    assert review.mean_score == Decimal("5.00")
    change = ApplicationEvent.objects.get(kind=ApplicationEvent.Kind.REVIEW_CHANGED)
    assert change.data["before"]["mean_score"] == "3.75" and change.data["after"]["mean_score"] == "5.00"
    with pytest.raises(services.ReviewError, match="not complete"):
        services.review_save(
            assignment=assignment,
            actor=user,
            scores=_scores(app, [5, None, 5, 5]),
            recommendation="fund",
            comments="",
            submit=False,
        )
    assert Review.objects.get().mean_score == Decimal("5.00")


def test_only_the_assigned_reviewer_without_a_conflict_may_write_before_a_decision():
    app = submitted()
    user = reviewer()
    assignment = assign(app, user)
    with pytest.raises(services.ReviewError, match="Only the assigned reviewer"):
        _submit(assignment, reviewer(), [3, 3, 3, 3])
    Application.objects.filter(pk=app.pk).update(status=Application.Status.AWARDED)
    with pytest.raises(services.ReviewError, match="decision has been made"):
        _submit(assignment, user, [3, 3, 3, 3])
    Application.objects.filter(pk=app.pk).update(status=Application.Status.UNDER_REVIEW)
    services.conflict_declare(assignment=assignment, reason="Conflict", actor=user)
    with pytest.raises(services.ReviewError, match="conflict"):
        _submit(assignment, user, [3, 3, 3, 3])
    assert not Review.objects.exists()
