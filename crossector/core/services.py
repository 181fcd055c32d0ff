"""Writes of the shared core: profiles and the email outbox."""

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr, quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail, Profile, User
from .text import address_safe, header_safe

logger = logging.getLogger(__name__)


# --- Profiles ---------------------------------------------------------------------------------


def profile_get_or_create(*, user: User) -> Profile:
    """Every user has exactly one profile; it is created lazily the first time it is needed."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


# --- The outbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str

    def as_json(self) -> dict:
        raw = self.content.encode() if isinstance(self.content, str) else self.content
        return {"filename": self.filename, "mimetype": self.mimetype, "content_b64": base64.b64encode(raw).decode()}


def email_queue(
    *,
    to: str,
    subject: str,
    body_text: str,
    idempotency_key: str,
    body_html: str = "",
    user: User | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboundEmail:
    """Write an email to the outbox in the caller's transaction and send it once that commits.

    The idempotency key names the action that causes the email ("booking-42-confirmation"), so
    repeating the action never queues a second copy. A rolled-back transaction takes the row
    with it and nothing is sent.
    """
    email = OutboundEmail(
        idempotency_key=idempotency_key,
        to=to,
        user=user,
        # One line and within the column, whatever the caller built it from (a long event title).
        subject=header_safe(subject, max_length=OutboundEmail._meta.get_field("subject").max_length),
        body_text=body_text,
        body_html=body_html,
        attachments=[a.as_json() for a in attachments],
    )
    email.pk = _insert_unless_queued(email)
    if email.pk is None:
        return OutboundEmail.objects.get(idempotency_key=idempotency_key)
    email._state.adding = False
    _dispatch_on_commit(email.pk)
    return email


_INSERT_UNLESS_QUEUED = (
    "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"
)


def _insert_unless_queued(email: OutboundEmail) -> int | None:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id: the new row's id, or None when an
    email with this key is already queued. One round trip where `get_or_create` takes four (select,
    savepoint, insert, release) — it runs inside the booking's lock, where every round trip counts.
    A concurrent insert of the same key waits for the other transaction and then does nothing."""
    fields = [f for f in OutboundEmail._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = _INSERT_UNLESS_QUEUED.format(  # only the model's own table and column names; values are parameters
        table=quote(OutboundEmail._meta.db_table),
        columns=", ".join(quote(f.column) for f in fields),
        values=", ".join(["%s"] * len(fields)),
        key=quote(OutboundEmail._meta.get_field("idempotency_key").column),
        pk=quote(OutboundEmail._meta.pk.column),
    )
    params = [f.get_db_prep_save(f.pre_save(email, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class RenderedEmail:
    """An email rendered but not yet queued: lets a caller render before taking a lock and queue inside it."""

    to: str
    subject: str
    body_text: str
    body_html: str
    user: User | None = None
    attachments: tuple[Attachment, ...] = ()


def email_render_template(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    user: User | None = None,
    attachments: Iterable[Attachment] = (),
) -> RenderedEmail:
    """Render `emails/<template>.txt` and `.html` (both extend the shared email layout)."""
    context = {"site_url": settings.SITE_URL, "subject": subject, **context}
    return RenderedEmail(
        to=to,
        subject=subject,
        body_text=render_to_string(f"emails/{template}.txt", context).strip() + "\n",
        body_html=render_to_string(f"emails/{template}.html", context),
        user=user,
        attachments=tuple(attachments),
    )


def email_queue_rendered(*, email: RenderedEmail, idempotency_key: str) -> OutboundEmail:
    return email_queue(
        to=email.to,
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        idempotency_key=idempotency_key,
        user=email.user,
        attachments=email.attachments,
    )


def email_queue_template(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    idempotency_key: str,
    user: User | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboundEmail:
    """Render `emails/<template>.txt` and `.html` (both extend the shared email layout) and queue them."""
    rendered = email_render_template(
        to=to, subject=subject, template=template, context=context, user=user, attachments=attachments
    )
    return email_queue_rendered(email=rendered, idempotency_key=idempotency_key)


def _dispatch_on_commit(email_id: int) -> None:
    # Not `delay_on_commit`: a broker outage must not turn the user's committed action into an
    # error page. The row is already safe in the database; the sweep sends it later.
    transaction.on_commit(lambda: email_dispatch(email_id=email_id))


def email_dispatch(*, email_id: int) -> bool:
    from .tasks import send_email

    try:
        send_email.delay(email_id)
    except Exception:  # noqa: BLE001 - any broker failure; the outbox sweep retries
        logger.warning("Could not hand email %s to the broker; the outbox sweep will send it.", email_id)
        return False
    return True


def _build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message for one row. Header values are made safe here, whatever was stored or configured: a line
    feed in a subject (a name typed before the text rule, a title from a script) becomes a space instead of
    a BadHeaderError, and an address loses any control or space characters."""
    message = EmailMultiAlternatives(
        subject=header_safe(email.subject),
        body=email.body_text,
        from_email=_from_header_safe(settings.DEFAULT_FROM_EMAIL),
        to=[address_safe(email.to)],
        headers={"X-Outbox-Id": str(email.message_id)},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for item in email.attachments:
        message.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    return message


def _from_header_safe(value: str) -> str:
    """A "Name <address>" header with the name made safe and the address cleaned (Django encodes the name)."""
    name, address = parseaddr(header_safe(value))
    if not address:
        return address_safe(value)
    return f'"{quote(header_safe(name))}" <{address_safe(address)}>' if name else address_safe(address)


def retry_delay(attempts: int) -> int:
    """Seconds to wait before attempt `attempts + 1`: 1, 2, 4, 8 ... minutes, capped at an hour
    (OUTBOX_RETRY_BASE_SECONDS and OUTBOX_RETRY_MAX_SECONDS)."""
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)


@dataclass(frozen=True)
class SendResult:
    sent: bool
    retry_in: int | None = None


def email_send(*, email_id: int) -> SendResult:
    """Send one outbox row, at most once.

    The row is claimed with a conditional UPDATE (queued → sending), so when two workers run
    the task for the same row only one of them sends; a row already sent is never sent again.
    Any error while building or sending the message (SMTP, network, a bad header or attachment) counts
    as an attempt and is recorded: the row goes back to queued with a backoff, until
    OUTBOX_MAX_ATTEMPTS, after which it is marked failed for staff to see and resend.
    """
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED).update(
        status=OutboundEmail.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return SendResult(sent=False)
    try:
        email = OutboundEmail.objects.get(pk=email_id)
        _build_message(email).send()
    except Exception as exc:  # noqa: BLE001 - any failure to build or send is an attempt, never a stuck row
        return _attempt_failed(email_id=email_id, error=f"{type(exc).__name__}: {exc}")
    OutboundEmail.objects.filter(pk=email_id).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return SendResult(sent=True)


def _attempt_failed(*, email_id: int, error: str) -> SendResult:
    """Record a failed attempt on a claimed row: back to queued with a backoff, or failed at the maximum.

    Any error counts (an SMTP refusal, a header that cannot be encoded, an attachment that will not
    decode), so a row can never stay in "sending" and every row ends sent or failed, where staff see it.
    """
    error = error[:2000]
    attempts = OutboundEmail.objects.filter(pk=email_id).values_list("attempts", flat=True).first() or 0
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email_id).update(status=OutboundEmail.Status.FAILED, last_error=error)
        logger.error("Email %s failed after %s attempts: %s", email_id, attempts, error)
        return SendResult(sent=False)
    logger.warning("Email %s attempt %s failed, will retry: %s", email_id, attempts, error)
    delay = retry_delay(attempts)
    OutboundEmail.objects.filter(pk=email_id).update(
        status=OutboundEmail.Status.QUEUED,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return SendResult(sent=False, retry_in=delay)


STUCK_SENDING_ERROR = "The attempt did not finish: the worker sending it stopped or timed out."


def outbox_requeue_stale(*, now=None) -> list[int]:
    """Hand the broker again every row whose message was lost.

    A queued row whose attempt is overdue by OUTBOX_STALE_AFTER_SECONDS lost its Celery message
    (Redis down at commit time, or flushed); a row stuck in "sending" beyond
    OUTBOX_SENDING_TIMEOUT_SECONDS belongs to a worker that died mid-send and goes back to queued, or
    to failed when that was its last attempt (OUTBOX_MAX_ATTEMPTS).
    """
    now = now or timezone.now()
    with transaction.atomic():
        stuck = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(
                status=OutboundEmail.Status.SENDING,
                claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS),
            )
            .values_list("pk", "attempts")[:1000]
        )
        # A stuck send was an attempt too: at the maximum the row fails, where staff see and resend it.
        spent_ids = [pk for pk, attempts in stuck if attempts >= settings.OUTBOX_MAX_ATTEMPTS]
        stuck_ids = [pk for pk, attempts in stuck if attempts < settings.OUTBOX_MAX_ATTEMPTS]
        OutboundEmail.objects.filter(pk__in=spent_ids).update(
            status=OutboundEmail.Status.FAILED, last_error=STUCK_SENDING_ERROR
        )
        OutboundEmail.objects.filter(pk__in=stuck_ids).update(last_error=STUCK_SENDING_ERROR)
        if spent_ids:
            logger.error("Emails %s failed: stuck in sending at the last attempt.", spent_ids)
        stale_ids = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(
                status=OutboundEmail.Status.QUEUED,
                next_attempt_at__lt=now - timedelta(seconds=settings.OUTBOX_STALE_AFTER_SECONDS),
            )
            .values_list("pk", flat=True)[:1000]
        )
        # Restart the clock so the next sweep leaves these alone while their messages are in flight.
        OutboundEmail.objects.filter(pk__in=stuck_ids + stale_ids).update(
            status=OutboundEmail.Status.QUEUED, next_attempt_at=now
        )
    stale_ids = stuck_ids + stale_ids
    for email_id in stale_ids:
        email_dispatch(email_id=email_id)
    return stale_ids


def email_resend(*, emails: Iterable[OutboundEmail]) -> int:
    """Staff resend: failed rows go back to queued and are sent once more. Sent rows are left alone."""
    ids = [e.pk for e in emails if e.status == OutboundEmail.Status.FAILED]
    with transaction.atomic():
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=OutboundEmail.Status.QUEUED, next_attempt_at=timezone.now(), attempts=0
        )
        for email_id in ids:
            _dispatch_on_commit(email_id)
    return len(ids)
