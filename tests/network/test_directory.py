import pytest
from django.core.cache import cache
from django.urls import reverse

from crossector.core.vocabulary import Region, Sector
from hubs.network import services
from tests.network.factories import member

pytestmark = pytest.mark.django_db

DIRECTORY = "/network/"


def names(response) -> list[str]:
    return [p.full_name for p in response.context["page"].object_list]


@pytest.fixture
def viewer(client):
    user = member(full_name="Viewer Person", listed=False)
    client.force_login(user)
    return user


def test_directory_url_is_named_directory():
    assert reverse("network:directory") == DIRECTORY


def test_directory_needs_sign_in(client):
    response = client.get(DIRECTORY)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_directory_needs_a_complete_profile(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(DIRECTORY)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/profile/?next=")


def test_new_profiles_are_not_in_the_directory_by_default(client, viewer):
    from tests.factories import person

    newcomer = person(full_name="Nadia Newcomer")
    assert newcomer.profile.directory_listed is False
    assert "Nadia Newcomer" not in names(client.get(DIRECTORY))


def test_only_people_who_opted_in_are_listed(client, viewer):
    member(full_name="Listed Lena")
    member(full_name="Hidden Harry", listed=False)
    response = client.get(DIRECTORY)
    assert names(response) == ["Listed Lena"]
    assert "Hidden Harry" not in response.content.decode()


def test_opting_in_through_the_profile_form_lists_the_person(client, viewer):
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": "Viewer Person",
            "organisation": "Helix Ltd",
            "job_title": "CTO",
            "sector": Sector.INDUSTRY_SME,
            "region": Region.SCOTLAND,
            "directory_listed": "on",
            "directory_show_organisation": "on",
            "open_to_hosting": "on",
        },
    )
    assert response.status_code == 302
    viewer.profile.refresh_from_db()
    assert viewer.profile.directory_listed and viewer.profile.open_to_hosting
    assert not viewer.profile.directory_show_region  # unticked box: not shown
    assert names(client.get(DIRECTORY)) == ["Viewer Person"]


def test_profile_page_groups_the_directory_choices_under_legends(client, viewer):
    content = client.get("/accounts/profile/").content.decode()
    assert "<legend" in content
    for text in ("People directory", "I am open to", "Show me in the people directory", "Hosting a placement"):
        assert text in content


def test_hidden_details_are_not_shown(client, viewer):
    other = member(
        full_name="Private Pat",
        organisation="Secret Org Ltd",
        directory_show_organisation=False,
        directory_show_region=False,
        directory_show_bio=False,
        bio="My secret bio",
    )
    content = client.get(DIRECTORY).content.decode()
    assert "Private Pat" in content and "Secret Org Ltd" not in content
    content = client.get(f"/network/people/{other.pk}/").content.decode()
    assert "Private Pat" in content
    assert "NHS and health &amp; care services" in content  # sector is always shown
    for hidden in ("Secret Org Ltd", "My secret bio", "Wales", other.email):
        assert hidden not in content


def test_search_by_name_and_by_shown_organisation_only(client, viewer):
    member(full_name="Alice Apple", organisation="Genome Works")
    member(full_name="Bob Berry", organisation="Genome Secret", directory_show_organisation=False)
    member(full_name="Carol Genome", organisation="Elsewhere")
    assert names(client.get(DIRECTORY, {"q": "genome"})) == ["Alice Apple", "Carol Genome"]
    assert names(client.get(DIRECTORY, {"q": "bob"})) == ["Bob Berry"]


def test_filters_by_sector_region_interest_and_open_to(client, viewer):
    member(
        full_name="Ann", sector=Sector.ACADEMIA, region=Region.SCOTLAND, interests=["genomics"], open_to_hosting=True
    )
    member(
        full_name="Ben",
        sector=Sector.INDUSTRY_SME,
        region=Region.WALES,
        interests=["medical-imaging"],
        open_to_mentoring=True,
    )
    member(
        full_name="Cat",
        sector=Sector.ACADEMIA,
        region=Region.SCOTLAND,
        interests=["genomics"],
        directory_show_region=False,
        directory_show_interests=False,
    )
    assert names(client.get(DIRECTORY, {"sector": Sector.ACADEMIA})) == ["Ann", "Cat"]
    assert names(client.get(DIRECTORY, {"region": Region.SCOTLAND})) == ["Ann"]  # Cat hides her region
    assert names(client.get(DIRECTORY, {"areas": "genomics"})) == ["Ann"]  # Cat hides her interests
    assert names(client.get(DIRECTORY, {"open_to": "open_to_mentoring"})) == ["Ben"]
    assert names(client.get(DIRECTORY, {"open_to": ["open_to_mentoring", "open_to_hosting"]})) == []


