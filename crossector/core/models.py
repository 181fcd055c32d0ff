import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from .vocabulary import Region, Sector


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. They sign in with their email address; there is no username."""

    email = models.EmailField("email address", unique=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def get_full_name(self):
        profile = getattr(self, "profile", None)
        return profile.full_name if profile and profile.full_name else self.email

    def get_short_name(self):
        return self.get_full_name()


class PriorityArea(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class Profile(models.Model):
    """Who a person is in the programme: every feature reads the sector and region from here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(max_length=150, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    region = models.CharField("UK nation or region", max_length=32, choices=Region.choices, blank=True)
    interests = models.ManyToManyField(PriorityArea, blank=True, related_name="+")
    bio = models.TextField("short bio", max_length=600, blank=True)
    # The people directory (hubs/network). Off until the person switches it on; name and sector are
    # always shown once listed, each other detail only if they tick it.
    directory_listed = models.BooleanField("Show me in the people directory", default=False)
    directory_show_organisation = models.BooleanField("Organisation and job title", default=True)
    directory_show_region = models.BooleanField("Nation or region", default=True)
    directory_show_interests = models.BooleanField("Interests", default=True)
    directory_show_bio = models.BooleanField("Short bio", default=True)
    open_to_collaborating = models.BooleanField("Collaborating", default=False)
    open_to_hosting = models.BooleanField("Hosting a placement", default=False)
    open_to_mentoring = models.BooleanField("Mentoring", default=False)
    open_to_co_applying = models.BooleanField("Co-applying for an award", default=False)
    open_to_speaking = models.BooleanField("Speaking at an event", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    REQUIRED_FIELDS = ("full_name", "organisation", "job_title", "sector", "region")

    class Meta:
        indexes = [
            models.Index(fields=["full_name"], condition=models.Q(directory_listed=True), name="profile_directory_idx"),
        ]

    def __str__(self):
        return self.full_name or str(self.user)

    @property
    def is_complete(self) -> bool:
        return all(getattr(self, name) for name in self.REQUIRED_FIELDS)

    OPEN_TO_FIELDS = (
        "open_to_collaborating",
        "open_to_hosting",
        "open_to_mentoring",
        "open_to_co_applying",
        "open_to_speaking",
    )
    DIRECTORY_SHOW_FIELDS = (
        "directory_show_organisation",
        "directory_show_region",
        "directory_show_interests",
        "directory_show_bio",
    )

    @property
    def open_to_labels(self) -> list[str]:
        return [self._meta.get_field(name).verbose_name for name in self.OPEN_TO_FIELDS if getattr(self, name)]


class OutboundEmail(models.Model):
    """One email, written in the same transaction as the change that causes it.

    The row is the unit of delivery: the send task claims it with a conditional update, so a
    row is sent at most once however many times its task runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    idempotency_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField("recipient")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    subject = models.CharField(max_length=250)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "mimetype": ..., "content_b64": ...}]
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "email"
        verbose_name_plural = "outbox"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["to"], name="outbox_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False), name="outbox_sent_has_time"
            )
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class SecondFactorEnrolmentLink(models.Model):
    """One emailed link that lets an account that needs two-factor authentication set up its app.

    The signed link names the user and `nonce`; it opens once (`used_at` is set by a conditional update, so
    two clicks at the same moment cannot both pass) and only within `crossector.core.mfa_enrolment.LINK_MAX_AGE`.
    The rows hold no personal data (a user id, a random nonce and two times).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor_enrolment_links"
    )
    nonce = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "two-factor set-up link"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Two-factor set-up link for {self.user}"
