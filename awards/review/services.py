"""Writes of the review: criteria, assigning and unassigning reviewers, conflicts, and the reviews themselves.

Every change writes an `ApplicationEvent` with its actor in the same transaction, so the application's
history in the admin shows who did what and when.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from crossector.core.access import Role
from crossector.core.services import email_queue_template

from ..access import application_for_role
from ..models import Application, ApplicationEvent, AwardCall
from .conflicts import conflict_likely
from .models import DEFAULT_CRITERIA, Review, ReviewCriterion, ReviewerAssignment, ReviewScore
from .permissions import can_be_assigned, is_programme_staff

Status = Application.Status
# Reviewers are assigned, and review, between submission and the decision.
REVIEWABLE_STATUSES = (Status.SUBMITTED, Status.ELIGIBLE, Status.UNDER_REVIEW, Status.SHORTLISTED)


class ReviewError(Exception):
    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


def _name(user) -> str:
    return user.get_full_name() or user.email


def _reviewer_data(reviewer, **extra) -> dict:
    """What the history keeps about the reviewer an event concerns (the name, in case the account goes)."""
    return {"reviewer": reviewer.pk, "reviewer_name": _name(reviewer), **extra}


def _event(*, application, kind, actor, note="", data=None, now=None) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        note=note.strip(),
        data=data or {},
        created_at=now or timezone.now(),
    )


# --- Criteria --------------------------------------------------------------------------------------------


def criteria_ensure(*, call: AwardCall) -> list[ReviewCriterion]:
    """A call without criteria gets the four default ones; a call with any keeps exactly what staff set.

    Safe to run concurrently: the (call, title) constraint makes a second run add nothing.
    """
    criteria = list(ReviewCriterion.objects.filter(call=call))
    if criteria:
        return criteria
    ReviewCriterion.objects.bulk_create(
        [
            ReviewCriterion(call=call, title=title, description=description, order=order)
            for order, (title, description) in enumerate(DEFAULT_CRITERIA, start=1)
        ],
        ignore_conflicts=True,
    )
    return list(ReviewCriterion.objects.filter(call=call))


# --- Assigning -------------------------------------------------------------------------------------------


def assignment_refusal(*, application: Application, reviewer, existing: ReviewerAssignment | None) -> str | None:
    """Why this reviewer cannot be put on this application at all (a likely conflict is not a refusal)."""
    allowed, reason = can_be_assigned(reviewer)
    if not allowed:
        return reason
    if application.status not in REVIEWABLE_STATUSES:
        return f"{application} is {application.get_status_display().lower()}, so it cannot be given reviewers."
    if reviewer.pk == application.applicant_id:
        return "The reviewer is the applicant."
    if existing is not None:
        if existing.has_conflict:
            return f"{_name(reviewer)} declared a conflict of interest on {application}."
        return f"{_name(reviewer)} is already assigned to {application}."
    return None


@transaction.atomic
def reviewer_assign(
    *,
    application: Application,
    reviewer,
    actor,
    override: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> ReviewerAssignment:
    """Put a reviewer on an application, record it, and email the reviewer a link to it (once).

    Refused: someone who is not a reviewer, an application not between submission and decision, the
    applicant, and a reviewer already on it (or who declared a conflict on it). A likely conflict
    (`conflict_likely`) is refused unless `override=True` with a note saying why; the flag and the note go
    into the history. The application row is locked so two staff assigning at once make one assignment.
    """
    now = now or timezone.now()
    application = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application.pk)
    existing = ReviewerAssignment.objects.filter(application=application, reviewer=reviewer).first()
    if refusal := assignment_refusal(application=application, reviewer=reviewer, existing=existing):
        raise ReviewError(refusal)
    flagged = conflict_likely(reviewer=reviewer, application=application)
    if flagged and not override:
        raise ReviewError(f"Likely conflict of interest: {flagged}")
    if flagged and not note.strip():
        raise ReviewError(f"Likely conflict of interest: {flagged} Say why you are assigning them anyway.")
    try:
        with transaction.atomic():
            assignment = ReviewerAssignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=actor, assigned_at=now
            )
    except IntegrityError:
        raise ReviewError(f"{_name(reviewer)} is already assigned to {application}.") from None
    criteria_ensure(call=application.call)  # the call's criteria exist (and show on the call) once review starts
    _event(
        application=application,
        kind=ApplicationEvent.Kind.ASSIGNED,
        actor=actor,
        note=note,
        data=_reviewer_data(reviewer, flagged_conflict=flagged or ""),
        now=now,
    )
    path = reverse("admin:awards_applicationtoreview_change", args=[application.pk])
    email_queue_template(
        to=reviewer.email,
        subject=f"An application to review: {application.reference}",
        template="awards/reviewer_assigned",
        context={
            "reviewer_name": _name(reviewer),
            "application": application_for_role(application, Role.REVIEWER),  # what a reviewer may see of it
            "review_url": f"{settings.SITE_URL}{path}",
        },
        idempotency_key=f"application-{application.pk}-reviewer-{reviewer.pk}-assigned",
        user=reviewer,
    )
    return assignment


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewerAssignment, actor, note: str = "", now: datetime | None = None) -> None:
    """Take a reviewer off an application, with their unsubmitted draft. A submitted review stays on the
    record: the reviewer declares a conflict instead, which keeps it but stops it counting."""
    assignment = (
        ReviewerAssignment.objects.select_for_update(of=("self",))
        .select_related("application", "reviewer")
        .get(pk=assignment.pk)
    )
    review = Review.objects.filter(assignment=assignment).first()
    if review is not None and review.submitted_at is not None:
        raise ReviewError(
            f"{_name(assignment.reviewer)} has submitted a review of {assignment.application}; it stays on the record."
        )
    _event(
        application=assignment.application,
        kind=ApplicationEvent.Kind.UNASSIGNED,
        actor=actor,
        note=note,
        data=_reviewer_data(assignment.reviewer),
        now=now,
    )
    assignment.delete()


@dataclass
class AssignmentPlan:
    """What "assign N reviewers" would do: pairs to assign, likely conflicts skipped, and shortfalls."""

    planned: list[tuple[Application, object]] = field(default_factory=list)
    flagged: list[tuple[Application, object, str]] = field(default_factory=list)
    short: list[tuple[Application, str]] = field(default_factory=list)
    unavailable: list[tuple[object, str]] = field(default_factory=list)  # reviewers who cannot be assigned
    loads: dict[int, int] = field(default_factory=dict)  # reviewer id -> assignments after the plan


@dataclass
class AssignmentResult:
    assigned: list[ReviewerAssignment] = field(default_factory=list)
    not_assigned: list[tuple[Application, str]] = field(default_factory=list)
    flagged: list[tuple[Application, object, str]] = field(default_factory=list)


def reviewer_loads(*, reviewers) -> dict[int, int]:
    """How many applications each reviewer has now: assignments without a conflict on applications not yet
    decided. One query."""
    ids = [r.pk for r in reviewers]
    rows = (
        ReviewerAssignment.objects.filter(
            reviewer__in=ids, conflict_declared_at__isnull=True, application__status__in=REVIEWABLE_STATUSES
        )
        .values("reviewer")
        .annotate(n=Count("pk"))
        .order_by()
    )
    loads = dict.fromkeys(ids, 0)
    loads.update({row["reviewer"]: row["n"] for row in rows})
    return loads


def reviewers_assign_plan(*, applications, reviewers, per_application: int) -> AssignmentPlan:
    """Plan giving each application `per_application` reviewers without a conflict, spreading the load.

    Reviewers already on an application (without a conflict) count towards its N; anyone already on it
    (or who declared a conflict on it) is not picked again; likely conflicts are skipped and listed; among
    the rest the reviewer with the fewest current assignments is picked first (ties: the order given), so
    from equal loads no two reviewers end more than one apart. Changes nothing.
    """
    if per_application < 1:
        raise ReviewError("Give each application at least one reviewer.")
    reviewers = list(reviewers)
    ids = [a.pk for a in applications]
    applications = list(
        Application.objects.filter(pk__in=ids).prefetch_related("partners").order_by("submitted_at", "pk")
    )
    existing: dict[int, list[ReviewerAssignment]] = {}
    for assignment in ReviewerAssignment.objects.filter(application__in=ids):
        existing.setdefault(assignment.application_id, []).append(assignment)
    plan = AssignmentPlan(loads=reviewer_loads(reviewers=reviewers))
    usable = []
    for reviewer in reviewers:
        allowed, reason = can_be_assigned(reviewer)
        if allowed:
            usable.append(reviewer)
        else:
            plan.unavailable.append((reviewer, reason))
    order = {r.pk: i for i, r in enumerate(usable)}
    for application in applications:
        if application.status not in REVIEWABLE_STATUSES:
            status = application.get_status_display().lower()
            plan.short.append((application, f"It is {status}, so it cannot be given reviewers."))
            continue
        taken = {a.reviewer_id for a in existing.get(application.pk, [])}
        need = per_application - sum(1 for a in existing.get(application.pk, []) if not a.has_conflict)
        if need <= 0:
            continue
        candidates = []
        for reviewer in usable:
            if reviewer.pk in taken:
                continue
            if flagged := conflict_likely(reviewer=reviewer, application=application):
                plan.flagged.append((application, reviewer, flagged))
                continue
            candidates.append(reviewer)
        candidates.sort(key=lambda r: (plan.loads[r.pk], order[r.pk]))
        for reviewer in candidates[:need]:
            plan.planned.append((application, reviewer))
            plan.loads[reviewer.pk] += 1
        if len(candidates) < need:
            plan.short.append(
                (
                    application,
                    f"Only {len(candidates)} more reviewer{'s' if len(candidates) != 1 else ''} "
                    f"without a conflict could be found; {need} were needed.",
                )
            )
    return plan


def reviewers_assign_evenly(
    *, applications, reviewers, per_application: int, actor, now: datetime | None = None
) -> AssignmentResult:
    """Carry out `reviewers_assign_plan`: each pair through `reviewer_assign` (its own transaction, its own
    email), so one refusal stops no other. Returns what was assigned, what could not be, and the likely
    conflicts that were skipped. Running it twice assigns nothing more once every application has N."""
    plan = reviewers_assign_plan(applications=applications, reviewers=reviewers, per_application=per_application)
    result = AssignmentResult(flagged=plan.flagged, not_assigned=list(plan.short))
    result.not_assigned += [(None, reason) for _reviewer, reason in plan.unavailable]
    for application, reviewer in plan.planned:
        try:
            result.assigned.append(reviewer_assign(application=application, reviewer=reviewer, actor=actor, now=now))
        except ReviewError as exc:
            result.not_assigned.append((application, exc.message))
    return result


# --- Conflicts -------------------------------------------------------------------------------------------


@transaction.atomic
def conflict_declare(
    *, assignment: ReviewerAssignment, reason: str, actor, now: datetime | None = None
) -> ReviewerAssignment:
    """The reviewer (or staff for them) declares a conflict of interest: access ends with this commit.

    The assignment is kept with the time and reason, so the reviewer is never assigned again and the
    record shows why; a review they had submitted stops counting towards the scores. Declaring twice
    changes nothing the second time.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ReviewError("Say briefly why you have a conflict of interest.", [("reason", "Enter a reason")])
    assignment = (
        ReviewerAssignment.objects.select_for_update(of=("self",))
        .select_related("application", "reviewer")
        .get(pk=assignment.pk)
    )
    if actor.pk != assignment.reviewer_id and not is_programme_staff(actor):
        raise ReviewError("Only the reviewer or programme staff can declare this conflict.")
    if assignment.has_conflict:
        return assignment
    assignment.conflict_declared_at = now
    assignment.conflict_reason = reason
    assignment.save(update_fields=["conflict_declared_at", "conflict_reason"])
    _event(
        application=assignment.application,
        kind=ApplicationEvent.Kind.CONFLICT,
        actor=actor,
        note=reason,
        data=_reviewer_data(assignment.reviewer),
        now=now,
    )
    return assignment


