import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crossector.core.minutes import MinuteDateTimeField, whole_minute_constraint
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Sector
from hubs.models import Hub


class Event(models.Model):
    """A networking event, usually hosted by a hub; Academy-wide events have no hub."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        HYBRID = "hybrid", "Hybrid"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    hub = models.ForeignKey(
        Hub,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text="Leave blank for Academy-wide events.",
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    priority_areas = models.ManyToManyField(PriorityArea, blank=True, related_name="events")
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.IN_PERSON)
    venue_name = models.CharField("venue", max_length=200, blank=True)
    address = models.TextField(blank=True)
    online_url = models.URLField(
        "online joining link", blank=True, help_text="Shown only to people with a confirmed place."
    )
    # Whole minutes (crossector.core.minutes): pages show hours and minutes, and the rules use the same moment.
    starts_at = MinuteDateTimeField()
    ends_at = MinuteDateTimeField()
    booking_opens_at = MinuteDateTimeField(null=True, blank=True, help_text="Blank: open as soon as published.")
    booking_closes_at = MinuteDateTimeField(null=True, blank=True, help_text="Blank: open until the event starts.")
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Blank: unlimited places.")
    waiting_list_enabled = models.BooleanField("waiting list", default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Stable identity for calendar files: the UID never changes; SEQUENCE goes up with every change
    # of time or place so calendar apps replace the entry instead of adding a second one.
    calendar_uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="event_status_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(booking_closes_at__isnull=True)
                | Q(booking_opens_at__isnull=True)
                | Q(booking_closes_at__gt=models.F("booking_opens_at")),
                name="event_booking_closes_after_opens",
            ),
            *(
                whole_minute_constraint(field, model="event")
                for field in ("starts_at", "ends_at", "booking_opens_at", "booking_closes_at")
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"slug": self.slug})

    @property
    def is_online(self) -> bool:
        return self.format in (self.Format.ONLINE, self.Format.HYBRID)

    @property
    def has_venue(self) -> bool:
        return self.format in (self.Format.IN_PERSON, self.Format.HYBRID)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings")
    # Empty once the person deletes their account: the booking stays, anonymised, for event statistics.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="bookings"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    # The person's sector when they booked, so the event's sector mix does not drift with later profile edits.
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    dietary_requirements = models.CharField(max_length=500, blank=True)
    access_requirements = models.CharField(max_length=500, blank=True)
    attendee_list_consent = models.BooleanField(
        "appear on the attendee list",
        default=False,
        help_text="Other attendees can see this person's name, organisation and sector.",
    )
    # When the person gave the consent they still give: access requirements are health data (special category),
    # kept only with explicit consent; both are cleared when it is withdrawn or the booking is cancelled.
    access_requirements_consent_at = models.DateTimeField(
        "consent to use access requirements given at", null=True, blank=True, editable=False
    )
    attendee_list_consent_at = models.DateTimeField(
        "consent to appear on the attendee list given at", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    promoted_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    attended_at = models.DateTimeField("checked in at", null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["event", "status", "created_at"], name="booking_event_status_idx"),
            models.Index(fields=["user", "status"], name="booking_user_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], condition=~Q(status="cancelled"), name="one_active_booking_per_user_per_event"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False), name="cancelled_booking_has_time"
            ),
        ]

    def __str__(self):
        # The booker's account may have been deleted: the booking stays, anonymised (see `user`).
        return f"{self.user or 'Deleted account'} – {self.event} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED
