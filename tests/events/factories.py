from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Booking, Event
from hubs.models import Contact, Hub, Partner
from tests.factories import person


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test hub {n}")
    slug = factory.Sequence(lambda n: f"test-hub-{n}")
    region = "wales"
    summary = "A networking hub for testing."
    description = "People from different sectors meet here."


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    hub = factory.SubFactory(HubFactory)
    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    website = "https://partner.example.org/"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    hub = factory.SubFactory(HubFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Hub lead"
    email = factory.Sequence(lambda n: f"contact{n}@partner.example.org")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    hub = factory.SubFactory(HubFactory)
    title = factory.Sequence(lambda n: f"Networking event {n}")
    slug = factory.Sequence(lambda n: f"networking-event-{n}")
    summary = "Meet people from other sectors."
    description = "A morning of short talks and conversation."
    format = Event.Format.IN_PERSON
    venue_name = "Cardiff City Hall"
    address = "Cathays Park, Cardiff CF10 3ND"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    capacity = 30
    waiting_list_enabled = True
    status = Event.Status.PUBLISHED


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    event = factory.SubFactory(EventFactory)
    user = factory.LazyFunction(person)
    status = Booking.Status.CONFIRMED
    sector = factory.LazyAttribute(lambda o: o.user.profile.sector)
    cancelled_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Booking.Status.CANCELLED else None)
