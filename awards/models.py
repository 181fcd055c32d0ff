"""Award calls, applications and everything an application is made of.

Rules that span rows (completeness, deadlines, permissions) live in `rules.py` and `services.py`;
the models hold what must never be false, as database constraints.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from crossector.core.dates import format_datetime
from crossector.core.minutes import MinuteDateTimeField, whole_minute_constraint
from crossector.core.models import PriorityArea
from crossector.core.money import MoneyField, format_pounds
from crossector.core.vocabulary import Region, Sector

MAX_AWARD = Decimal("100000.00")


def default_reminder_offsets() -> list[int]:
    return [14, 7, 1]


class AwardCall(models.Model):
    """One funding round. Whether it is open is derived from its dates, never stored."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(unique=True)
    summary = models.CharField(max_length=300)
    guidance = models.TextField(blank=True, help_text="Who can apply and how applications are assessed.")
    opens_at = MinuteDateTimeField(help_text="UK time, hours and minutes.")
    closes_at = MinuteDateTimeField(
        "deadline", help_text="UK time, hours and minutes. A submission at this minute or later is late."
    )
    max_award = MoneyField(
        "maximum award (£)",
        max_digits=9,
        decimal_places=2,
        default=MAX_AWARD,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(MAX_AWARD)],
    )
    min_duration_months = models.PositiveSmallIntegerField(default=3)
    max_duration_months = models.PositiveSmallIntegerField(default=12)
    priority_areas = models.ManyToManyField(PriorityArea, blank=True, related_name="award_calls")
    reminder_offsets = models.JSONField(
        "reminder offsets (days before the deadline)",
        default=default_reminder_offsets,
        blank=True,
        help_text="Owners of unsubmitted drafts are emailed this many days before the deadline, e.g. [14, 7, 1].",
    )
    restricted_to_hub = models.ForeignKey(
        "hubs.Hub",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_calls",
        help_text="Only people who attended one of this hub's events may apply (hub seed funding).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closes_at"]
        verbose_name = "award call"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    min_duration_months__gte=1, min_duration_months__lte=models.F("max_duration_months")
                ),
                name="call_duration_range_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(max_award__gt=0, max_award__lte=MAX_AWARD), name="call_max_award_within_scheme"
            ),
            whole_minute_constraint("opens_at", model="call"),
            whole_minute_constraint("closes_at", model="call"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("awards:call", kwargs={"slug": self.slug})

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "closed"


class CallFAQ(models.Model):
    call = models.ForeignKey(AwardCall, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"

    def __str__(self):
        return self.question


class CallOpenNoticeRequest(models.Model):
    """ "Tell me when the next call opens": emailed once, when a call opens after the request was made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="award_call_notices")
    created_at = models.DateTimeField(default=timezone.now)
    notified_call = models.ForeignKey(AwardCall, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(notified_at__isnull=True), name="one_pending_call_notice_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} wants to hear about the next call"


class CareerStage(models.TextChoices):
    EARLY = "early", "Early career (up to 7 years in post or since qualifying)"
    MID = "mid", "Mid-career"
    SENIOR = "senior", "Senior or established"
    STUDENT = "student", "PhD or doctoral student"


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        ELIGIBLE = "eligible", "Eligible"
        INELIGIBLE = "ineligible", "Ineligible"
        UNDER_REVIEW = "under_review", "Under review"
        SHORTLISTED = "shortlisted", "Shortlisted"
        AWARDED = "awarded", "Awarded"
        NOT_AWARDED = "not_awarded", "Not awarded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Final outcomes: the applicant has been told, nothing moves afterwards.
    DECIDED = (Status.INELIGIBLE, Status.AWARDED, Status.NOT_AWARDED)
    # Every status an application can reach by being submitted; each has a reference and a submission time.
    SUBMITTED_STATUSES = (
        Status.SUBMITTED,
        Status.ELIGIBLE,
        Status.INELIGIBLE,
        Status.UNDER_REVIEW,
        Status.SHORTLISTED,
        Status.AWARDED,
        Status.NOT_AWARDED,
    )

    call = models.ForeignKey(AwardCall, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="award_applications")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=20, blank=True)

    # 1. You and your employing organisation
    organisation = models.CharField("employing organisation", max_length=200, blank=True)
    organisation_sector = models.CharField(
        "employing organisation's sector", max_length=32, choices=Sector.choices, blank=True
    )
    role = models.CharField("your role", max_length=150, blank=True)
    discipline = models.CharField(max_length=150, blank=True)
    career_stage = models.CharField(max_length=16, choices=CareerStage.choices, blank=True)
    region = models.CharField("UK nation or region", max_length=32, choices=Region.choices, blank=True)

    # 3. Your proposal
    title = models.CharField("proposal title", max_length=200, blank=True)
    summary = models.TextField(blank=True)
    aims = models.TextField(blank=True)
    why_now = models.TextField("why this is the right time and the right sector", blank=True)
    benefits = models.TextField("benefits to you, your employer and the partner", blank=True)
    lasting_links = models.TextField("how the links will last", blank=True)
    priority_areas = models.ManyToManyField(PriorityArea, blank=True, related_name="award_applications")

    # 4. Timing and costs
    start_date = models.DateField(null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField("duration (months)", null=True, blank=True)
    fte_percent = models.PositiveSmallIntegerField(
        "time on the placement (% of full time)",
        null=True,
        blank=True,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
    )

    # 6. Declarations
    declare_accurate = models.BooleanField(default=False)
    declare_employer_agrees = models.BooleanField(default=False)
    declare_data_use = models.BooleanField(default=False)

    extension_until = MinuteDateTimeField(
        "individual extension until",
        null=True,
        blank=True,
        help_text="Staff only: this application may be submitted until this moment (UK time), not the call deadline.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    awarded_amount = MoneyField(
        "amount awarded (£)",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AWARD)],
        help_text="Set when the application is awarded; the amount requested unless the panel changed it.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["call", "status"], name="application_call_status"),
            models.Index(fields=["status", "submitted_at"], name="application_status_submitted"),
            # The staff list's order (newest submission first): PostgreSQL reads one page from the index
            # instead of sorting every application, so the admin list stays flat as applications grow.
            models.Index(
                models.F("submitted_at").desc(nulls_last=True), models.F("id").desc(), name="application_admin_order"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="one_application_per_applicant_per_call"),
            models.UniqueConstraint(
                fields=["reference"], condition=~models.Q(reference=""), name="application_reference_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=[
                        "submitted",
                        "eligible",
                        "ineligible",
                        "under_review",
                        "shortlisted",
                        "awarded",
                        "not_awarded",
                    ]
                )
                | (models.Q(submitted_at__isnull=False) & ~models.Q(reference="")),
                name="application_submitted_has_reference_and_time",
            ),
            models.CheckConstraint(
                condition=models.Q(fte_percent__isnull=True) | models.Q(fte_percent__gte=10, fte_percent__lte=100),
                name="application_fte_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(awarded_amount__isnull=True)
                | models.Q(awarded_amount__gte=0, awarded_amount__lte=MAX_AWARD),
                name="application_awarded_amount_range",
            ),
            whole_minute_constraint("extension_until", model="application"),
        ]

    def __str__(self):
        # What people know it by: the reference, or (a draft has none) its title and applicant; never the id.
        if self.reference:
            return self.reference
        return f"Draft “{self.title}” by {self.applicant}" if self.title else f"Untitled draft by {self.applicant}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def deadline(self) -> datetime:
        """The moment from which a submission is late: the call deadline, or this application's extension."""
        if self.extension_until and self.extension_until > self.call.closes_at:
            return self.extension_until
        return self.call.closes_at


class PartnerOrganisation(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    name = models.CharField("organisation name", max_length=200, blank=True)
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    country = models.CharField(max_length=100, blank=True)
    contact_name = models.CharField("contact person", max_length=150, blank=True)
    contact_email = models.EmailField("contact email", blank=True)
    is_health_related = models.BooleanField("health-related organisation", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "partner organisation"

    def __str__(self):
        return self.name or "Unnamed partner"


class CostLine(models.Model):
    class Category(models.TextChoices):
        BACKFILL = "backfill", "Salary to backfill your post"
        OWN_SALARY = "own_salary", "Your own salary (post cannot be backfilled)"
        STIPEND = "stipend", "PhD stipend"
        ACTIVITIES = "activities", "Activities at the partner organisation"
        TRAVEL = "travel", "Travel, accommodation and subsistence"
        OTHER = "other", "Other"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    amount = MoneyField("amount (£)", max_digits=9, decimal_places=2, null=True, blank=True)
    justification = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0), name="cost_line_amount_not_negative"
            )
        ]

    def __str__(self):
        amount = format_pounds(self.amount) if self.amount is not None else "no amount yet"
        return f"{self.get_category_display() or 'Cost'}: {amount}"


class DocumentKind(models.TextChoices):
    CV = "cv", "CV"
    PARTNER_LETTER = "partner_letter", "Letter of support from the partner organisation"
    EMPLOYER_STATEMENT = "employer_statement", "Statement from your employing organisation"


# The two letters someone else signs: the applicant may ask the signatory to upload them.
SIGNED_KINDS = (DocumentKind.PARTNER_LETTER, DocumentKind.EMPLOYER_STATEMENT)


def document_upload_to(instance, filename) -> str:
    # Random names: nothing about the person or the file leaks into the storage path.
    return f"awards/documents/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by_signatory = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="one_document_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.application} ({self.original_name})"

    def get_absolute_url(self):
        return reverse("awards:document", kwargs={"pk": self.pk})


