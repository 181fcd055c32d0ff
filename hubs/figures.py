"""Programme figures about hubs and the network for the staff dashboard: read-only aggregates.

Connections counted per hub and per event need bookings, so they live in the events app's figures module
(the hubs app never depends on the events app).
"""

from django.db.models import Count, Q

from .models import Hub
from .network.models import ConnectionRequest


def hubs_with_followers() -> list[Hub]:
    """Every hub, by name, annotated with `followers` (people following it now)."""
    return list(Hub.objects.order_by("name").annotate(followers=Count("follows")))


def connections_total() -> dict[str, int]:
    """Accepted connections and requests still waiting for a reply, across the whole portal."""
    return ConnectionRequest.objects.aggregate(
        accepted=Count("id", filter=Q(status=ConnectionRequest.Status.ACCEPTED)),
        pending=Count("id", filter=Q(status=ConnectionRequest.Status.PENDING)),
    )
