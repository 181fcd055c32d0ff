"""The review workflow: which status an application may move to, who may move it, and what each move does.

`TRANSITIONS` is the one table. Staff pages, admin bulk actions and the applicant's "withdraw" all go through
`transition_check` and `application_transition`, so a move the table does not list cannot happen anywhere.
Submission (draft → submitted) is its own service, `services.application_submit`, because it has rules of its
own (deadline, completeness, reference number); it records its history entry the same way.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crossector.core.money import format_pounds

from . import outcomes
from .models import Application, ApplicationEvent

Status = Application.Status


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str  # the button staff press: "Mark eligible"
    by_staff: bool = True
    by_applicant: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.DRAFT, Status.WITHDRAWN, "Withdraw", by_staff=False, by_applicant=True),
    Transition(Status.SUBMITTED, Status.ELIGIBLE, "Mark eligible"),
    Transition(Status.SUBMITTED, Status.INELIGIBLE, "Mark ineligible"),
    Transition(Status.SUBMITTED, Status.WITHDRAWN, "Withdraw", by_applicant=True),
    Transition(Status.ELIGIBLE, Status.UNDER_REVIEW, "Send to review"),
    Transition(Status.ELIGIBLE, Status.INELIGIBLE, "Mark ineligible"),
    Transition(Status.ELIGIBLE, Status.WITHDRAWN, "Withdraw", by_applicant=True),
    Transition(Status.UNDER_REVIEW, Status.SHORTLISTED, "Shortlist"),
    Transition(Status.UNDER_REVIEW, Status.NOT_AWARDED, "Not awarded"),
    Transition(Status.UNDER_REVIEW, Status.WITHDRAWN, "Withdraw", by_applicant=True),
    Transition(Status.SHORTLISTED, Status.AWARDED, "Award"),
    Transition(Status.SHORTLISTED, Status.NOT_AWARDED, "Not awarded"),
    # The panel may send a shortlisted application back for more reviews before deciding.
    Transition(Status.SHORTLISTED, Status.UNDER_REVIEW, "Back to review"),
    Transition(Status.SHORTLISTED, Status.WITHDRAWN, "Withdraw", by_applicant=True),
)
TRANSITION_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

# The statuses whose arrival emails the applicant (see outcomes.py).
OUTCOMES = tuple(Application.DECIDED)

# Moves that end an application's chances. Staff pages show them apart from the moves forward, in a warning
# style, and each asks for confirmation on a page of its own before anything moves.
DESTRUCTIVE = (Status.WITHDRAWN, Status.INELIGIBLE, Status.NOT_AWARDED)
CONFIRM_FIRST = tuple(dict.fromkeys((*OUTCOMES, *DESTRUCTIVE)))

# What an applicant is told of each status on their own pages. Internal stages (eligible, under review,
# shortlisted) all read "Under review", so nobody learns of a shortlist before the decision email.
APPLICANT_STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Submitted",
    Status.ELIGIBLE: "Under review",
    Status.UNDER_REVIEW: "Under review",
    Status.SHORTLISTED: "Under review",
    Status.INELIGIBLE: "Not eligible",
    Status.AWARDED: "Awarded",
    Status.NOT_AWARDED: "Not awarded",
    Status.WITHDRAWN: "Withdrawn",
}


def applicant_status_label(status: str) -> str:
    return APPLICANT_STATUS_LABELS.get(status, "Submitted")


class TransitionError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionAlreadyMade(TransitionError):
    """The application is already in the status asked for: a repeat of a move that happened (a double-click,
    two staff at once). Callers answering a person show the application as it now is, not an error."""

    def __init__(self, message: str, application: Application):
        super().__init__(message)
        self.application = application


def _label(status: str) -> str:
    return Status(status).label.lower() if status in Status.values else repr(status)


def staff_may_move(user) -> bool:
    """Programme staff move applications when they may change them; reviewers (staff without it) may not."""
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("awards.change_application"))


def next_transitions(*, application: Application, actor) -> list[Transition]:
    """The moves this person may make from the application's current status, in table order."""
    return [
        t
        for t in TRANSITIONS
        if t.source == application.status
        and transition_check(application=application, to_status=t.target, actor=actor)[0]
    ]


def transition_check(*, application: Application, to_status: str, actor) -> tuple[bool, str]:
    """May `actor` move this application to `to_status` now? The reason names both statuses when not.

    The move must be in TRANSITIONS; the applicant may make the moves marked `by_applicant` on their own
    application (withdrawing), staff with `awards.change_application` the moves marked `by_staff`.
    A decided application (ineligible, awarded, not awarded) never moves again: the applicant has been told.
    """
    current = application.status
    if to_status not in Status.values:
        return False, f"{to_status!r} is not a status."
    if current == to_status:
        return False, f"This application is already {_label(current)}."
    transition = TRANSITION_BY_PAIR.get((current, to_status))
    if transition is None:
        if current in Application.DECIDED:
            return False, (
                f"A decision has been made ({_label(current)}), so this application cannot move to {_label(to_status)}."
            )
        if current == Status.WITHDRAWN:
            return False, f"This application was withdrawn, so it cannot move to {_label(to_status)}."
        return False, f"An application cannot move from {_label(current)} to {_label(to_status)}."
    is_applicant = actor is not None and application.applicant_id == actor.pk
    if transition.by_applicant and is_applicant:
        return True, ""
    if transition.by_staff and staff_may_move(actor):
        return True, ""
    if transition.by_applicant and not transition.by_staff:
        return False, f"Only the applicant can move an application from {_label(current)} to {_label(to_status)}."
    return False, f"Only programme staff can move an application from {_label(current)} to {_label(to_status)}."


