"""Writes for the awards: starting, saving, submitting and withdrawing applications, documents,
signatory links, reminders and "call now open" notices. Views, admin and tasks all call these."""

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from crossector.core.labels import in_sentence
from crossector.core.models import User
from crossector.core.services import email_queue_template
from crossector.core.uploads import upload_name_clean

from . import rules, selectors, workflow
from .models import (
    Application,
    ApplicationEvent,
    AwardCall,
    CallOpenNoticeRequest,
    CostLine,
    Document,
    PartnerOrganisation,
    ReferenceCounter,
    ReminderSent,
    SignatoryRequest,
)
from .pdf import pdf_problem

SIGNATORY_LINK_LIFETIME = timedelta(days=14)


class ApplicationError(Exception):
    """A rule stopped the action; `problems` lists what to fix when there is more than one thing."""

    def __init__(self, message: str, problems: list[rules.Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


# --- Starting and saving ---------------------------------------------------------------------------


def application_start(*, call: AwardCall, user, now: datetime | None = None) -> Application:
    """The applicant's one application to this call, created (prefilled from their profile) on first visit."""
    existing = Application.objects.filter(call=call, applicant=user).first()
    if existing:
        return existing
    allowed, reason = selectors.call_can_apply(user=user, call=call, now=now)
    if not allowed:
        raise ApplicationError(reason)
    profile = user.profile
    try:
        with transaction.atomic():
            return Application.objects.create(
                call=call,
                applicant=user,
                organisation=profile.organisation,
                organisation_sector=profile.sector,
                role=profile.job_title,
                region=profile.region,
            )
    except IntegrityError:  # two tabs started at once: the constraint keeps one
        return Application.objects.get(call=call, applicant=user)


def _lock_editable(application_id: int, user) -> Application:
    application = Application.objects.select_for_update().select_related("call").get(pk=application_id)
    allowed, reason = rules.application_can_edit(user, application)
    if not allowed:
        raise ApplicationError(reason)
    return application


ROW_MODELS = {"partners": PartnerOrganisation, "costs": CostLine}


class SectionChanged(ApplicationError):
    """The rows page was opened before its rows were changed elsewhere (another tab, Back then Save)."""


def _row_values(model, row: dict) -> dict:
    """A row as comparable values: what the database would hold (decimals at their stored places)."""
    values = {}
    for field in model._meta.fields:
        if field.name in ("id", "application") or field.name not in row:
            continue
        value = row[field.name]
        if isinstance(value, Decimal) and getattr(field, "decimal_places", None) is not None:
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        values[field.name] = value
    return values


def section_rows(*, application: Application, section: str) -> list[dict]:
    """The saved partner organisations or cost lines of a section, in order, as comparable values."""
    model = ROW_MODELS[section]
    names = [f.name for f in model._meta.fields if f.name not in ("id", "application")]
    return [
        _row_values(model, row) for row in model.objects.filter(application=application).order_by("pk").values(*names)
    ]


def section_rows_version(*, application: Application, section: str) -> str:
    """A short digest of the section's saved rows, put in the page so a save can tell if they changed since."""
    rows = section_rows(application=application, section=section)
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:20]


@transaction.atomic
def application_save_section(
    *,
    application: Application,
    user,
    section: str,
    values: dict,
    rows: list[dict] | None = None,
    rows_version: str | None = None,
) -> Application:
    """Save one section of a draft as it is: partial answers are fine, completeness is checked at submit.

    `values` are the application's own fields (and `priority_areas`); `rows` replace the section's
    partner organisations or cost lines. A submitted or withdrawn application is never changed.

    `rows_version` is `section_rows_version` as the page showed it. When the rows posted are exactly the rows
    saved now, the post is a repeat (a double click) and the rows are left as they are. Otherwise, when the
    saved rows changed since the page was shown (another tab, Back then Save), nothing is saved and
    `SectionChanged` is raised, so a stale page never silently deletes rows saved elsewhere.
    """
    application = _lock_editable(application.pk, user)
    if rows is not None and rows_version is not None:
        model = ROW_MODELS[section]
        saved = section_rows(application=application, section=section)
        if [_row_values(model, row) for row in rows] == saved:
            rows = None  # a repeat: the rows are already as posted
        elif rows_version != section_rows_version(application=application, section=section):
            noun = "partner organisations" if section == "partners" else "costs"
            raise SectionChanged(
                f"Your {noun} were changed in another window or tab after you opened this page, so nothing was "
                f"saved. Below is what you typed; the saved {noun} are shown in that other window. Check the list, "
                "then save again to keep this one."
            )
    values = dict(values)
    priority_areas = values.pop("priority_areas", None)
    for name, value in values.items():
        setattr(application, name, value)
    application.save()
    if priority_areas is not None:
        application.priority_areas.set(priority_areas)
    if rows is not None:
        model = ROW_MODELS[section]
        model.objects.filter(application=application).delete()
        model.objects.bulk_create(model(application=application, **row) for row in rows)
    return application


# --- Documents and signatories -------------------------------------------------------------------------


def _attach(*, application: Application, kind: str, upload, by_signatory: bool) -> Document:
    if problem := pdf_problem(upload):
        raise ApplicationError(problem)
    old = Document.objects.filter(application=application, kind=kind).first()
    if old:
        old_file = old.file
        old.delete()
        transaction.on_commit(lambda: old_file.storage.delete(old_file.name))
    document = Document(
        application=application,
        kind=kind,
        original_name=upload_name_clean(upload.name),
        size=upload.size,
        uploaded_by_signatory=by_signatory,
    )
    document.file.save("document.pdf", upload, save=False)
    name = document.file.name
    try:
        document.save()
    except Exception:
        document.file.storage.delete(name)
        raise
    return document


@transaction.atomic
def documents_delete(*, queryset) -> int:
    """Delete documents (a queryset of `Document`) and, once that commits, their files from storage.

    The one way staff remove a document (the admin's delete page and its bulk action call it): deleting the row
    alone would leave the letter in the upload store, past its retention and into every backup. Returns how
    many rows went.
    """
    names = list(queryset.values_list("file", flat=True))
    count, _ = Document.objects.filter(pk__in=queryset.values("pk")).delete()
    storage = Document._meta.get_field("file").storage

    def remove_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return count


@transaction.atomic
def document_upload(*, application: Application, user, kind: str, upload) -> Document:
    """Attach a PDF (checked by content, at most 10 MB) to a draft, replacing any earlier one of that kind."""
    application = _lock_editable(application.pk, user)
    return _attach(application=application, kind=kind, upload=upload, by_signatory=False)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signatory_requests_problem(*, application: Application, user, now: datetime) -> str | None:
    """Why another signatory email may not go now, or None. Each one goes to an address the applicant
    typed, so they are bounded per application (a day and ever) and per applicant (a day, all applications)."""
    day_ago = now - timedelta(days=1)
    mine = SignatoryRequest.objects.filter(application__applicant=user)
    this = mine.filter(application=application)
    per_day = settings.AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION_DAY
    if this.filter(created_at__gt=day_ago).count() >= per_day:
        return (
            f"You have asked for {per_day} letters for this application in the last 24 hours, which is the most "
            "we allow. You can ask again tomorrow, or upload the letter yourself above."
        )
    ever = settings.AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION
    if this.count() >= ever:
        return (
            f"You have asked for {ever} letters for this application, which is the most we allow. "
            "Ask the signatory to send you the letter and upload it yourself above."
        )
    per_user = settings.AWARDS_SIGNATORY_REQUESTS_PER_USER_DAY
    if mine.filter(created_at__gt=day_ago).count() >= per_user:
        return (
            f"You have asked for {per_user} letters in the last 24 hours across your applications, which is the "
            "most we allow. You can ask again tomorrow, or upload the letter yourself above."
        )
    return None


@transaction.atomic
def signatory_request_create(
    *, application: Application, user, kind: str, name: str, email: str, now: datetime | None = None
) -> SignatoryRequest:
    """Email the signatory a private link to upload one letter. Asking again replaces the earlier link.

    Bounded (docs/security.md, "Bounds"): AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION_DAY per application in
    24 hours, AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION per application ever, and
    AWARDS_SIGNATORY_REQUESTS_PER_USER_DAY per applicant in 24 hours. The application and the applicant's
    user row are locked first, so requests sent at once cannot all slip under a limit.
    """
    now = now or timezone.now()
    application = _lock_editable(application.pk, user)
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    if problem := _signatory_requests_problem(application=application, user=user, now=now):
        raise ApplicationError(problem)
    SignatoryRequest.objects.filter(
        application=application, kind=kind, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    request = SignatoryRequest.objects.create(
        application=application,
        kind=kind,
        signatory_name=name,
        signatory_email=email,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + SIGNATORY_LINK_LIFETIME,
    )
    email_queue_template(
        to=email,
        subject=f"Please upload a letter for {user.get_full_name()}'s award application",
        template="awards/signatory_request",
        context={
            "request": request,
            "applicant_name": user.get_full_name(),
            "call": application.call,
            "path": reverse("awards:signatory_upload", args=[token]),
            "expires": rules.format_uk(request.expires_at),
        },
        idempotency_key=f"signatory-request-{request.pk}",
    )
    return request


def signatory_request_for_token(
    token: str, *, now: datetime | None = None, used: bool = False
) -> SignatoryRequest | None:
    """The live request behind a link; None for a guessed, replaced or expired link, and for a used one
    unless `used` (a repeated upload is told the letter arrived)."""
    now = now or timezone.now()
    found = SignatoryRequest.objects.select_related("application__call", "application__applicant__profile").filter(
        token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=now
    )
    return (found if used else found.filter(used_at__isnull=True)).first()


@transaction.atomic
def signatory_upload(*, token: str, upload, now: datetime | None = None) -> Document | None:
    """The signatory's upload. The link works once: the request row is locked, checked and marked used.

    A repeat of an upload that happened (a double-click, a resubmitted form) changes nothing and returns
    the letter the link brought (None if the applicant has since removed it); the view says it arrived.
    """
    now = now or timezone.now()
    request = (
        SignatoryRequest.objects.select_for_update()
        .filter(token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if request is None:
        raise SignatoryRequest.DoesNotExist
    if request.used_at is not None:
        return Document.objects.filter(application_id=request.application_id, kind=request.kind).first()
    application = Application.objects.select_for_update().get(pk=request.application_id)
    if not application.is_draft:
        raise ApplicationError("This application has already been submitted, so the letter can no longer be added.")
    document = _attach(application=application, kind=request.kind, upload=upload, by_signatory=True)
    request.used_at = now
    request.save(update_fields=["used_at"])
    applicant = application.applicant
    email_queue_template(
        to=applicant.email,
        subject=f"The {in_sentence(request.get_kind_display())} has arrived",
        template="awards/letter_received",
        context={
            "name": applicant.get_full_name(),
            "signatory_name": request.signatory_name,
            "kind": request.get_kind_display(),
            "call_name": application.call.name,
            "received": rules.format_uk(now),
            "path": reverse("awards:documents", args=[application.call.slug]),
        },
        idempotency_key=f"signatory-request-{request.pk}-received",
        user=applicant,
    )
    return document


# --- Submitting and withdrawing --------------------------------------------------------------------------


def _next_reference(year: int) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"CSEA-{year}-{counter.last:04d}"


@transaction.atomic
def application_submit(*, application: Application, user, now: datetime | None = None) -> Application:
    """Submit a complete draft before its deadline, once.

    The deadline is checked at the moment of the request (a request at the deadline second or
    later is late; an individual extension moves it). The row is locked first, so a double-click
    makes one submission: the second request finds it submitted and gets the same application back.
    """
    now = now or timezone.now()
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if application.applicant_id != user.pk:
        raise PermissionDenied
    if application.status == Application.Status.SUBMITTED:
        return application
    allowed, reason = rules.application_can_edit(user, application)
    if not allowed:
        raise ApplicationError(reason)
    if rules.is_late(deadline=application.deadline, now=now):
        raise ApplicationError(
            f"The deadline was {rules.format_uk(application.deadline)}. Applications can no longer be submitted."
        )
    problems = rules.application_problems(application)
    if problems:
        raise ApplicationError("Your application is not complete yet.", problems)
    year = timezone.localtime(application.call.closes_at, rules.UK).year
    application.reference = _next_reference(year)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["reference", "status", "submitted_at", "updated_at"])
    ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.STATUS,
        actor=user,
        from_status=Application.Status.DRAFT,
        to_status=Application.Status.SUBMITTED,
        created_at=now,
    )
    application = selectors.application_for_summary(application.pk)
    email_queue_template(
        to=user.email,
        subject=f"Application received: {application.reference}",
        template="awards/receipt",
        context={
            "application": application,
            "submitted": rules.format_uk(now),
            "total": rules.costs_total(c.amount for c in application.cost_lines.all()),
        },
        idempotency_key=f"application-{application.pk}-receipt",
        user=user,
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, user, now: datetime | None = None) -> Application:
    """The applicant withdraws, at any time until a decision is made: a move in the workflow's one table.
    They are emailed that it happened, in the same transaction (key `application-<id>-withdrawn`).

    Withdrawing again (a double-click, two tabs) changes nothing and returns the withdrawn application.
    """
    now = now or timezone.now()
    try:
        withdrawn = workflow.application_transition(
            application=application, to_status=Application.Status.WITHDRAWN, actor=user, now=now
        )
    except workflow.TransitionAlreadyMade as exc:
        if exc.application.applicant_id != user.pk:
            raise PermissionDenied from None
        return exc.application
    except workflow.TransitionError as exc:
        raise ApplicationError(exc.message.removeprefix(f"{application}: ")) from exc
    email_queue_template(
        to=user.email,
        subject=f"Your application to the {withdrawn.call.name} is withdrawn",
        template="awards/withdrawn",
        context={
            "name": user.get_full_name(),
            "call_name": withdrawn.call.name,
            "reference": withdrawn.reference,
            "withdrawn": rules.format_uk(now),
            "path": reverse("awards:application", args=[withdrawn.pk]),
        },
        idempotency_key=f"application-{withdrawn.pk}-withdrawn",
        user=user,
    )
    return withdrawn


# --- Notices and reminders ---------------------------------------------------------------------------------


def call_open_notice_request(*, user) -> CallOpenNoticeRequest:
    """Ask to be emailed when the next call opens. Asking twice keeps one request."""
    existing = CallOpenNoticeRequest.objects.filter(user=user, notified_at__isnull=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return CallOpenNoticeRequest.objects.create(user=user)
    except IntegrityError:
        return CallOpenNoticeRequest.objects.get(user=user, notified_at__isnull=True)


def call_open_notices_send(*, now: datetime | None = None) -> int:
    """Email everyone waiting for a call that has opened since they asked, once per request."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        pending = (
            CallOpenNoticeRequest.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(notified_at__isnull=True)
        )
        for notice in pending:
            call = (
                AwardCall.objects.filter(opens_at__gt=notice.created_at, opens_at__lte=now, closes_at__gt=now)
                .order_by("opens_at")
                .first()
            )
            if call is None:
                continue
            notice.notified_call, notice.notified_at = call, now
            notice.save(update_fields=["notified_call", "notified_at"])
            email_queue_template(
                to=notice.user.email,
                subject=f"{call.name} is now open",
                template="awards/call_open",
                context={"call": call, "deadline": rules.format_uk(call.closes_at)},
                idempotency_key=f"call-notice-{notice.pk}",
                user=notice.user,
            )
            sent += 1
    return sent


REMINDER_BATCH = 200


def deadline_reminders_send(*, now: datetime | None = None) -> int:
    """Remind owners of unsubmitted drafts before the deadline, exactly once per application and offset.

    A ReminderSent row, unique per (application, offset), is written in the same transaction as the
    outbox row (whose key is unique too), so a sweep run twice or in two workers at once sends one
    email: the rows are claimed with INSERT … ON CONFLICT DO NOTHING RETURNING, and only the applications
    whose row this sweep inserted are emailed. A sweep that runs late, after several offsets have passed,
    sends one reminder for the nearest offset and records the earlier ones as passed. Nothing is sent at or
    after the deadline, nor to anyone who has submitted or withdrawn.

    A row sent before its offset's moment for the call's current deadline was for an earlier deadline (the
    call was moved later since): it no longer counts, and the claim takes it over, so the reminders for the
    new deadline still go, once each. The rule reads the row against the deadline, so it holds however the
    deadline changed. The outbox key names the deadline, for the same reason.

    Drafts are taken REMINDER_BATCH to a transaction: one commit per application made a sweep over
    10,000 drafts take about a minute (bench/notes.md).
    """
    now = now or timezone.now()
    count = 0
    for call in AwardCall.objects.filter(opens_at__lte=now, closes_at__gt=now):
        due = sorted(o for o in (call.reminder_offsets or []) if call.closes_at - timedelta(days=o) <= now)
        if not due:
            continue
        nearest = due[0]
        reminded = ReminderSent.objects.filter(offset_days=nearest, sent_at__gte=_reminder_moment(call, nearest))
        pending = list(
            Application.objects.filter(call=call, status=Application.Status.DRAFT)
            .exclude(pk__in=reminded.values("application_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(pending), REMINDER_BATCH):
            count += _deadline_reminders_batch(call, pending[start : start + REMINDER_BATCH], due=due, now=now)
    return count


def reminder_key(*, application_id: int, offset_days: int, call: AwardCall) -> str:
    """One reminder per application, offset and deadline: the deadline, in UTC, is part of the outbox key."""
    return f"application-{application_id}-reminder-{offset_days}-{call.closes_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def _reminder_moment(call: AwardCall, offset_days: int) -> datetime:
    """When the reminder `offset_days` before this call's current deadline falls due."""
    return call.closes_at - timedelta(days=offset_days)


def _days_left(call: AwardCall, now: datetime) -> int:
    """Calendar days in the UK from today to the deadline's day: 0 is today, 1 tomorrow (what the email says)."""
    return (timezone.localtime(call.closes_at, rules.UK).date() - timezone.localtime(now, rules.UK).date()).days


def _deadline_reminders_batch(call: AwardCall, ids: list[int], *, due: list[int], now: datetime) -> int:
    nearest = due[0]
    with transaction.atomic():
        drafts = [
            application
            for application in Application.objects.filter(pk__in=ids, status=Application.Status.DRAFT)
            .select_related("applicant")
            .order_by("pk")
            # Their own deadline (an extension): the call's reminders would give the wrong date.
            if not (application.extension_until and application.deadline > call.closes_at)
        ]
        claimed = _reminders_claim(
            [a.pk for a in drafts], offset_days=nearest, now=now, stale_before=_reminder_moment(call, nearest)
        )
        ReminderSent.objects.bulk_create(
            [ReminderSent(application_id=pk, offset_days=o, sent_at=now) for pk in claimed for o in due[1:]],
            ignore_conflicts=True,
        )
        for application in drafts:
            if application.pk not in claimed:
                continue  # another sweep got there first
            email_queue_template(
                to=application.applicant.email,
                subject=f"{call.name}: your application is not submitted yet",
                template="awards/reminder",
                context={
                    "application": application,
                    "call": call,
                    "deadline": rules.format_uk(call.closes_at),
                    "days": _days_left(call, now),
                },
                idempotency_key=reminder_key(application_id=application.pk, offset_days=nearest, call=call),
                user=application.applicant,
            )
    return len(claimed)


_CLAIM_REMINDERS = (
    "INSERT INTO {table} ({application}, {offset}, {sent_at}) VALUES {rows} "
    "ON CONFLICT ({application}, {offset}) DO UPDATE SET {sent_at} = EXCLUDED.{sent_at} "
    "WHERE {table}.{sent_at} < %s RETURNING {application}"
)


def _reminders_claim(
    application_ids: list[int], *, offset_days: int, now: datetime, stale_before: datetime
) -> set[int]:
    """Insert the ReminderSent rows that do not exist yet, or take over those sent before `stale_before` (for an
    earlier deadline); the applications whose row this call wrote. A row another sweep has just written is
    newer than `stale_before`, so two sweeps at once still claim each row once."""
    if not application_ids:
        return set()
    meta, quote = ReminderSent._meta, connection.ops.quote_name
    sql = _CLAIM_REMINDERS.format(  # only the model's own table and column names; values are parameters
        table=quote(meta.db_table),
        application=quote(meta.get_field("application").column),
        offset=quote(meta.get_field("offset_days").column),
        sent_at=quote(meta.get_field("sent_at").column),
        rows=", ".join(["(%s, %s, %s)"] * len(application_ids)),
    )
    stamp = meta.get_field("sent_at").get_db_prep_save(now, connection)
    params = [value for pk in application_ids for value in (pk, offset_days, stamp)]
    params.append(meta.get_field("sent_at").get_db_prep_save(stale_before, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
