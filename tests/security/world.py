"""One of everything, owned by one person ("A"), to try other people's access against.

Every piece of A's personal data carries the word MARKER, so a page that leaks any of it is caught by
one case-insensitive search, whatever the page shows.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile

from awards import services as award_services
from awards.models import Application, Document, SignatoryRequest
from awards.review.models import ReviewerAssignment
from crossector.core.models import OutboundEmail, User
from events.models import Booking, Event
from hubs import services as hub_services
from hubs.models import HubFollow
from hubs.network.models import AbuseReport, Block, ConnectionRequest
from tests.awards.factories import AwardCallFactory, application, complete, pdf_bytes
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person
from tests.network.factories import connection_request, member

MARKER = "quillfeather"

REVIEWER_PERMISSIONS = (
    ("awards", "view_applicationtoreview"),
    ("awards", "view_review"),
    ("awards", "add_review"),
    ("awards", "change_review"),
    ("awards", "view_reviewerassignment"),
    ("awards", "change_reviewerassignment"),
)


@dataclass
class World:
    owner: User
    other: User
    reviewer: User
    draft: Application
    submitted: Application
    document: Document
    signatory: SignatoryRequest
    event: Event
    booking: Booking
    connection: ConnectionRequest
    follow: HubFollow
    owned: list = field(default_factory=list)
    assigned_reviewer: User | None = None  # reviews A's submitted application (a legitimate role there)
    other_hub_organiser: User | None = None  # organises a hub other than the one of A's event

    def owned_object_of(self, model):
        """A's object of this model (a proxy model matches its concrete model), or None."""
        concrete = model._meta.concrete_model
        return next((obj for obj in self.owned if type(obj)._meta.concrete_model is concrete), None)


def reviewer_in_group() -> User:
    """A reviewer as programme staff set them up: staff, in the Reviewers group, reviewing someone else."""
    user = person(is_staff=True, full_name="Rowan Reviewer")
    group, _ = Group.objects.get_or_create(name="Reviewers")
    for app_label, codename in REVIEWER_PERMISSIONS:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission:
            group.permissions.add(permission)
    user.groups.add(group)
    return user


def world_build() -> World:
    owner = person(
        email=f"zephyrine.{MARKER}@example.org",
        full_name=f"Zephyrine {MARKER.title()}",
        organisation=f"{MARKER.title()} Genomics Ltd",
        job_title=f"{MARKER.title()} lead scientist",
        bio=f"{MARKER} bio",
        directory_listed=False,
    )
    other = person(full_name="Bertram Other")
    reviewer = reviewer_in_group()

    # A's draft, with a document and a letter asked of a signatory.
    draft = application(call=AwardCallFactory(), applicant=owner, title=f"{MARKER.title()} draft proposal")
    document = Document(application=draft, kind="cv", original_name=f"{MARKER}-cv.pdf", size=100)
    document.file.save("x.pdf", ContentFile(pdf_bytes()), save=True)
    award_services.signatory_request_create(
        application=draft,
        user=owner,
        kind="employer_statement",
        name=f"Dr {MARKER.title()}",
        email=f"head.{MARKER}@example.org",
    )
    signatory = SignatoryRequest.objects.get(application=draft)

    # A's submitted application, assigned to a different reviewer; our reviewer reviews someone else's.
    submitted = complete(application(call=AwardCallFactory(), applicant=owner))
    Application.objects.filter(pk=submitted.pk).update(title=f"{MARKER.title()} submitted proposal")
    submitted = award_services.application_submit(application=submitted, user=owner)
    assigned_reviewer = reviewer_in_group()
    ReviewerAssignment.objects.create(application=submitted, reviewer=assigned_reviewer)
    elsewhere = complete(application(call=submitted.call))
    elsewhere = award_services.application_submit(application=elsewhere, user=elsewhere.applicant)
    ReviewerAssignment.objects.create(application=elsewhere, reviewer=reviewer)

    # A's booking (with access needs and attendee-list consent) on an event with check-in.
    event = EventFactory()
    booking = BookingFactory(
        event=event,
        user=owner,
        dietary_requirements=f"{MARKER} dietary note",
        access_requirements=f"{MARKER} access needs",
        attendee_list_consent=True,
    )
    BookingFactory(event=event)  # someone else at the same event

    # A's side of the network: a request to someone listed, a block and a report.
    listed = member(full_name="Casey Listed")
    connection = connection_request(sender=owner, recipient=listed, message=f"{MARKER} private hello")
    block = Block.objects.create(blocker=owner, blocked=person(full_name="Dana Blocked"))
    report = AbuseReport.objects.create(reporter=owner, reported=listed, reason=f"{MARKER} report reason")
    follow = hub_services.hub_follow(hub=event.hub, user=owner)

    owned = [
        owner,
        owner.profile,
        owner.emailaddress_set.first(),
        draft,
        submitted,
        document,
        signatory,
        booking,
        connection,
        block,
        report,
        follow,
        submitted.reviewer_assignments.first(),
        *OutboundEmail.objects.filter(to__icontains=MARKER),
        *submitted.partners.all(),
        *submitted.cost_lines.all(),
    ]
    return World(
        owner=owner,
        other=other,
        reviewer=reviewer,
        draft=draft,
        submitted=submitted,
        document=document,
        signatory=signatory,
        event=event,
        booking=booking,
        connection=connection,
        follow=follow,
        owned=[obj for obj in owned if obj is not None],
        assigned_reviewer=assigned_reviewer,
        other_hub_organiser=organiser_of_another_hub(event),
    )


def organiser_of_another_hub(event: Event) -> User:
    """A hub organiser (staff, in the Hub organisers group) linked only to a hub that is not `event`'s."""
    from events.permissions import organisers_group_ensure
    from tests.events.factories import HubFactory

    user = person(is_staff=True, full_name="Orla Organiser")
    user.groups.add(organisers_group_ensure())
    hub = HubFactory()
    assert hub.pk != event.hub_id
    hub.organisers.add(user)
    return user
