"""The awards app's part in a person's data rights: their applications.

Reached by `crossector.core.privacy` through its APP_PROVIDERS list; docs/privacy.md explains the choices,
including why reviewers' identities, scores and comments are not in the self-service download.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import DateTimeField, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crossector.core.models import User
from crossector.core.privacy import Held, Summary, emails_about_erase
from crossector.core.retention import retention_cutoff, retention_period

from .models import (
    Application,
    ApplicationEvent,
    CallOpenNoticeRequest,
    CostLine,
    Document,
    PartnerOrganisation,
    SignatoryRequest,
)

Status = Application.Status
UNSUCCESSFUL = (Status.INELIGIBLE, Status.NOT_AWARDED, Status.WITHDRAWN)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _money(value) -> str | None:
    return f"{value:.2f}" if value is not None else None


def with_decided_at(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate `decided_at`: when the outcome was recorded (or the applicant withdrew); null while undecided.

    The outcome time comes from the status history; an application given an outcome without a history entry
    (e.g. imported) falls back to its last change.
    """
    outcome_at = (
        ApplicationEvent.objects.filter(
            application=OuterRef("pk"), kind=ApplicationEvent.Kind.STATUS, to_status__in=Application.DECIDED
        )
        .values("application")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    return queryset.annotate(decided_at=Coalesce(Subquery(outcome_at, output_field=DateTimeField()), F("withdrawn_at")))


def _decided_at(application: Application) -> datetime | None:
    if application.status not in (*Application.DECIDED, Status.WITHDRAWN):
        return None
    return application.decided_at or application.updated_at


def export_for(user: User) -> dict:
    """Every application the person started, with everything they entered, the documents listed (not the
    files), the letter requests they sent and the status history. Eight queries whatever the numbers.

    Reviews are left out of the download: see `held` and docs/privacy.md.
    """
    applications = (
        with_decided_at(Application.objects.filter(applicant=user))
        .select_related("call")
        .prefetch_related(
            "partners",
            "cost_lines",
            "documents",
            "signatory_requests",
            "priority_areas",
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.STATUS).order_by("created_at"),
                to_attr="status_history",
            ),
        )
        .order_by("created_at", "pk")
    )
    notices = CallOpenNoticeRequest.objects.filter(user=user).order_by("created_at")
    return {
        "award_applications": [_application_row(a) for a in applications],
        "award_call_notices": [{"asked_at": _iso(n.created_at), "notified_at": _iso(n.notified_at)} for n in notices],
    }


def _application_row(a: Application) -> dict:
    return {
        "call": a.call.name,
        "reference": a.reference,
        "status": a.get_status_display(),
        "created_at": _iso(a.created_at),
        "updated_at": _iso(a.updated_at),
        "submitted_at": _iso(a.submitted_at),
        "withdrawn_at": _iso(a.withdrawn_at),
        "decided_at": _iso(_decided_at(a)),
        "awarded_amount": _money(a.awarded_amount),
        "extension_until": _iso(a.extension_until),
        "you_and_your_organisation": {
            "organisation": a.organisation,
            "organisation_sector": a.get_organisation_sector_display() if a.organisation_sector else "",
            "role": a.role,
            "discipline": a.discipline,
            "career_stage": a.get_career_stage_display() if a.career_stage else "",
            "region": a.get_region_display() if a.region else "",
        },
        "partners": [
            {
                "name": p.name,
                "sector": p.get_sector_display() if p.sector else "",
                "country": p.country,
                "contact_name": p.contact_name,
                "contact_email": p.contact_email,
                "health_related": p.is_health_related,
            }
            for p in a.partners.all()
        ],
        "proposal": {
            "title": a.title,
            "summary": a.summary,
            "aims": a.aims,
            "why_now": a.why_now,
            "benefits": a.benefits,
            "lasting_links": a.lasting_links,
            "priority_areas": [area.name for area in a.priority_areas.all()],
        },
        "timing_and_costs": {
            "start_date": _iso(a.start_date),
            "duration_months": a.duration_months,
            "time_on_placement_percent": a.fte_percent,
            "cost_lines": [
                {
                    "category": c.get_category_display() if c.category else "",
                    "amount": _money(c.amount),
                    "justification": c.justification,
                }
                for c in a.cost_lines.all()
            ],
        },
        "documents": [
            {
                "kind": d.get_kind_display(),
                "name": d.original_name,
                "size_bytes": d.size,
                "uploaded_at": _iso(d.uploaded_at),
                "uploaded_by_signatory": d.uploaded_by_signatory,
            }
            for d in a.documents.all()
        ],
        "letter_requests": [
            {
                "kind": r.get_kind_display(),
                "signatory_name": r.signatory_name,
                "signatory_email": r.signatory_email,
                "state": r.state,
                "requested_at": _iso(r.created_at),
                "expires_at": _iso(r.expires_at),
            }
            for r in a.signatory_requests.all()
        ],
        "declarations": {
            "accurate": a.declare_accurate,
            "employer_agrees": a.declare_employer_agrees,
            "data_use": a.declare_data_use,
        },
        "status_history": [
            # The note staff wrote with the change is about the person ("eligibility checked for ..."), so it
            # is theirs to see; notes on reviewers' assignments, conflicts and reviews are not status changes.
            {
                "from": e.get_from_status_display(),
                "to": e.get_to_status_display(),
                "at": _iso(e.created_at),
                "note": e.note,
            }
            for e in a.status_history
        ],
    }


