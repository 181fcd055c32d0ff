"""Connections between people in the directory. Loaded into the hubs app by hubs/models.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone

__all__ = ["AbuseReport", "Block", "ConnectionRequest"]

MESSAGE_MAX_LENGTH = 500


class ConnectionRequest(models.Model):
    """One person asking another to connect. Accepted requests are the connections."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a reply"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "hubs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sender", "created_at"], name="connreq_sender_created_idx"),
            models.Index(fields=["recipient", "status"], name="connreq_recipient_status_idx"),
        ]
        constraints = [
            # One open conversation per pair, whichever of the two asked: the pair is stored
            # unordered (lowest id, highest id), so A→B and B→A collide.
            models.UniqueConstraint(
                Least("sender", "recipient"),
                Greatest("sender", "recipient"),
                condition=Q(status="pending"),
                name="one_pending_request_per_pair",
            ),
            models.UniqueConstraint(
                Least("sender", "recipient"),
                Greatest("sender", "recipient"),
                condition=Q(status="accepted"),
                name="one_connection_per_pair",
            ),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="no_request_to_self"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(responded_at__isnull=False), name="answered_request_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.sender} → {self.recipient} ({self.get_status_display()})"

    def other(self, user):
        return self.recipient if user.pk == self.sender_id else self.sender


class Block(models.Model):
    """The blocked person can no longer send requests to the blocker, or see them anywhere."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        app_label = "hubs"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="one_block_per_pair"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_block_of_self"),
        ]

    def __str__(self):
        return f"{self.blocker} blocked {self.blocked}"


class AbuseReport(models.Model):
    """A member telling staff about another member's behaviour; staff handle it in the admin."""

    class Status(models.TextChoices):
        OPEN = "open", "Not handled yet"
        HANDLED = "handled", "Handled"

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reported = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="reported person"
    )
    connection_request = models.ForeignKey(
        ConnectionRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_notes = models.TextField(blank=True)

    class Meta:
        app_label = "hubs"
        ordering = ["status", "-created_at"]
        verbose_name = "abuse report"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(handled_at__isnull=False), name="handled_report_has_time"
            ),
        ]

    def __str__(self):
        return f"Report about {self.reported} by {self.reporter}"
