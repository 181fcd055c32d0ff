from crossector.core.models import PriorityArea, User
from crossector.core.vocabulary import Region, Sector
from hubs.network.models import ConnectionRequest
from tests.events.factories import BookingFactory, EventFactory  # noqa: F401  (re-exported for network tests)
from tests.factories import person


def member(*, listed: bool = True, interests=(), **fields) -> User:
    """A person with a complete profile, in the directory unless listed=False."""
    fields.setdefault("sector", Sector.NHS)
    fields.setdefault("region", Region.WALES)
    user = person(directory_listed=listed, **fields)
    if interests:
        user.profile.interests.set(PriorityArea.objects.filter(slug__in=interests))
    return user


def connection_request(
    *, sender: User, recipient: User, status=ConnectionRequest.Status.PENDING, message: str = "Hello, shall we talk?"
) -> ConnectionRequest:
    from django.utils import timezone

    responded = None if status == ConnectionRequest.Status.PENDING else timezone.now()
    return ConnectionRequest.objects.create(
        sender=sender, recipient=recipient, message=message, status=status, responded_at=responded
    )
