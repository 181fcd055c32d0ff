"""Reads for the reviewers' admin and the panel list, each in a fixed number of queries.

What a reviewer sees of other reviews is decided here, once: nothing until their own review is submitted;
afterwards the other submitted reviews (scores, recommendation, comments) under "Reviewer 1", "Reviewer 2"
in assignment order, never the other reviewers' names. Programme staff see every review with its reviewer.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, QuerySet, Subquery

from crossector.core.access import Role

from .. import selectors as award_selectors
from ..access import application_for_role
from ..models import Application, AwardCall
from .models import Review, ReviewCriterion, ReviewerAssignment, ReviewScore
from .permissions import applications_reviewable_by, is_programme_staff
from .services import criteria_ensure


def reviewer_queue(*, user, queryset) -> QuerySet:
    """The reviewers' admin list: the applications `user` may open, each annotated with the state of the
    user's own review (`own_review_started`, `own_review_submitted_at`) and prefetched partners."""
    own = Review.objects.filter(assignment__application=OuterRef("pk"), assignment__reviewer=user)
    return (
        applications_reviewable_by(user, queryset)
        .select_related("call")
        .prefetch_related("partners")
        .annotate(
            own_review_started=Subquery(own.values("pk")[:1]),
            own_review_submitted_at=Subquery(own.values("submitted_at")[:1]),
        )
    )


@dataclass
class ShownReview:
    """A review as shown on the review page: `label` is "Reviewer 2" for reviewers, the name for staff."""

    label: str
    review: Review
    scores: dict[int, int]


@dataclass
class ReviewPage:
    application: Application
    criteria: list[ReviewCriterion]
    assignment: ReviewerAssignment | None  # the viewer's own, without a conflict
    review: Review | None
    own_scores: dict[int, int]
    others: list[ShownReview] = field(default_factory=list)
    others_hidden: int = 0  # submitted reviews by others the viewer cannot see yet
    criterion_means: dict[int, Decimal] = field(default_factory=dict)

    @property
    def submitted(self) -> bool:
        return self.review is not None and self.review.submitted_at is not None


def review_page(*, application_id: int, user) -> ReviewPage | None:
    """Everything the review page shows, or None when `user` may not open this application here."""
    if not applications_reviewable_by(user, Application.objects.filter(pk=application_id)).exists():
        return None
    staff = is_programme_staff(user)
    # What the page shows of the application is the access policy's field rule: a reviewer's copy has no
    # contact details (awards.access.FIELD_VISIBILITY).
    application = application_for_role(
        award_selectors.application_for_summary(application_id), Role.STAFF if staff else Role.REVIEWER
    )
    criteria = criteria_ensure(call=application.call)
    assignments = list(
        ReviewerAssignment.objects.filter(application=application, conflict_declared_at__isnull=True)
        .select_related("reviewer__profile")
        .order_by("assigned_at", "pk")
    )
    reviews = {
        r.assignment_id: r
        for r in Review.objects.filter(assignment__in=assignments).prefetch_related(
            Prefetch("scores", queryset=ReviewScore.objects.order_by())
        )
    }
    own = next((a for a in assignments if a.reviewer_id == user.pk), None)
    own_review = reviews.get(own.pk) if own else None
    page = ReviewPage(
        application=application,
        criteria=criteria,
        assignment=own,
        review=own_review,
        own_scores={s.criterion_id: s.score for s in own_review.scores.all()} if own_review else {},
    )
    for number, assignment in enumerate(assignments, start=1):
        review = reviews.get(assignment.pk)
        if assignment is own or review is None or review.submitted_at is None:
            continue
        if not (staff or page.submitted):
            page.others_hidden += 1
            continue
        label = (assignment.reviewer.get_full_name() or assignment.reviewer.email) if staff else f"Reviewer {number}"
        page.others.append(
            ShownReview(label=label, review=review, scores={s.criterion_id: s.score for s in review.scores.all()})
        )
    if staff or page.submitted:
        page.criterion_means = award_selectors.criterion_means([application.pk]).get(application.pk, {})
    return page


# --- The panel list ---------------------------------------------------------------------------------------


@dataclass
class PanelRow:
    application: Application
    rank: int | None
    tally: dict[str, int]
    criterion_means: dict[int, Decimal]


def panel_list(*, call: AwardCall) -> tuple[list[ReviewCriterion], list[PanelRow]]:
    """The call's submitted applications (not withdrawn) ranked by mean score, highest first; ties and
    unscored applications by submission time. Each row has the mean, spread, number of reviews,
    recommendations tally and per-criterion means. Six queries however many applications."""
    criteria = list(ReviewCriterion.objects.filter(call=call))
    applications = list(
        award_selectors.applications_for_staff(submitted_only=True)
        .filter(call=call, status__in=Application.SUBMITTED_STATUSES)
        .order_by(F("mean_score").desc(nulls_last=True), "submitted_at", "pk")
    )
    ids = [a.pk for a in applications]
    tallies: dict[int, dict[str, int]] = {}
    rows = (
        Review.objects.filter(
            assignment__application__in=ids, submitted_at__isnull=False, assignment__conflict_declared_at__isnull=True
        )
        .values("assignment__application", "recommendation")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        tallies.setdefault(row["assignment__application"], {})[row["recommendation"]] = row["n"]
    means = award_selectors.criterion_means(ids)
    ranked = []
    for position, application in enumerate(applications, start=1):
        tally = {value: tallies.get(application.pk, {}).get(value, 0) for value in Review.Recommendation.values}
        ranked.append(
            PanelRow(
                application=application,
                rank=position if application.mean_score is not None else None,
                tally=tally,
                criterion_means=means.get(application.pk, {}),
            )
        )
    return criteria, ranked
