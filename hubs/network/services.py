"""Writes for the network: connection requests, blocks, abuse reports and the matchmaking digest."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crossector.core.models import Profile, User
from crossector.core.services import email_queue_template

from . import selectors
from .models import AbuseReport, Block, ConnectionRequest


class NetworkError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _name(user: User) -> str:
    return user.get_full_name()


def _request_path(request: ConnectionRequest) -> str:
    return reverse("network:request_detail", kwargs={"request_id": request.pk})


# --- Connection requests ----------------------------------------------------------------------


def connection_request_create(
    *, sender: User, recipient: User, message: str, now: datetime | None = None
) -> ConnectionRequest:
    """Ask someone in the directory to connect, and email them a link to reply.

    Refused when: the recipient is not in the directory (or either has blocked the other); they are
    already connected; a request between the two is already waiting, whichever of them sent it; or
    the sender has reached NETWORK_DAILY_REQUEST_CAP requests in the last 24 hours (withdrawn ones
    count, so sending and withdrawing cannot get round the cap).

    Both people's user rows are locked, lowest id first: two requests from one sender sent at once
    cannot both slip under the cap, and two people asking each other at once take turns (the second
    then sees the first's request) instead of deadlocking on the one-pending-per-pair index.
    """
    now = now or timezone.now()
    message = message.strip()
    if sender.pk == recipient.pk:
        raise NetworkError("You cannot send a connection request to yourself.", code="self")
    with transaction.atomic():
        _lock_people(sender, recipient)
        try:
            selectors.directory_person_get(viewer=sender, user_id=recipient.pk)
        except Profile.DoesNotExist:
            raise NetworkError("This person is not in the directory.", code="unavailable") from None
        existing = selectors.connection_between(a=sender, b=recipient)
        if existing and existing.status == ConnectionRequest.Status.ACCEPTED:
            raise NetworkError(f"You are already connected with {_name(recipient)}.", code="connected")
        if existing and existing.sender_id == sender.pk:
            raise NetworkError(
                f"You have already sent {_name(recipient)} a request. Please wait for their reply.", code="pending"
            )
        if existing:
            raise NetworkError(
                f"{_name(recipient)} has already asked to connect with you: you can accept their "
                "request from your connections page.",
                code="pending_reverse",
            )
        cap = settings.NETWORK_DAILY_REQUEST_CAP
        sent_today = ConnectionRequest.objects.filter(sender=sender, created_at__gt=now - timedelta(days=1)).count()
        if sent_today >= cap:
            raise NetworkError(
                f"You have sent {cap} connection requests in the last 24 hours, which is the most we allow. "
                "This keeps the directory free of spam. You can send more tomorrow.",
                code="daily_cap",
            )
        try:
            with transaction.atomic():
                request = ConnectionRequest.objects.create(
                    sender=sender, recipient=recipient, message=message, created_at=now
                )
        except IntegrityError:  # the other person asked at the same moment
            raise NetworkError(
                f"A request between you and {_name(recipient)} is already waiting for a reply.", code="pending"
            ) from None
        sender_profile = sender.profile
        email_queue_template(
            to=recipient.email,
            user=recipient,
            subject=f"{_name(sender)} would like to connect with you",
            template="network/request_received",
            context={
                "name": _name(recipient),
                "sender_name": _name(sender),
                "sender_sector": sender_profile.get_sector_display(),
                "sender_organisation": sender_profile.organisation
                if sender_profile.directory_show_organisation and sender_profile.directory_listed
                else "",
                "message": request.message,
                "request_path": _request_path(request),
            },
            idempotency_key=f"network-request-{request.pk}-received",
        )
    return request


def _lock_people(*people: User) -> None:
    """Lock the people's user rows, lowest id first, until the transaction ends."""
    list(User.objects.select_for_update().filter(pk__in=[p.pk for p in people]).order_by("pk").values("pk"))


def _locked(request: ConnectionRequest) -> ConnectionRequest:
    return ConnectionRequest.objects.select_for_update().get(pk=request.pk)


# A reply that finds the request already answered the same way by the same person is a repeat (a double-click,
# two tabs): it changes nothing and returns the request, so the person sees what happened rather than an error.


def connection_request_accept(*, request: ConnectionRequest, user: User, now: datetime | None = None):
    """The recipient accepts a waiting request; from now on both see each other's email address."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.recipient_id != user.pk:
            raise NetworkError("Only the person who received this request can accept it.", code="not_recipient")
        if request.status == ConnectionRequest.Status.ACCEPTED and not selectors.is_blocked_between(
            a=request.sender, b=request.recipient
        ):
            return request
        if request.status != ConnectionRequest.Status.PENDING:
            raise NetworkError("This request has already been answered or withdrawn.", code="not_pending")
        if selectors.is_blocked_between(a=request.sender, b=request.recipient):
            raise NetworkError("This request can no longer be accepted.", code="blocked")
        request.status = ConnectionRequest.Status.ACCEPTED
        request.responded_at = now
        request.save(update_fields=["status", "responded_at"])
        email_queue_template(
            to=request.sender.email,
            user=request.sender,
            subject=f"{_name(user)} accepted your connection request",
            template="network/request_accepted",
            context={
                "name": _name(request.sender),
                "recipient_name": _name(user),
                "recipient_email": user.email,
                "request_path": _request_path(request),
            },
            idempotency_key=f"network-request-{request.pk}-accepted",
        )
    return request


def connection_request_decline(*, request: ConnectionRequest, user: User, now: datetime | None = None):
    """The recipient says no. The sender is not emailed; their connections page shows the answer."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.recipient_id != user.pk:
            raise NetworkError("Only the person who received this request can decline it.", code="not_recipient")
        if request.status == ConnectionRequest.Status.DECLINED:
            return request
        if request.status != ConnectionRequest.Status.PENDING:
            raise NetworkError("This request has already been answered or withdrawn.", code="not_pending")
        request.status = ConnectionRequest.Status.DECLINED
        request.responded_at = now
        request.save(update_fields=["status", "responded_at"])
    return request


def connection_request_withdraw(*, request: ConnectionRequest, user: User, now: datetime | None = None):
    """The sender takes back a request that is still waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        if request.sender_id != user.pk:
            raise NetworkError("Only the person who sent this request can withdraw it.", code="not_sender")
        if request.status == ConnectionRequest.Status.WITHDRAWN:
            return request
        if request.status != ConnectionRequest.Status.PENDING:
            raise NetworkError("This request has already been answered, so it cannot be withdrawn.", code="not_pending")
        request.status = ConnectionRequest.Status.WITHDRAWN
        request.responded_at = now
        request.save(update_fields=["status", "responded_at"])
    return request


# --- Blocks and abuse reports -----------------------------------------------------------------


def block_create(*, blocker: User, blocked: User, now: datetime | None = None) -> Block:
    """Block someone: any waiting request between the two is closed, and each disappears from the other's view.

    An accepted connection stays on record but is hidden (and its email addresses with it) while the
    block lasts; unblocking brings it back.
    """
    now = now or timezone.now()
    if blocker.pk == blocked.pk:
        raise NetworkError("You cannot block yourself.", code="self")
    with transaction.atomic():
        block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked, defaults={"created_at": now})
        pending = ConnectionRequest.objects.select_for_update().filter(status=ConnectionRequest.Status.PENDING)
        pending.filter(sender=blocker, recipient=blocked).update(
            status=ConnectionRequest.Status.WITHDRAWN, responded_at=now
        )
        pending.filter(sender=blocked, recipient=blocker).update(
            status=ConnectionRequest.Status.DECLINED, responded_at=now
        )
    return block


def block_remove(*, blocker: User, blocked: User) -> bool:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)


# How long the same report (same person, same words, still open) counts as a repeat rather than a new report.
REPORT_REPEAT_WINDOW = timedelta(minutes=30)


def abuse_report_create(
    *,
    reporter: User,
    reported: User,
    reason: str,
    connection_request: ConnectionRequest | None = None,
    now: datetime | None = None,
) -> AbuseReport:
    """Tell staff about someone: the report waits in the admin (open ones first) and staff are emailed at once.

    The email goes to NETWORK_ABUSE_REPORT_EMAILS, or to every active superuser when that is empty; it
    links to the report in the admin and repeats the reason, since staff must act on it. Each report emails
    staff, so one person may send NETWORK_DAILY_REPORT_CAP in any 24 hours (their user row is locked while
    counting, so reports sent at once cannot all slip under it). Sending the same open report again within
    `REPORT_REPEAT_WINDOW` returns the first one and emails nobody (a double click is not a second report).
    """
    now = now or timezone.now()
    if reporter.pk == reported.pk:
        raise NetworkError("You cannot report yourself.", code="self")
    with transaction.atomic():
        _lock_people(reporter)
        # A repeat (a double click, a resent form) finds the report it repeats and sends staff nothing more.
        # The reporter's row lock above makes simultaneous repeats wait for the first and find it here.
        repeat = AbuseReport.objects.filter(
            reporter=reporter,
            reported=reported,
            reason=reason.strip(),
            status=AbuseReport.Status.OPEN,
            created_at__gt=now - REPORT_REPEAT_WINDOW,
        ).first()
        if repeat is not None:
            return repeat
        cap = settings.NETWORK_DAILY_REPORT_CAP
        if AbuseReport.objects.filter(reporter=reporter, created_at__gt=now - timedelta(days=1)).count() >= cap:
            raise NetworkError(
                f"You have sent {cap} reports in the last 24 hours, which is the most we allow. Staff are reading "
                "them. If someone is bothering you, block them now; you can send another report tomorrow.",
                code="daily_report_cap",
            )
        report = AbuseReport.objects.create(
            created_at=now,
            reporter=reporter,
            reported=reported,
            reason=reason.strip(),
            connection_request=connection_request,
        )
        recipients = list(settings.NETWORK_ABUSE_REPORT_EMAILS) or list(
            User.objects.filter(is_superuser=True, is_active=True).order_by("pk").values_list("email", flat=True)
        )
        for to in recipients:
            email_queue_template(
                to=to,
                subject="A person in the network has been reported",
                template="network/abuse_reported",
                context={
                    "reporter_name": _name(reporter),
                    "reported_name": _name(reported),
                    "reason": report.reason,
                    "admin_path": reverse("admin:hubs_abusereport_change", args=[report.pk]),
                },
                idempotency_key=f"network-abuse-report-{report.pk}-{to}",
            )
    return report


def abuse_reports_mark_handled(*, reports, by: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return reports.filter(status=AbuseReport.Status.OPEN).update(
        status=AbuseReport.Status.HANDLED, handled_at=now, handled_by=by
    )


# --- Matchmaking digest -----------------------------------------------------------------------

DIGEST_MATCHES = 5


def digest_key_prefix(event_id: int) -> str:
    """Every digest for one event has an outbox key starting with this (hubs.privacy erases them by it)."""
    return f"network-digest-event-{event_id}-user-"


def _digest_key(event, user_id: int) -> str:
    return f"{digest_key_prefix(event.pk)}{user_id}"


def matchmaking_digests_send(*, now: datetime | None = None) -> int:
    """Email each consenting confirmed attendee their top matches, NETWORK_DIGEST_DAYS_BEFORE days ahead.

    Runs from an hourly beat task. Once per event per attendee: the outbox key names the event and the
    person, and people who already have one are skipped before any ranking is done. Someone who books
    after the first sweep still gets theirs on a later sweep, as long as the event has not started.
    Only attendees who agreed to appear on the attendee list get a digest or appear in one.
    """
    from crossector.core.models import OutboundEmail

    now = now or timezone.now()
    Event = selectors._event_model()
    events = Event.objects.filter(
        status=Event.Status.PUBLISHED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=settings.NETWORK_DIGEST_DAYS_BEFORE),
    )
    queued = 0
    for event in events:
        attendees = selectors.event_attendee_profiles(event=event)
        prefix = digest_key_prefix(event.pk)
        done = set(
            OutboundEmail.objects.filter(idempotency_key__startswith=prefix).values_list("idempotency_key", flat=True)
        )
        blocks = set(
            Block.objects.filter(Q(blocker_id__in=[p.user_id for p in attendees])).values_list(
                "blocker_id", "blocked_id"
            )
        )
        for profile in attendees:
            if _digest_key(event, profile.user_id) in done:
                continue
            others = [
                p
                for p in attendees
                if p.user_id != profile.user_id
                and (profile.user_id, p.user_id) not in blocks
                and (p.user_id, profile.user_id) not in blocks
            ]
            matches = selectors.people_to_meet(viewer_profile=profile, attendees=others, limit=DIGEST_MATCHES)
            if not matches:
                continue
            with transaction.atomic():
                email_queue_template(
                    to=profile.user.email,
                    user=profile.user,
                    subject=f"People to meet at {event.title}",
                    template="network/digest",
                    context={
                        "name": profile.full_name or profile.user.email,
                        "event": event,
                        "matches": matches,
                        "event_people_path": reverse("network:event_people", kwargs={"slug": event.slug}),
                    },
                    idempotency_key=_digest_key(event, profile.user_id),
                )
            queued += 1
    return queued
