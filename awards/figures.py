"""Programme figures about award applications for the staff dashboard: read-only aggregates, one query each.

"Submitted" means the application was submitted (it has `submitted_at`) and has not been withdrawn since,
whatever its status now (eligible, under review, awarded ...). Definitions: docs/dashboard.md.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Func, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Application, AwardCall, CostLine, PartnerOrganisation

STATUS_CHOICES = list(Application.Status.choices)
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class CallFigures:
    call_id: int
    name: str
    submitted: int
    awarded: int
    amount_requested: Decimal
    amount_awarded: Decimal


def applications_count_by_call_and_status() -> dict[tuple[int, str], int]:
    """Applications of every status, drafts included, counted per (call id, status)."""
    rows = Application.objects.order_by().values_list("call_id", "status").annotate(n=Count("id"))
    return {(call_id, status): n for call_id, status, n in rows}


def calls_with_amounts() -> list[CallFigures]:
    """Every call, oldest deadline first, with its submitted and awarded counts and money.

    Amount requested: the sum of the cost lines of the call's submitted applications.
    Amount awarded: the sum of `awarded_amount` over its awarded applications.
    """
    requested = (
        CostLine.objects.filter(
            application__call_id=OuterRef("pk"),
            application__submitted_at__isnull=False,
        )
        .exclude(application__status=Application.Status.WITHDRAWN)
        .order_by()
        .annotate(total=Func(F("amount"), function="SUM", output_field=MONEY))
        .values("total")
    )
    awarded = Q(applications__status=Application.Status.AWARDED)
    calls = (
        AwardCall.objects.order_by("closes_at", "id")
        .annotate(
            submitted=Count(
                "applications",
                filter=Q(applications__submitted_at__isnull=False)
                & ~Q(applications__status=Application.Status.WITHDRAWN),
            ),
            awarded=Count("applications", filter=awarded),
            amount_awarded=Coalesce(Sum("applications__awarded_amount", filter=awarded), Value(0), output_field=MONEY),
            amount_requested=Coalesce(Subquery(requested, output_field=MONEY), Value(0), output_field=MONEY),
        )
        .values_list("pk", "name", "submitted", "awarded", "amount_requested", "amount_awarded")
    )
    return [CallFigures(*row) for row in calls]


def sector_pairs_count() -> dict[tuple[str, str], int]:
    """Submitted applications per (employing organisation's sector, partner organisation's sector).

    An application counts once in each cell its partners reach: two partners in the same sector count
    once, partners in two sectors count in two cells. Blank sectors are left out.
    """
    rows = (
        PartnerOrganisation.objects.filter(application__submitted_at__isnull=False)
        .exclude(application__status=Application.Status.WITHDRAWN)
        .exclude(sector="")
        .exclude(application__organisation_sector="")
        .order_by()
        .values_list("application__organisation_sector", "sector")
        .annotate(n=Count("application_id", distinct=True))
    )
    return {(employing, partner): n for employing, partner, n in rows}


def submissions_count() -> int:
    """Applications submitted and not withdrawn since, whatever their status now (the module docstring)."""
    return Application.objects.filter(submitted_at__isnull=False).exclude(status=Application.Status.WITHDRAWN).count()
