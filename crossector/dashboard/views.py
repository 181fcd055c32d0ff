"""The programme dashboard at /admin/dashboard/, behind the admin's two-factor gate.

The core imports no app models: it reads the apps through their `figures` selectors, imported here
inside the view (see the dependency rule in docs/architecture.md). Definitions: docs/dashboard.md.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from crossector.core.vocabulary import Sector

from .charts import bar_chart, heat_level, pounds

PERMISSION = "awards.view_application"
EVENT_LIMIT = 20


def _applications(calls, by_call_status, status_choices):
    status_totals = {status: 0 for status, _ in status_choices}
    for (_call, status), n in by_call_status.items():
        status_totals[status] = status_totals.get(status, 0) + n
    by_status = bar_chart(
        id="chart-status",
        title="Applications by status",
        description="Number of applications in each status, all calls together, drafts included.",
        series=["Applications"],
        rows=[(label, [status_totals.get(status, 0)]) for status, label in status_choices],
    )
    by_call = bar_chart(
        id="chart-calls",
        title="Submitted applications by call",
        description="Applications submitted to each call and not withdrawn, and how many were awarded.",
        series=["Submitted", "Awarded"],
        rows=[(call.name, [call.submitted, call.awarded]) for call in calls],
    )
    table = [
        (call.name, [by_call_status.get((call.call_id, status), 0) for status, _ in status_choices]) for call in calls
    ]
    return {"status_chart": by_status, "call_chart": by_call, "status_table": table}


def _matrix(pairs):
    sectors = list(Sector.choices)
    largest = max(pairs.values(), default=0)
    rows = []
    for employing, label in sectors:
        cells = [(pairs.get((employing, partner), 0)) for partner, _ in sectors]
        cells = [(n, heat_level(n, largest)) for n in cells]
        rows.append((label, cells, sum(n for n, _ in cells)))
    return {"sectors": sectors, "rows": rows, "total": sum(pairs.values())}


def dashboard(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    from awards import figures as award_figures
    from events import figures as event_figures
    from hubs import figures as hub_figures

    calls = award_figures.calls_with_amounts()
    by_call_status = award_figures.applications_count_by_call_and_status()
    events = event_figures.events_with_attendance(limit=EVENT_LIMIT)
    sectors = event_figures.attendee_sectors_count()
    hubs = hub_figures.hubs_with_followers()
    hub_connections = event_figures.hub_connections_count()
    for hub in hubs:
        hub.connections = hub_connections.get(hub.pk, 0)

    sector_rows = [(label, list(sectors.get(value, (0, 0)))) for value, label in Sector.choices]
    if sectors.get(""):
        sector_rows.append(("Not given", list(sectors[""])))
    context = {
        **admin.site.each_context(request),
        "title": "Programme dashboard",
        "calls": calls,
        **_applications(calls, by_call_status, award_figures.STATUS_CHOICES),
        "status_choices": award_figures.STATUS_CHOICES,
        "matrix": _matrix(award_figures.sector_pairs_count()),
        "money_chart": bar_chart(
            id="chart-money",
            title="Amounts requested and awarded per call",
            description="Pounds requested by the submitted applications of each call, and pounds awarded.",
            series=["Requested", "Awarded"],
            rows=[(c.name, [c.amount_requested, c.amount_awarded]) for c in calls],
            fmt=pounds,
        ),
        "events": events,
        "event_limit": EVENT_LIMIT,
        "attendance": event_figures.attendance_totals(),
        "attendance_chart": bar_chart(
            id="chart-attendance",
            title="Confirmed places and check-ins per event",
            description=f"For the {EVENT_LIMIT} latest events: confirmed bookings and people checked in.",
            series=["Confirmed", "Checked in"],
            rows=[(e.title, [e.confirmed, e.checked_in]) for e in events],
        ),
        "sector_rows": sector_rows,
        "sector_chart": bar_chart(
            id="chart-sectors",
            title="Attendees by sector",
            description="Confirmed bookings and check-ins across all events, by the sector people gave when booking.",
            series=["Confirmed", "Checked in"],
            rows=sector_rows,
        ),
        "hubs": hubs,
        "network": hub_figures.connections_total(),
        "hub_chart": bar_chart(
            id="chart-hubs",
            title="Followers and connections per hub",
            description="People following each hub, and accepted connections between two people of the hub.",
            series=["Followers", "Connections"],
            rows=[(h.name, [h.followers, h.connections]) for h in hubs],
        ),
        "event_connections_chart": bar_chart(
            id="chart-event-connections",
            title="Connections between attendees per event",
            description=f"For the {EVENT_LIMIT} latest events: accepted connections where both people hold a "
            "confirmed booking for the event.",
            series=["Connections"],
            rows=[(e.title, [e.connections]) for e in events],
        ),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
