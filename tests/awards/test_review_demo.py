"""The demo review round: reviewers, a dozen submitted applications in every status, reviews; idempotent."""

from collections import Counter

import pytest

from awards.models import Application, ApplicationEvent
from awards.review.models import Review, ReviewerAssignment
from crossector.core.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_demo_review_round_is_seeded_once_through_the_services():
    from awards import demo
    from crossector.core import demo as core_demo

    users = core_demo.seed()
    demo.seed(users)
    counts = (
        Application.objects.count(),
        ReviewerAssignment.objects.count(),
        ApplicationEvent.objects.count(),
        OutboundEmail.objects.count(),
    )
    demo.seed(users)
    assert counts == (
        Application.objects.count(),
        ReviewerAssignment.objects.count(),
        ApplicationEvent.objects.count(),
        OutboundEmail.objects.count(),
    )
    statuses = Counter(Application.objects.filter(call__slug="csea-2025").values_list("status", flat=True))
    assert sum(statuses.values()) == 12
    assert set(statuses) == set(Application.SUBMITTED_STATUSES)
    demo_reviewer = users["reviewer"]
    demo_reviewer.refresh_from_db()
    assert demo_reviewer.is_staff and demo_reviewer.has_perm("awards.view_applicationtoreview")
    assert not demo_reviewer.has_perm("awards.view_application")
    assert ReviewerAssignment.objects.filter(reviewer=demo_reviewer, conflict_declared_at__isnull=True).exists()
    assert ReviewerAssignment.objects.filter(conflict_declared_at__isnull=False).count() == 1
    assert Review.objects.filter(submitted_at__isnull=False, mean_score__isnull=False).count() >= 8
    awarded = Application.objects.filter(status=Application.Status.AWARDED)
    assert all(a.partners.exists() and a.cost_lines.exists() and a.priority_areas.exists() for a in awarded)
