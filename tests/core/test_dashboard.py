"""The programme dashboard: who may see it, what each figure counts, and a fixed number of queries."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from awards import figures as award_figures
from awards.models import Application, CostLine, PartnerOrganisation
from crossector.core.vocabulary import Sector
from events import figures as event_figures
from events.models import Booking, Event
from hubs import figures as hub_figures
from hubs.models import HubFollow
from hubs.network.models import ConnectionRequest
from tests.awards.factories import AwardCallFactory, application
from tests.conftest import login_with_mfa
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db

S = Application.Status
_refs = itertools.count(1)


def submitted(call, *, status=S.SUBMITTED, employing=Sector.NHS, partners=(), costs=(), **fields):
    app = application(
        call=call,
        status=status,
        submitted_at=timezone.now(),
        reference=f"CSEA-T-{next(_refs):05d}",
        organisation_sector=employing,
        **fields,
    )
    for sector in partners:
        PartnerOrganisation.objects.create(application=app, name=f"Partner in {sector}", sector=sector)
    for amount in costs:
        CostLine.objects.create(application=app, category="travel", amount=Decimal(amount))
    return app


def connect(a, b, status=ConnectionRequest.Status.ACCEPTED):
    return ConnectionRequest.objects.create(
        sender=a, recipient=b, message="Hello", status=status, responded_at=timezone.now()
    )


@pytest.fixture
def awards_data():
    round_a = AwardCallFactory(name="Round A")
    round_b = AwardCallFactory(name="Round B")
    # Two partners in the same sector count once in their cell; its costs are requested, the award is set.
    submitted(
        round_a,
        status=S.AWARDED,
        partners=[Sector.INDUSTRY_SME, Sector.INDUSTRY_SME],
        costs=["1000", "500.50"],
        awarded_amount=Decimal("1200"),
    )
    # Partners in two sectors: one count in each of two cells.
    submitted(
        round_a,
        status=S.UNDER_REVIEW,
        employing=Sector.ACADEMIA,
        partners=[Sector.INDUSTRY_LARGE, Sector.CHARITY],
        costs=["2000"],
    )
    application(call=round_a, organisation_sector=Sector.NHS)  # a draft: in "by status", nowhere else
    submitted(round_b, status=S.WITHDRAWN, partners=[Sector.INDUSTRY_SME], costs=["7000"])  # withdrawn: left out
    return round_a, round_b


def test_applications_are_counted_by_call_and_status_drafts_included(awards_data):
    round_a, round_b = awards_data
    counts = award_figures.applications_count_by_call_and_status()
    assert counts == {
        (round_a.pk, S.AWARDED): 1,
        (round_a.pk, S.UNDER_REVIEW): 1,
        (round_a.pk, S.DRAFT): 1,
        (round_b.pk, S.WITHDRAWN): 1,
    }


def test_sector_matrix_counts_submitted_applications_once_per_cell(awards_data):
    assert award_figures.sector_pairs_count() == {
        (Sector.NHS, Sector.INDUSTRY_SME): 1,
        (Sector.ACADEMIA, Sector.INDUSTRY_LARGE): 1,
        (Sector.ACADEMIA, Sector.CHARITY): 1,
    }


def test_amounts_requested_are_submitted_cost_lines_and_awarded_are_awarded_amounts(awards_data):
    figures = {c.name: c for c in award_figures.calls_with_amounts()}
    assert figures["Round A"].amount_requested == Decimal("3500.50")
    assert figures["Round A"].amount_awarded == Decimal("1200")
    assert (figures["Round A"].submitted, figures["Round A"].awarded) == (2, 1)
    assert figures["Round B"].amount_requested == 0 and figures["Round B"].submitted == 0


@pytest.fixture
def network_data():
    wales, scotland = HubFactory(name="Wales hub", slug="wales"), HubFactory(name="Scotland hub", slug="scotland")
    cardiff = EventFactory(hub=wales, title="Cardiff event")
    swansea = EventFactory(hub=wales, title="Swansea event")
    EventFactory(hub=wales, title="Draft event", status=Event.Status.DRAFT)
    ada, bo, cy, di, ed = (
        person(full_name=name, sector=sector)
        for name, sector in [
            ("Ada", Sector.NHS),
            ("Bo", Sector.INDUSTRY_SME),
            ("Cy", Sector.ACADEMIA),
            ("Di", Sector.NHS),
            ("Ed", Sector.CHARITY),
        ]
    )
    BookingFactory(event=cardiff, user=ada, attended_at=timezone.now())
    BookingFactory(event=cardiff, user=bo, attended_at=timezone.now())
    BookingFactory(event=cardiff, user=cy)
    BookingFactory(event=cardiff, user=di, status=Booking.Status.WAITLISTED)
    BookingFactory(event=swansea, user=cy)
    BookingFactory(event=swansea, user=ed, status=Booking.Status.CANCELLED)
    HubFollow.objects.create(hub=wales, user=di)
    HubFollow.objects.create(hub=wales, user=ada)
    HubFollow.objects.create(hub=scotland, user=ed)
    connect(ada, bo)  # both confirmed at Cardiff: counts for Cardiff and for Wales
    connect(bo, cy)  # both confirmed at Cardiff too
    connect(cy, di)  # Di is only waitlisted for Cardiff but follows Wales: Wales, no event
    connect(ada, ed)  # Ed cancelled and follows Scotland only: nowhere
    connect(ada, cy, status=ConnectionRequest.Status.PENDING)  # not a connection yet
    return wales, scotland, cardiff, swansea


def test_event_attendance_and_connections_between_confirmed_attendees(network_data):
    wales, scotland, cardiff, swansea = network_data
    events = {e.title: e for e in event_figures.events_with_attendance()}
    assert set(events) == {"Cardiff event", "Swansea event"}  # drafts are not programme events yet
    cardiff_row = events["Cardiff event"]
    assert (cardiff_row.confirmed, cardiff_row.checked_in, cardiff_row.waitlisted) == (3, 2, 1)
    assert cardiff_row.connections == 2
    assert events["Swansea event"].connections == 0
    assert event_figures.attendance_totals() == {"confirmed": 4, "checked_in": 2, "waitlisted": 1, "events": 2}


def test_attendee_sector_mix_counts_confirmed_bookings_and_check_ins(network_data):
    assert event_figures.attendee_sectors_count() == {
        Sector.NHS: (1, 1),
        Sector.INDUSTRY_SME: (1, 1),
        Sector.ACADEMIA: (2, 0),
    }


def test_hub_followers_and_connections_between_the_hubs_people(network_data):
    wales, scotland, *_ = network_data
    followers = {h.name: h.followers for h in hub_figures.hubs_with_followers()}
    assert followers == {"Scotland hub": 1, "Wales hub": 2}
    assert event_figures.hub_connections_count() == {wales.pk: 3, scotland.pk: 0}
    assert hub_figures.connections_total() == {"accepted": 4, "pending": 1}


# --- The page -------------------------------------------------------------------------------------


def test_dashboard_shows_each_section_with_charts_and_their_tables(staff_client, awards_data, network_data):
    response = staff_client.get("/admin/dashboard/")
    assert response.status_code == 200
    content = response.content.decode()
    for heading in (
        "Applications by status",
        "Submitted applications by call",
        "From which sector to which",
        "Amounts requested and awarded per call",
        "Confirmed places and check-ins per event",
        "Attendees by sector",
        "Followers and connections per hub",
        "Connections between attendees per event",
    ):
        assert heading in content, heading
    assert content.count('role="img"') == 7 and content.count("<details") == 7
    assert 'aria-labelledby="chart-money-title chart-money-desc"' in content
    assert '<td class="num">£3,500</td><td class="num">£1,200</td>' in content.replace("\n", "")
    assert 'class="num heat-5">1</td>' in content  # the matrix is a heat-map table
    assert "style=" not in content.split('id="content-main"')[1]  # no inline styles (the CSP forbids them)
    assert "<script>" not in content


def test_admin_index_links_to_the_dashboard(staff_client):
    assert 'href="/admin/dashboard/"' in staff_client.get("/admin/").content.decode()


def test_reviewer_gets_403_and_anonymous_the_login(client):
    assert client.get("/admin/dashboard/")["Location"] == "/accounts/login/?next=%2Fadmin%2Fdashboard%2F"
    reviewer = person(is_staff=True)
    group, _ = Group.objects.get_or_create(name="Reviewers")
    group.permissions.set(Permission.objects.filter(codename="view_applicationtoreview"))
    reviewer.groups.add(group)
    login_with_mfa(client, reviewer)
    assert client.get("/admin/dashboard/").status_code == 403


def test_staff_with_the_view_permission_but_no_second_factor_are_stopped_at_the_gate(client):
    staff = person(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_application", content_type__app_label="awards"))
    client.force_login(staff)
    assert client.get("/admin/dashboard/")["Location"] == "/accounts/2fa/totp/activate/"
    login_with_mfa(client, staff)
    assert client.get("/admin/dashboard/").status_code == 200


def _population(n: int):
    calls = [AwardCallFactory() for _ in range(2)]
    hubs = [HubFactory() for _ in range(2)]
    events = [EventFactory(hub=hubs[i % 2]) for i in range(n)]
    people = [person(sector=list(Sector)[i % 9]) for i in range(n)]
    for i, user in enumerate(people):
        submitted(calls[i % 2], partners=[list(Sector)[(i + 1) % 9]], costs=["100"], applicant=user)
        BookingFactory(event=events[i % len(events)], user=user)
        HubFollow.objects.create(hub=hubs[i % 2], user=user)
    for a, b in zip(people, people[1:], strict=False):
        connect(a, b)


@pytest.mark.parametrize("size", [3, 40])
def test_dashboard_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries, size):
    _population(size)
    staff_client.get("/admin/dashboard/")  # warm the session
    # session, user, the gate's authenticator check, the header's profile name, then 9 figure queries
    with django_assert_num_queries(13):
        response = staff_client.get("/admin/dashboard/")
    assert response.status_code == 200
