"""The hubs app's part in a person's data rights: hub follows and the network (requests, blocks, reports).

Reached by `crossector.core.privacy` through its APP_PROVIDERS list; docs/privacy.md explains the choices.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from crossector.core.models import User
from crossector.core.privacy import Held, Summary, emails_about_erase
from crossector.core.retention import retention_cutoff, retention_period

from .models import AbuseReport, Block, ConnectionRequest, HubFollow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _person(user: User, *, show_email: bool) -> dict:
    """Another member as the person was allowed to see them: their name, and their email only when connected."""
    profile = getattr(user, "profile", None)
    shown = {"name": (profile.full_name if profile else "") or "A member"}
    if show_email:
        shown["email"] = user.email
    return shown


def export_for(user: User) -> dict:
    """Hub follows, and the network: requests sent and received, blocks and reports the person made.

    Four queries whatever the numbers. The other person in a request shows as the directory shows them:
    their name, plus their email only while the two are connected (accepted and neither has blocked the other).
    """
    follows = HubFollow.objects.filter(user=user).select_related("hub").order_by("created_at")
    requests = list(
        ConnectionRequest.objects.filter(Q(sender=user) | Q(recipient=user))
        .select_related("sender__profile", "recipient__profile")
        .order_by("created_at", "pk")
    )
    blocks = list(
        Block.objects.filter(Q(blocker=user) | Q(blocked=user))
        .select_related("blocked__profile")
        .order_by("created_at")
    )
    blocked_pairs = {b.blocked_id if b.blocker_id == user.pk else b.blocker_id for b in blocks}
    reports = AbuseReport.objects.filter(reporter=user).select_related("reported__profile").order_by("created_at")

    def request_row(r: ConnectionRequest) -> dict:
        sent = r.sender_id == user.pk
        other = r.recipient if sent else r.sender
        connected = r.status == ConnectionRequest.Status.ACCEPTED and other.pk not in blocked_pairs
        return {
            "direction": "sent" if sent else "received",
            "other_person": _person(other, show_email=connected),
            "message": r.message,
            "status": r.get_status_display(),
            "created_at": _iso(r.created_at),
            "responded_at": _iso(r.responded_at),
        }

    return {
        "hub_follows": [{"hub": f.hub.name, "followed_at": _iso(f.created_at)} for f in follows],
        "network": {
            "connection_requests": [request_row(r) for r in requests],
            "blocks_you_made": [
                {"person": _person(b.blocked, show_email=False), "created_at": _iso(b.created_at)}
                for b in blocks
                if b.blocker_id == user.pk
            ],
            "reports_you_made": [
                {
                    "about": _person(r.reported, show_email=False),
                    "reason": r.reason,
                    "status": r.get_status_display(),
                    "created_at": _iso(r.created_at),
                    "handled_at": _iso(r.handled_at),
                }
                for r in reports
            ],
        },
    }


def held() -> list[Held]:
    """What deletion erases and keeps of the network, and what the download leaves out (see `Held`)."""
    return [
        Held(
            Held.ERASED,
            "The hubs you follow and your network",
            "your entry in the people directory, your connection requests and connections, the people you "
            "blocked and the reports you made, with the text of the emails they caused.",
            (),
        ),
        Held(
            Held.KEPT,
            "Reports other members made about you, with our staff's notes on them",
            f"kept for {retention_period('abuse_reports')} after our staff have dealt with them, so that they can "
            "keep the network safe; your email address is removed from them, and the emails about them are deleted.",
            (),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "Whether someone has blocked you, and reports other members made about you",
            "they are those members' information. You can ask us about them by email.",
            (),
        ),
    ]


def erasure_preview(user: User) -> Summary:
    """Nothing here applies to one person alone: `held` says it for everyone."""
    return Summary()


def erase_for(user: User, *, now: datetime) -> Summary:
    """Delete the person's follows, requests (either way), blocks (either way) and the reports they made.

    Reports others made about them are kept for RETENTION_ABUSE_REPORT_MONTHS after handling: they are
    the reporter's record, and staff need them to keep the network safe. The text of the emails that told
    staff about any report made by or about the person is deleted (it names the person).
    """
    summary = erasure_preview(user)
    HubFollow.objects.filter(user=user).delete()
    requests = ConnectionRequest.objects.filter(Q(sender=user) | Q(recipient=user))
    reports = AbuseReport.objects.filter(reporter=user)
    request_ids = list(requests.values_list("pk", flat=True))
    report_ids = list(reports.values_list("pk", flat=True))
    # Reports about the person stay (with staff), but the emails that told staff about them name the person
    # and are not needed to deal with the report: their text goes too.
    report_ids += list(AbuseReport.objects.filter(reported=user).values_list("pk", flat=True))
    # The emails these caused went to the other person or to staff, and name this person.
    emails_about_erase(
        keys=[f"network-request-{pk}-{what}" for pk in request_ids for what in ("received", "accepted")],
        key_prefixes=[f"network-abuse-report-{pk}-" for pk in report_ids],
    )
    requests.delete()
    reports.delete()
    Block.objects.filter(Q(blocker=user) | Q(blocked=user)).delete()
    return summary


def event_digests_erase(*, event_ids: list[int]) -> int:
    """ "People to meet" digests for these events went to other attendees and may name the person who is
    being erased: their text and subject are removed (cancelled if unsent). A digest does not record whom
    it suggested, so every digest for the person's events goes; the record that it was sent stays."""
    from .network.services import digest_key_prefix

    return emails_about_erase(key_prefixes=[digest_key_prefix(event_id) for event_id in event_ids])


def retention_sweep(*, now: datetime) -> dict[str, int]:
    """Handled abuse reports are deleted RETENTION_ABUSE_REPORT_MONTHS calendar months after staff handled
    them (the notice's "2 years", to the day)."""
    cutoff = retention_cutoff(now=now, period=retention_period("abuse_reports"))
    deleted, _ = AbuseReport.objects.filter(status=AbuseReport.Status.HANDLED, handled_at__lt=cutoff).delete()
    return {"abuse_reports_deleted": deleted}
