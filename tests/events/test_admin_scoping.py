"""Issue 14: a hub organiser's filters name only their hubs and events; the hub form's organisers picker
offers only the Hub organisers group."""

import pytest
from django.urls import reverse

from events.permissions import organisers_group_ensure
from tests.awards.staff import reviewer
from tests.conftest import login_with_mfa
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    wales, scotland, ni = (HubFactory(name=f"{n} hub", slug=n.lower()) for n in ("Wales", "Scotland", "Ulster"))
    events = {
        "wales": EventFactory(hub=wales, title="Precision medicine in Cardiff"),
        "scotland": EventFactory(hub=scotland, title="Meet the President in Edinburgh"),
        "ni": EventFactory(hub=ni, title="Belfast digital health"),
        "academy": EventFactory(hub=None, title="Mentoring Masterclass"),
    }
    for event in events.values():
        BookingFactory(event=event)
    return {"wales": wales, "scotland": scotland, "ni": ni, "events": events}


def organiser_of(*hubs, email="organiser@example.org"):
    user = person(is_staff=True, email=email)
    user.groups.add(organisers_group_ensure())
    for hub in hubs:
        hub.organisers.add(user)
    return user


def filter_choices(response, title: str) -> list[str]:
    spec = next((f for f in response.context["cl"].filter_specs if f.title == title), None)
    if spec is None:  # a filter with nothing to offer is not shown at all
        return []
    return [c["display"] for c in spec.choices(response.context["cl"]) if c["display"] != "All"]


@pytest.mark.parametrize(
    ("hubs", "events_seen"),
    [
        (["wales"], ["Precision medicine in Cardiff"]),
        (["wales", "ni"], ["Belfast digital health", "Precision medicine in Cardiff"]),
        ([], []),
    ],
)
def test_organiser_booking_and_event_filters_list_only_their_hubs_events(client, world, hubs, events_seen):
    user = organiser_of(*(world[h] for h in hubs))
    login_with_mfa(client, user)
    hub_names = sorted(world[h].name for h in hubs)

    bookings = client.get(reverse("admin:events_booking_changelist"))
    assert sorted(filter_choices(bookings, "event")) == events_seen
    assert sorted(filter_choices(bookings, "hub")) == hub_names
    page = bookings.content.decode()
    for other in ("Meet the President in Edinburgh", "Mentoring Masterclass", "Scotland hub"):
        assert other not in page

    events = client.get(reverse("admin:events_event_changelist"))
    assert sorted(filter_choices(events, "hub")) == hub_names


def test_organiser_cannot_filter_their_way_to_another_hubs_bookings(client, world):
    login_with_mfa(client, organiser_of(world["wales"]))
    scottish = world["events"]["scotland"]
    for query in (f"?event={scottish.pk}", f"?hub={world['scotland'].pk}"):
        response = client.get(reverse("admin:events_booking_changelist") + query)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []
    for query in ("?event=x", "?hub=1 OR 1=1"):  # not a choice: ignored, still only their own bookings
        response = client.get(reverse("admin:events_booking_changelist") + query)
        assert response.status_code == 200
        assert {b.event.hub for b in response.context["cl"].result_list} == {world["wales"]}


def test_programme_staff_filters_list_every_hub_and_event_and_filter_works(client, world, staff_user):
    login_with_mfa(client, staff_user)
    bookings = client.get(reverse("admin:events_booking_changelist"))
    assert len(filter_choices(bookings, "event")) == 4
    assert sorted(filter_choices(bookings, "hub")) == ["Scotland hub", "Ulster hub", "Wales hub"]
    wales_event = world["events"]["wales"]
    for query in (f"?event={wales_event.pk}", f"?hub={world['wales'].pk}"):
        shown = client.get(reverse("admin:events_booking_changelist") + query).context["cl"].result_list
        assert [b.event_id for b in shown] == [wales_event.pk]


def test_hub_organisers_picker_offers_only_the_hub_organisers_group(client, staff_user, world):
    organisers = [organiser_of(email=f"org{i}@example.org") for i in range(2)]
    a_reviewer = reviewer()
    other_staff = person(is_staff=True, email="staff2@example.org")
    left = organiser_of(email="left@example.org")
    left.is_active = False
    left.save()
    person(email="attendee@example.org")
    login_with_mfa(client, staff_user)

    for url in (reverse("admin:hubs_hub_add"), reverse("admin:hubs_hub_change", args=[world["wales"].pk])):
        form = client.get(url).context["adminform"].form
        offered = set(form.fields["organisers"].queryset)
        assert offered == set(organisers)
        assert a_reviewer not in offered and other_staff not in offered and staff_user not in offered
        assert "Hub organisers" in form.fields["organisers"].help_text