# --- Erasure ------------------------------------------------------------------------------------------------


def _not_submitted(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Drafts, and drafts withdrawn before they were ever submitted."""
    return queryset.filter(submitted_at__isnull=True)


def applications_delete(queryset: QuerySet[Application]) -> int:
    """Delete applications with everything they are made of, and their files from storage once that commits.

    Bulk: one query to list the files, then Django's cascade in batches; never a loop over applications.
    """
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return 0
    files = list(Document.objects.filter(application_id__in=ids).values_list("file", flat=True))
    letter_emails = [
        f"signatory-request-{pk}"
        for pk in SignatoryRequest.objects.filter(application_id__in=ids).values_list("pk", flat=True)
    ]
    emails_about_erase(keys=letter_emails)
    Application.objects.filter(pk__in=ids).delete()
    storage = Document._meta.get_field("file").storage

    def remove_files():
        for name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(ids)


def _keep_until(a: Application) -> str:
    decided = _decided_at(a)
    unsuccessful, awarded = retention_period("unsuccessful_applications"), retention_period("awarded_applications")
    if decided is None:
        return (
            f"kept while it is assessed, then for {unsuccessful} after the decision ({awarded} if it receives an award)"
        )
    local = timezone.localtime(decided)
    if a.status == Status.AWARDED:
        until = awarded.after(local)
        return f"kept until {until:%-d %B %Y} so that the use of public and charitable funds can be audited"
    return f"kept until {unsuccessful.after(local):%-d %B %Y}, {unsuccessful} after the decision"


def erasure_preview(user: User) -> Summary:
    summary = Summary()
    applications = list(with_decided_at(Application.objects.filter(applicant=user)).select_related("call"))
    drafts = [a for a in applications if a.submitted_at is None]
    if drafts:
        summary.erased.append(
            f"Your {len(drafts)} unsubmitted application{'s' if len(drafts) != 1 else ''}, with every document "
            "uploaded to {}.".format("them" if len(drafts) != 1 else "it")
        )
    for a in applications:
        if a.submitted_at is not None:
            summary.kept.append(
                f"Your submitted application {a.reference} to {a.call.name} ({a.get_status_display().lower()}), "
                f"with its documents and your name: {_keep_until(a)}. It is then erased."
            )
    return summary


def erase_for(user: User, *, now: datetime) -> Summary:
    """Delete the person's unsubmitted applications (files too) and "tell me when a call opens" requests, and
    the text of every email that asked a signatory for a letter on their behalf.

    Submitted applications are kept as the privacy notice's retention table says, and erased by
    `retention_sweep` when their time is up; the person's name stays on the account until then.
    """
    summary = erasure_preview(user)
    # The emails asking signatories for letters name the person; a submitted application keeps the request
    # (who was asked, and whether they uploaded), not the email's text.
    requests = SignatoryRequest.objects.filter(application__applicant=user).values_list("pk", flat=True)
    emails_about_erase(keys=[f"signatory-request-{pk}" for pk in requests])
    applications_delete(_not_submitted(Application.objects.filter(applicant=user)))
    CallOpenNoticeRequest.objects.filter(user=user).delete()
    return summary


SUBMITTED_KEPT = (
    "Applications you have submitted, with their partners, costs, documents, letter requests, status history "
    "and your name"
)


def held() -> list[Held]:
    """What deletion erases and keeps of applications, and what the download leaves out or lists rather than
    copies (see `Held`)."""
    tables = (Application, ApplicationEvent, CostLine, Document, PartnerOrganisation, SignatoryRequest)
    return [
        Held(
            Held.ERASED,
            "Applications you have not submitted",
            "with every document uploaded to them, and the text of the emails asking signatories for letters.",
            (),
        ),
        Held(
            Held.ERASED,
            "Your requests to be told when an award call opens",
            "we will not email you when the next call opens.",
            (),
        ),
        Held(
            Held.KEPT,
            "The notes our staff wrote on your applications' status (for example that eligibility was checked)",
            "kept with the submitted application they belong to, for as long as it is kept; your email address "
            "is removed from them.",
            ("awards_applicationevent.note",),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "Reviewers' names, scores and comments on your applications",
            "the law allows us to withhold who reviewed you; you can ask for the comments about you by email, and "
            "we will send them with anything that would identify the reviewer removed.",
            ("awards_review.*", "awards_reviewerassignment.*"),
        ),
        Held(
            Held.KEPT,
            SUBMITTED_KEPT,
            f"kept for {retention_period('unsuccessful_applications')} after the decision, or "
            f"{retention_period('awarded_applications')} if they receive an award, so that we can show how public "
            "and charitable funds were awarded; then erased.",
            (*(f"{model._meta.db_table}.*" for model in tables), "uploads"),
        ),
        Held(
            Held.KEPT,
            "The address of each signatory you asked for a letter, on our record that we emailed them",
            f"the signatory's own address, kept for {retention_period('email_records')} as the record that the "
            "email was sent; its text, which named you, is deleted with your account.",
            ("core_outboundemail.to@signatory-request-*",),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "The files you uploaded",
            "they are listed in the download, and you can download each one from your application.",
            ("uploads",),
        ),
    ]


def kept_user_ids(user_ids: list[int]) -> set[int]:
    """People who still have a submitted application on record."""
    return set(
        Application.objects.filter(applicant_id__in=user_ids, submitted_at__isnull=False).values_list(
            "applicant_id", flat=True
        )
    )


def retention_sweep(*, now: datetime) -> dict[str, int]:
    """The retention table of the privacy notice, for applications:

    - unsubmitted drafts are deleted RETENTION_DRAFT_MONTHS after their call (or their extension) closed;
    - unsuccessful applications (ineligible, not awarded, withdrawn) RETENTION_UNSUCCESSFUL_MONTHS after the
      decision;
    - awarded applications RETENTION_AWARDED_YEARS after the decision.
    Documents' files go with them.
    """
    draft_cutoff = retention_cutoff(now=now, period=retention_period("drafts"))
    drafts = _not_submitted(Application.objects.filter(call__closes_at__lt=draft_cutoff)).filter(
        Q(extension_until__isnull=True) | Q(extension_until__lt=draft_cutoff)
    )
    submitted = with_decided_at(Application.objects.filter(submitted_at__isnull=False))
    decided_at = Coalesce("decided_at", "updated_at")
    unsuccessful = (
        submitted.filter(status__in=UNSUCCESSFUL)
        .alias(at=decided_at)
        .filter(at__lt=retention_cutoff(now=now, period=retention_period("unsuccessful_applications")))
    )
    awarded = (
        submitted.filter(status=Status.AWARDED)
        .alias(at=decided_at)
        .filter(at__lt=retention_cutoff(now=now, period=retention_period("awarded_applications")))
    )
    return {
        "drafts_deleted": applications_delete(drafts),
        "unsuccessful_applications_erased": applications_delete(unsuccessful),
        "awarded_applications_erased": applications_delete(awarded),
    }
