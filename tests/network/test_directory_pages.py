"""The directory's page links stay bounded however many people are listed (a fixed cost per page)."""

import re

import pytest

from crossector.core.models import Profile, User

pytestmark = pytest.mark.django_db


def test_directory_shows_an_elided_list_of_page_links(signed_in_client, user):
    Profile.objects.filter(user=user).update(directory_listed=True)
    users = User.objects.bulk_create(User(email=f"listed{i}@example.org") for i in range(300))
    Profile.objects.bulk_create(
        Profile(user=u, full_name=f"Person {i:03d}", sector="nhs", region="wales", directory_listed=True)
        for i, u in enumerate(users)
    )
    body = signed_in_client.get("/network/", {"page": 8}).content.decode()
    pages = [int(n) for n in re.findall(r'<span class="visually-hidden">Page </span>(\d+)</a>', body)]
    assert pages == [1, 6, 7, 8, 9, 10, 16]  # 301 people, 20 a page: 16 pages, elided around page 8
    assert body.count("…") == 2