def amount_requested(application: Application) -> Decimal:
    total = getattr(application, "amount_requested", None)
    if total is None:
        total = sum((line.amount for line in application.cost_lines.all() if line.amount is not None), Decimal("0"))
    return total


def award_amount_check(*, application: Application, amount: Decimal | None) -> tuple[bool, str]:
    """An award is from £0 to the call's maximum; `amount` None means the amount requested. The one rule the
    preview, the confirmation and a bulk award ask, so no page shows an email offering what cannot be paid."""
    amount = amount_requested(application) if amount is None else Decimal(amount)
    maximum = application.call.max_award
    if amount < 0 or amount > maximum:
        return False, (
            f"The amount awarded ({format_pounds(amount)}) must be between £0 and the call's maximum of "
            f"{format_pounds(maximum)}. Enter a lower amount."
        )
    return True, ""


@transaction.atomic
def application_transition(
    *,
    application: Application,
    to_status: str,
    actor,
    note: str = "",
    awarded_amount: Decimal | None = None,
    now: datetime | None = None,
) -> Application:
    """Move one application to `to_status` if the table allows it, recording who, when and why.

    The row is locked first, so two staff (or a double-click) cannot both move it: the second finds it
    already moved and gets TransitionAlreadyMade (a TransitionError) carrying the application. Awarding
    sets `awarded_amount` (default: the amount requested; at most the call's maximum). Reaching an outcome
    queues the outcome email once (key `application-<id>-outcome-<status>`); if the email cannot be rendered
    nothing moves. Raises TransitionError with a message for staff.
    """
    now = now or timezone.now()
    locked = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application.pk)
    allowed, reason = transition_check(application=locked, to_status=to_status, actor=actor)
    if not allowed and locked.status == to_status:
        raise TransitionAlreadyMade(f"{locked}: {reason}", locked)
    if not allowed:
        raise TransitionError(f"{locked}: {reason}")
    from_status = locked.status
    locked.status = to_status
    fields = ["status", "updated_at"]
    data = {}
    if to_status == Status.WITHDRAWN:
        locked.withdrawn_at = now
        fields.append("withdrawn_at")
    if to_status == Status.AWARDED:
        amount = amount_requested(locked) if awarded_amount is None else Decimal(awarded_amount)
        allowed, reason = award_amount_check(application=locked, amount=amount)
        if not allowed:
            raise TransitionError(f"{locked}: {reason}")
        locked.awarded_amount = amount
        fields.append("awarded_amount")
        data["awarded_amount"] = f"{amount:.2f}"
    locked.save(update_fields=fields)
    ApplicationEvent.objects.create(
        application=locked,
        kind=ApplicationEvent.Kind.STATUS,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
        data=data,
        created_at=now,
    )
    if to_status in OUTCOMES:
        try:
            outcomes.outcome_email_queue(application=locked, actor=actor, now=now)
        except outcomes.OutcomeTemplateError as exc:
            raise TransitionError(f"{locked}: the {_label(to_status)} email cannot be written: {exc.message}") from exc
    return locked


@dataclass
class BulkResult:
    """Which applications moved (or would move) and which were refused, each with the reason."""

    moved: list[Application] = field(default_factory=list)
    refused: list[tuple[Application, str]] = field(default_factory=list)


def applications_transition_plan(*, applications, to_status: str, actor) -> BulkResult:
    """What a bulk move would do, without doing it: for the confirmation page."""
    result = BulkResult()
    for application in applications:
        allowed, reason = transition_check(application=application, to_status=to_status, actor=actor)
        if allowed and to_status == Status.AWARDED:
            allowed, reason = award_amount_check(application=application, amount=None)
        if allowed:
            result.moved.append(application)
        else:
            result.refused.append((application, reason))
    return result


def applications_transition_bulk(
    *, applications, to_status: str, actor, note: str = "", now: datetime | None = None
) -> BulkResult:
    """Move each application on its own (locked, checked, recorded, emailed); one refusal stops no other.

    Returns the applications moved and those refused with the reason. Running it twice moves nothing the
    second time and queues no second email: every application is then already in `to_status`.
    """
    result = BulkResult()
    for application in applications:
        try:
            result.moved.append(
                application_transition(application=application, to_status=to_status, actor=actor, note=note, now=now)
            )
        except TransitionError as exc:
            result.refused.append((application, exc.message.removeprefix(f"{application}: ")))
    return result