def test_directory_is_paginated(client, viewer):
    for i in range(25):
        member(full_name=f"Person {i:02d}")
    first = client.get(DIRECTORY)
    assert len(first.context["page"].object_list) == 20
    second = client.get(DIRECTORY, {"page": 2})
    assert names(second) == [f"Person {i:02d}" for i in range(20, 25)]


@pytest.mark.parametrize("people", [5, 60])
def test_directory_page_runs_a_fixed_number_of_queries(client, viewer, django_assert_num_queries, people):
    for i in range(people):
        member(full_name=f"Person {i:02d}", interests=["genomics", "pathology"], open_to_hosting=True)
    # session, user, profile (profile_required); the chosen area (form validation); the viewer's blocks; page of
    # profiles; their interests (one prefetch). The same at 5 people and at 60. The first view also counts
    # everyone listed who matches and renders the filter form (the area checkboxes); both are then cached.
    cache.clear()
    query = {"areas": "genomics", "sector": Sector.NHS}
    with django_assert_num_queries(9):
        first = client.get(DIRECTORY, query)
    with django_assert_num_queries(7):
        response = client.get(DIRECTORY, query)
    assert response.status_code == 200
    assert f"{people} people matching" in response.content.decode()
    assert response.content.decode().count('name="areas"') == first.content.decode().count('name="areas"') > 0


def test_directory_count_leaves_out_people_blocked_either_way_at_once(client, viewer):
    cache.clear()
    others = [member(full_name=f"Person {i:02d}") for i in range(4)]
    assert "4 people" in client.get(DIRECTORY).content.decode()
    services.block_create(blocker=viewer, blocked=others[0])
    services.block_create(blocker=others[1], blocked=viewer)
    content = client.get(DIRECTORY).content.decode()  # the listed total is cached; the blocks are not
    assert "2 people" in content
    assert names(client.get(DIRECTORY)) == ["Person 02", "Person 03"]


def test_person_page_is_404_unless_opted_in(client, viewer):
    hidden = member(full_name="Hidden Harry", listed=False)
    assert client.get(f"/network/people/{hidden.pk}/").status_code == 404
    listed = member(full_name="Listed Lena")
    assert client.get(f"/network/people/{listed.pk}/").status_code == 200


def test_blocked_person_cannot_see_the_blocker_anywhere(client, viewer):
    blocker = member(full_name="Blocking Bea")
    services.block_create(blocker=blocker, blocked=viewer)
    assert "Blocking Bea" not in names(client.get(DIRECTORY))
    assert client.get(f"/network/people/{blocker.pk}/").status_code == 404
    assert client.get(f"/network/people/{blocker.pk}/connect/").status_code == 404


def test_blocker_no_longer_sees_the_blocked_person(client, viewer):
    pest = member(full_name="Pesky Pete")
    services.block_create(blocker=viewer, blocked=pest)
    assert "Pesky Pete" not in names(client.get(DIRECTORY))
    services.block_remove(blocker=viewer, blocked=pest)
    assert "Pesky Pete" in names(client.get(DIRECTORY))


def test_cached_filter_form_shows_each_visitors_own_choices(client, viewer):
    cache.clear()
    member(full_name="Someone Listed")
    nhs = client.get(DIRECTORY, {"sector": Sector.NHS, "q": "Zebrafish"}).content.decode()
    industry = client.get(DIRECTORY, {"sector": Sector.INDUSTRY_SME}).content.decode()
    again = client.get(DIRECTORY, {"sector": Sector.NHS, "q": "Zebrafish", "page": "1"}).content.decode()
    assert f'value="{Sector.NHS}" selected' in nhs and 'value="Zebrafish"' in nhs
    assert f'value="{Sector.INDUSTRY_SME}" selected' in industry
    assert f'value="{Sector.NHS}" selected' not in industry and 'value="Zebrafish"' not in industry
    assert f'value="{Sector.NHS}" selected' in again and 'value="Zebrafish"' in again  # from the cache
    invalid = client.get(DIRECTORY, {"sector": "no-such-sector"}).content.decode()
    assert "There is a problem" in invalid
    assert "There is a problem" not in client.get(DIRECTORY).content.decode()
