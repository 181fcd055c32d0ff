"""One title convention: '[Error: ]<page> – Cross-Sector Programme – Academy of Medical Sciences', and in the admin
'[Error: ]<page> | Cross-Sector Programme admin'; a filtered or later page of a list says so in its title."""

import re

import pytest
from django.core.cache import cache

from crossector.core.vocabulary import Sector
from tests.conftest import login_with_mfa
from tests.network.factories import member

SERVICE = " – Cross-Sector Programme – Academy of Medical Sciences"


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


@pytest.mark.django_db
def test_directory_titles_name_the_filters_and_the_page_number(client):
    cache.clear()
    client.force_login(member(full_name="Viewer Person", listed=False))
    for i in range(25):
        member(full_name=f"Person {i:02d}", sector=Sector.NHS, interests=["genomics"])
    assert title(client.get("/network/")) == "People directory" + SERVICE
    assert title(client.get("/network/?page=2")) == "People directory (page 2 of 2)" + SERVICE
    filtered = title(client.get("/network/", {"sector": Sector.NHS, "areas": "genomics"}))
    assert (
        filtered.startswith("People directory – ")
        and "sector: NHS" in filtered
        and "priority areas: Data analytics and AI for genomics" in filtered
    )
    assert "“" not in filtered  # names from the vocabulary, not the raw values
    assert (
        title(client.get("/network/", {"q": "Person 01"}))
        == "People directory – search by name or organisation: “Person 01”" + SERVICE
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data", "page"),
    [
        ("/accounts/login/", {"login": "", "password": ""}, "Sign In"),
        ("/accounts/signup/", {"email": "not-an-address"}, "Signup"),
        ("/accounts/password/reset/", {"email": ""}, "Password Reset"),
    ],
)
def test_a_form_page_with_errors_says_error_first_and_without_none(client, path, data, page):
    assert title(client.get(path)) == page + SERVICE
    assert title(client.post(path, data)) == f"Error: {page}" + SERVICE


@pytest.mark.django_db
def test_profile_with_errors_says_error(client):
    client.force_login(member(full_name="Pat Profile"))
    assert title(client.post("/accounts/profile/", {"full_name": ""})).startswith("Error: Your profile")


@pytest.mark.django_db
def test_anonymous_page_title_does_not_set_a_csrf_cookie_or_read_the_session(client):
    response = client.get("/privacy/")
    assert title(response) == "Privacy notice" + SERVICE
    assert "csrftoken" not in response.cookies


@pytest.mark.django_db
def test_admin_titles_name_the_filter_and_the_object_being_deleted(client, staff_user):
    from hubs.models import Hub

    login_with_mfa(client, staff_user)
    hub = Hub.objects.create(name="Wales hub", slug="wales")
    assert title(client.get("/admin/hubs/hub/")) == "Select hub to change | Cross-Sector Programme admin"
    filtered = title(client.get("/admin/hubs/hub/?is_active__exact=1"))
    assert filtered.startswith("Select hub to change – ") and filtered.endswith("| Cross-Sector Programme admin")
    assert title(client.get(f"/admin/hubs/hub/{hub.pk}/delete/")).startswith("Wales hub | Delete")
    assert title(client.post("/admin/hubs/hub/add/", {})).startswith("Error: ")


@pytest.mark.django_db
def test_admin_change_form_with_errors_says_error_once(client, staff_user):
    login_with_mfa(client, staff_user)
    added = title(client.post("/admin/hubs/hub/add/", {}))
    assert added.startswith("Error: ") and not added.startswith("Error: Error:")
