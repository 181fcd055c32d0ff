"""Shared builders for the data-rights tests: a person with something in every part of the portal."""

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from awards.models import Application, ApplicationEvent, Review, ReviewerAssignment, SignatoryRequest
from crossector.core.models import OutboundEmail, PriorityArea, User
from crossector.core.services import email_queue
from events.models import Booking, Event
from hubs.models import HubFollow
from hubs.network.models import AbuseReport, Block, ConnectionRequest
from tests.awards.factories import AwardCallFactory, application, complete
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person
from tests.network.factories import connection_request, member


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads go to a throwaway folder, never the shared private media root."""
    location = tmp_path / "private-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": location, "base_url": None}},
    }
    yield location
    shutil.rmtree(location, ignore_errors=True)


def recently_signed_in(client, user: User):
    """Sign in as if the password had just been confirmed again, so allauth asks for no re-authentication."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


@dataclass
class Footprint:
    user: User
    future_booking: Booking
    past_booking: Booking
    draft: Application
    submitted: Application
    reviewer: User
    friend: User
    stranger: User


def footprint(*, copies: int = 1, full_name: str = "Ffion Aderyn-Pritchard", email: str = "ffion@example.org"):
    """A person with `copies` of everything: bookings, applications, requests, blocks, reports and emails.

    Other people's addresses carry a suffix for every footprint after the default one, so a test can build two.
    """
    x = "" if email == "ffion@example.org" else "-" + email.split("@")[0]
    user = member(
        full_name=full_name,
        email=email,
        organisation="Powys Teaching Health Board",
        job_title="Consultant clinical scientist",
        bio="I work on digital pathology in mid Wales.",
    )
    user.profile.interests.set(PriorityArea.objects.all()[:2])
    reviewer = person(full_name="Rhiannon Reviewer", email=f"rhiannon.reviewer{x}@example.org", is_staff=True)
    friend = member(full_name="Gareth Friend", email=f"gareth.friend{x}@example.org")
    stranger = member(full_name="Sian Stranger", email=f"sian.stranger{x}@example.org")
    now = timezone.now()
    hub = HubFactory()
    HubFollow.objects.create(hub=hub, user=user)
    first = {}
    for n in range(copies):
        future = BookingFactory(
            user=user,
            event=EventFactory(hub=hub, title=f"Precision medicine in Cardiff {n}"),
            access_requirements="Step-free access and a hearing loop, please",
            dietary_requirements="Vegan",
        )
        past_event = EventFactory(
            hub=hub,
            title=f"Care closer to home {n}",
            starts_at=now - timedelta(days=60),
            ends_at=now - timedelta(days=60) + timedelta(hours=3),
        )
        past = BookingFactory(
            user=user, event=past_event, access_requirements="Wheelchair user", attended_at=past_event.starts_at
        )
        draft = complete(application(call=AwardCallFactory(), applicant=user, title=f"Draft idea {n}"))
        Application.objects.filter(pk=draft.pk).update(title=f"Pathology AI placement {n}")
        draft.refresh_from_db()
        SignatoryRequest.objects.create(
            application=draft,
            kind="partner_letter",
            signatory_name="Tom Ellison",
            signatory_email="tom@example.org",
            token_hash=uuid.uuid4().hex * 2,
            expires_at=now + timedelta(days=14),
        )
        submitted = application(
            call=AwardCallFactory(),
            applicant=user,
            status=Application.Status.NOT_AWARDED,
            reference=f"CSEA-24-{n:04d}{x}"[:20],
            submitted_at=now - timedelta(days=30),
            title=f"Genomics secondment {n}",
        )
        ApplicationEvent.objects.create(
            application=submitted,
            kind=ApplicationEvent.Kind.STATUS,
            from_status="submitted",
            to_status="not_awarded",
            actor=reviewer,
        )
        assignment = ReviewerAssignment.objects.create(application=submitted, reviewer=reviewer)
        Review.objects.create(assignment=assignment, comments="Confidential: weak partner letter")
        other = member(full_name=f"Contact {n}", email=f"contact{n}{x}@example.org")
        connection_request(sender=user, recipient=other, message=f"Shall we talk about pathology {n}?")
        connection_request(
            sender=member(full_name=f"Asker {n}", email=f"asker{n}{x}@example.org"),
            recipient=user,
            status=ConnectionRequest.Status.DECLINED,
        )
        blocked = member(full_name=f"Pest {n}", email=f"pest{n}{x}@example.org")
        Block.objects.create(blocker=user, blocked=blocked)
        AbuseReport.objects.create(reporter=user, reported=blocked, reason=f"Rude messages {n}")
        email_queue(
            to=user.email,
            user=user,
            subject=f"Your place is booked {n}",
            body_text=f"Dear {full_name}, see you there.",
            body_html=f"<p>Dear {full_name}</p>",
            idempotency_key=f"test-{user.pk}-{n}",
        )
        first.setdefault("values", (future, past, draft, submitted))
    connection_request(sender=friend, recipient=user, status=ConnectionRequest.Status.ACCEPTED)
    connection_request(sender=user, recipient=stranger, status=ConnectionRequest.Status.DECLINED)
    OutboundEmail.objects.filter(user=user).update(status=OutboundEmail.Status.SENT, sent_at=now)
    future, past, draft, submitted = first["values"]
    return Footprint(user, future, past, draft, submitted, reviewer, friend, stranger)


__all__ = ["Event", "Footprint", "footprint", "private_media", "recently_signed_in"]
