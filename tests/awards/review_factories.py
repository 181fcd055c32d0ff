"""Reviewers, submitted applications and reviews for the review tests."""

from datetime import timedelta

from django.utils import timezone

from awards.models import Application, PartnerOrganisation
from awards.review.models import Review, ReviewerAssignment, ReviewScore
from awards.review.permissions import reviewers_group_ensure
from awards.review.services import criteria_ensure
from crossector.core.vocabulary import Sector
from tests.awards.factories import AwardCallFactory, application, complete
from tests.factories import person

_counter = iter(range(1, 10**6))


def reviewer(organisation="Reviewer Institute", **fields):
    """A staff account in the Reviewers group."""
    user = person(is_staff=True, organisation=organisation, **fields)
    user.groups.add(reviewers_group_ensure())
    return user


def submitted(call=None, *, status=Application.Status.SUBMITTED, organisation=None, partners=(), full=True, **fields):
    """An application in a submitted status (reference and submission time set as submission would)."""
    call = call or AwardCallFactory()
    app = application(call=call, **fields)
    if full:
        app = complete(app)
    n = next(_counter)
    Application.objects.filter(pk=app.pk).update(
        status=status,
        reference=f"CSEA-2099-{n:05d}",
        submitted_at=timezone.now() - timedelta(days=1) + timedelta(seconds=n),
        **({"organisation": organisation} if organisation is not None else {}),
    )
    for name in partners:
        PartnerOrganisation.objects.create(application=app, name=name, sector=Sector.INDUSTRY_SME)
    app.refresh_from_db()
    return app


def assign(app, user, **fields):
    return ReviewerAssignment.objects.create(application=app, reviewer=user, **fields)


def submitted_review(assignment, scores, recommendation=Review.Recommendation.FUND, comments="Solid plan."):
    """A submitted review written straight to the database (the service is tested on its own)."""
    criteria = criteria_ensure(call=assignment.application.call)
    mean = sum(scores) / len(scores)
    review = Review.objects.create(
        assignment=assignment,
        recommendation=recommendation,
        comments=comments,
        mean_score=round(mean, 2),
        submitted_at=timezone.now(),
    )
    for criterion, score in zip(criteria, scores, strict=True):
        ReviewScore.objects.create(review=review, criterion=criterion, score=score)
    return review
