"""Reviewers, their assignments and conflicts, the criteria a call is scored on, and the reviews themselves.

Imported at the end of `awards/models.py`, so these models belong to the `awards` app.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DEFAULT_CRITERIA = (
    ("Quality of the proposal and fit to the scheme", ""),
    ("Benefit to the applicant and both organisations", ""),
    ("Potential for lasting cross-sector collaboration", ""),
    ("Feasibility and value for money", ""),
)


class ReviewCriterion(models.Model):
    """One thing a call's reviewers score from 1 to 5."""

    call = models.ForeignKey("awards.AwardCall", on_delete=models.CASCADE, related_name="criteria")
    title = models.CharField(max_length=150)
    description = models.TextField(blank=True, help_text="What a reviewer should look for.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "review criterion"
        verbose_name_plural = "review criteria"
        constraints = [models.UniqueConstraint(fields=["call", "title"], name="criterion_title_unique_per_call")]

    def __str__(self):
        return self.title


class ReviewerAssignment(models.Model):
    """A reviewer assigned to an application. A declared conflict ends their access but keeps the record."""

    application = models.ForeignKey("awards.Application", on_delete=models.CASCADE, related_name="reviewer_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="award_reviews")
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conflict_declared_at = models.DateTimeField(null=True, blank=True)
    conflict_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="one_assignment_per_reviewer")]
        indexes = [models.Index(fields=["reviewer", "conflict_declared_at"], name="assignment_reviewer_active")]

    def __str__(self):
        return f"{self.reviewer} reviews {self.application}"

    @property
    def has_conflict(self) -> bool:
        return self.conflict_declared_at is not None


class Review(models.Model):
    """One reviewer's scores, recommendation and comments; hidden from other reviewers until they submit theirs."""

    class Recommendation(models.TextChoices):
        FUND = "fund", "Fund"
        FUND_IF_CHANGED = "fund_if_changed", "Fund if the points in my comments are addressed"
        DO_NOT_FUND = "do_not_fund", "Do not fund"

    assignment = models.OneToOneField(ReviewerAssignment, on_delete=models.CASCADE, related_name="review")
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices, blank=True)
    comments = models.TextField(blank=True)
    # The mean of this review's scores, stored when it is submitted so lists can sort and average cheaply.
    mean_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assignment__assigned_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mean_score__isnull=True) | models.Q(mean_score__gte=1, mean_score__lte=5),
                name="review_mean_score_range",
            ),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True)
                | (models.Q(mean_score__isnull=False) & ~models.Q(recommendation="")),
                name="review_submitted_is_complete",
            ),
        ]

    def __str__(self):
        return f"Review of {self.assignment.application} by {self.assignment.reviewer}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ReviewCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="score_between_1_and_5"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.score}"
