"""Reads for the award pages, shaped so each page runs a fixed number of queries."""

from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from crossector.core.models import PriorityArea

from .models import (
    Application,
    AwardCall,
    CostLine,
    Document,
    PartnerOrganisation,
    Review,
    ReviewScore,
    SignatoryRequest,
)


def call_lists(*, now: datetime | None = None) -> dict[str, list[AwardCall]]:
    now = now or timezone.now()
    calls = list(AwardCall.objects.select_related("restricted_to_hub").order_by("closes_at"))
    return {
        "open_calls": [c for c in calls if c.state(now) == "open"],
        "upcoming_calls": [c for c in calls if c.state(now) == "upcoming"],
        "past_calls": sorted((c for c in calls if c.state(now) == "closed"), key=lambda c: c.closes_at, reverse=True),
    }


def call_detail(slug: str) -> AwardCall:
    return (
        AwardCall.objects.select_related("restricted_to_hub").prefetch_related("faqs", "priority_areas").get(slug=slug)
    )


def user_attended_hub(*, user, hub) -> bool:
    """Asks the events app; awards never reads its tables directly."""
    from events.selectors import user_attended_hub_event

    return user_attended_hub_event(user=user, hub=hub)


def call_can_apply(*, user, call: AwardCall, now: datetime | None = None) -> tuple[bool, str]:
    """May this person start an application to this call now? The reason explains a "no"."""
    now = now or timezone.now()
    state = call.state(now)
    if state == "upcoming":
        return False, "This call has not opened yet."
    if state == "closed":
        return False, "This call has closed."
    if call.restricted_to_hub_id and not user_attended_hub(user=user, hub=call.restricted_to_hub):
        return False, f"This call is only open to people who attended an event of the {call.restricted_to_hub.name}."
    return True, ""


def _application_queryset() -> QuerySet[Application]:
    return Application.objects.select_related("call", "applicant__profile").prefetch_related(
        "partners",
        "cost_lines",
        "priority_areas",
        Prefetch("documents", queryset=Document.objects.order_by("kind")),
        Prefetch("signatory_requests", queryset=SignatoryRequest.objects.order_by("-created_at")),
    )


def application_for_summary(pk: int) -> Application:
    return _application_queryset().get(pk=pk)


def application_for_user(*, call: AwardCall, user) -> Application | None:
    return _application_queryset().filter(call=call, applicant=user).first()


def applications_of(user) -> list[Application]:
    return list(Application.objects.filter(applicant=user).select_related("call").order_by("-created_at"))


def signatory_states(application: Application) -> dict[str, SignatoryRequest]:
    """The latest request for each letter kind (expects `signatory_requests` prefetched newest first)."""
    latest: dict[str, SignatoryRequest] = {}
    for request in application.signatory_requests.all():
        latest.setdefault(request.kind, request)
    return latest


# --- Staff: the admin list, the panel list and the exports ------------------------------------------------


def _reviews_counted():
    """Reviews that count towards an application's scores: submitted, by a reviewer who has not declared a
    conflict (a conflict declared after submitting withdraws the review from the figures)."""
    return Review.objects.filter(
        assignment__application=OuterRef("pk"),
        submitted_at__isnull=False,
        assignment__conflict_declared_at__isnull=True,
    )


def _review_figure(aggregate, output_field):
    reviews = _reviews_counted().order_by().values("assignment__application")
    return Subquery(reviews.annotate(figure=aggregate).values("figure")[:1], output_field=output_field)


def applications_for_staff(*, submitted_only: bool = False) -> QuerySet[Application]:
    """Applications as staff lists and exports show them, in a fixed number of queries however many rows.

    Each row is annotated with `amount_requested` (sum of its cost lines, 0 without any), `review_count`,
    `mean_score` (the mean of the submitted reviews' means), `score_spread` (highest minus lowest review
    mean); the call, applicant profile, partners and priority areas come with it.
    Reviews from a reviewer who declared a conflict do not count. Scores are None without reviews.
    """
    money = DecimalField(max_digits=11, decimal_places=2)
    score = DecimalField(max_digits=5, decimal_places=2)
    amounts = CostLine.objects.filter(application=OuterRef("pk")).order_by().values("application")
    queryset = Application.objects.all()
    if submitted_only:  # withdrawn after submitting still counts; drafts (withdrawn or not) do not
        queryset = queryset.filter(submitted_at__isnull=False)
    return (
        queryset.select_related("call", "applicant__profile")
        .prefetch_related(
            Prefetch("partners", queryset=PartnerOrganisation.objects.order_by("id")),
            Prefetch("priority_areas", queryset=PriorityArea.objects.order_by("name")),
        )
        .annotate(
            amount_requested=Coalesce(
                Subquery(amounts.annotate(total=Sum("amount")).values("total")[:1], output_field=money),
                Value(Decimal("0")),
                output_field=money,
            ),
            review_count=Coalesce(_review_figure(Count("pk"), IntegerField()), Value(0), output_field=IntegerField()),
            mean_score=_review_figure(Avg("mean_score"), score),
            score_spread=_review_figure(Max("mean_score") - Min("mean_score"), score),
        )
    )


def criterion_means(application_ids) -> dict[int, dict[int, Decimal]]:
    """Per application, the mean score on each criterion over the reviews that count: one query.

    Returns {application id: {criterion id: mean}}.
    """
    rows = (
        ReviewScore.objects.filter(
            review__assignment__application__in=application_ids,
            review__submitted_at__isnull=False,
            review__assignment__conflict_declared_at__isnull=True,
        )
        .order_by()
        .values("review__assignment__application", "criterion")
        .annotate(mean=Avg("score"))
    )
    means: dict[int, dict[int, Decimal]] = {}
    for row in rows:
        mean = Decimal(str(row["mean"])).quantize(Decimal("0.01"))  # Avg of integers comes back as a float
        means.setdefault(row["review__assignment__application"], {})[row["criterion"]] = mean
    return means