# --- Reviews ---------------------------------------------------------------------------------------------


def review_problems(*, criteria, scores: dict[int, int | None], recommendation: str) -> list[tuple[str, str]]:
    """What stops a review being submitted: a score from 1 to 5 on every criterion, and a recommendation.

    Returns (field name, message) pairs; field names match `ReviewForm`.
    """
    problems = []
    for criterion in criteria:
        if scores.get(criterion.pk) not in (1, 2, 3, 4, 5):
            problems.append((f"score_{criterion.pk}", "Choose a score from 1 to 5"))
    if recommendation not in Review.Recommendation.values:
        problems.append(("recommendation", "Choose your recommendation"))
    return problems


def _mean(values) -> Decimal:
    values = list(values)
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _snapshot(review: Review, scores: dict[int, int]) -> dict:
    return {
        "scores": {str(k): v for k, v in sorted(scores.items())},
        "recommendation": review.recommendation,
        "comments": review.comments,
        "mean_score": str(review.mean_score) if review.mean_score is not None else None,
    }


@transaction.atomic
def review_save(
    *,
    assignment: ReviewerAssignment,
    actor,
    scores: dict[int, int | None],
    recommendation: str,
    comments: str,
    submit: bool,
    now: datetime | None = None,
) -> Review:
    """Save the reviewer's own review as a draft, or submit it.

    Only the assigned reviewer, without a declared conflict, while the application is between submission
    and decision. Submitting needs every criterion of the call scored 1–5 and a recommendation
    (`review_problems`) and stores the mean of the scores. A submitted review stays submitted: saving it
    again must still be complete, and each change is recorded with what it was before.
    """
    now = now or timezone.now()
    assignment = (
        ReviewerAssignment.objects.select_for_update(of=("self",))
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    application = assignment.application
    if actor.pk != assignment.reviewer_id:
        raise ReviewError("Only the assigned reviewer can write this review.")
    if assignment.has_conflict:
        raise ReviewError("You declared a conflict of interest on this application.")
    if application.status not in REVIEWABLE_STATUSES:
        raise ReviewError(f"A decision has been made on {application}; reviews can no longer be changed.")
    criteria = criteria_ensure(call=application.call)
    wanted = {c.pk: scores.get(c.pk) for c in criteria}
    if any(v is not None and v not in (1, 2, 3, 4, 5) for v in wanted.values()):
        raise ReviewError("Scores are whole numbers from 1 to 5.")
    if recommendation and recommendation not in Review.Recommendation.values:
        raise ReviewError("Choose one of the recommendations.")
    review, _ = Review.objects.get_or_create(assignment=assignment)
    was_submitted = review.submitted_at is not None
    before = _snapshot(review, dict(review.scores.values_list("criterion_id", "score")))
    problems = review_problems(criteria=criteria, scores=wanted, recommendation=recommendation)
    if (submit or was_submitted) and problems:
        raise ReviewError("Your review is not complete yet.", problems)
    ReviewScore.objects.filter(review=review).exclude(
        criterion__in=[pk for pk, v in wanted.items() if v is not None]
    ).delete()
    for criterion_id, value in wanted.items():
        if value is not None:
            ReviewScore.objects.update_or_create(review=review, criterion_id=criterion_id, defaults={"score": value})
    review.recommendation = recommendation or ""
    review.comments = comments.strip()
    given = [v for v in wanted.values() if v is not None]
    review.mean_score = _mean(given) if (submit or was_submitted) and given else None
    if submit and not was_submitted:
        review.submitted_at = now
    review.save()
    after = _snapshot(review, {k: v for k, v in wanted.items() if v is not None})
    if submit and not was_submitted:
        _event(
            application=application,
            kind=ApplicationEvent.Kind.REVIEW_SUBMITTED,
            actor=actor,
            data={"review": review.pk, "mean_score": after["mean_score"], "recommendation": review.recommendation},
            now=now,
        )
    elif was_submitted and before != after:
        _event(
            application=application,
            kind=ApplicationEvent.Kind.REVIEW_CHANGED,
            actor=actor,
            data={"review": review.pk, "before": before, "after": after},
            now=now,
        )
    return review