class SignatoryRequest(models.Model):
    """A private, expiring, one-use link emailed to the person who signs a letter.

    Only a hash of the token is stored, so the database never holds a working link.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="signatory_requests")
    kind = models.CharField(max_length=24, choices=[(k.value, k.label) for k in SIGNED_KINDS])
    signatory_name = models.CharField(max_length=150)
    signatory_email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.signatory_name}"

    @property
    def state(self) -> str:
        if self.used_at:
            return "received"
        if self.revoked_at:
            return "replaced"
        return "expired" if self.expires_at <= timezone.now() else "requested"


class ReminderSent(models.Model):
    """Proof that the reminder at one offset went to one application: the sweep's exactly-once guard."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reminders_sent")
    offset_days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "offset_days"], name="one_reminder_per_offset")]

    def __str__(self):
        return f"{self.offset_days}-day reminder for {self.application}"


class ReferenceCounter(models.Model):
    """The last reference number given out in a year; locked while the next is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class ApplicationEvent(models.Model):
    """The audit history of an application: every status change, assignment, conflict, review and outcome email.

    Rows are only ever added, by the services that make the change, in the same transaction.
    """

    class Kind(models.TextChoices):
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Reviewer assigned"
        UNASSIGNED = "unassigned", "Reviewer removed"
        CONFLICT = "conflict", "Conflict of interest declared"
        REVIEW_SUBMITTED = "review_submitted", "Review submitted"
        REVIEW_CHANGED = "review_changed", "Review changed"
        OUTCOME_EMAIL = "outcome_email", "Outcome email queued"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=Application.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Application.Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["application", "created_at"], name="application_event_timeline")]
        verbose_name = "application history entry"
        verbose_name_plural = "application history"

    def __str__(self):
        return f"{self.get_kind_display()} on {self.application} at {format_datetime(self.created_at)}"


class OutcomeEmailTemplate(models.Model):
    """The wording of one outcome email for one call, edited by staff and previewed before anything is sent.

    Subject and body are Django template text rendered with a small, fixed context (see docs/review.md);
    a call without its own wording uses the default in `templates/emails/awards/outcome_<outcome>.txt`.
    """

    class Outcome(models.TextChoices):
        INELIGIBLE = "ineligible", "Ineligible"
        AWARDED = "awarded", "Awarded"
        NOT_AWARDED = "not_awarded", "Not awarded"

    call = models.ForeignKey(AwardCall, on_delete=models.CASCADE, related_name="outcome_templates")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call", "outcome"]
        constraints = [models.UniqueConstraint(fields=["call", "outcome"], name="one_outcome_template_per_call")]
        verbose_name = "outcome email"

    def __str__(self):
        return f"{self.call}: {self.get_outcome_display()} email"


class ApplicationToReview(Application):
    """Applications as a reviewer sees them in the admin: only those assigned to them, read-only.

    A proxy so reviewers can hold permissions on it without holding any on every application.
    """

    class Meta:
        proxy = True
        verbose_name = "application to review"
        verbose_name_plural = "applications to review"


from .review.models import Review, ReviewCriterion, ReviewerAssignment, ReviewScore  # noqa: E402, F401
