"""Reads for the award pages, shaped so each page runs a fixed number of queries."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import Application, AwardCall, Document, SignatoryRequest


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
