import pytest

from tests.awards.factories import AwardCallFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def test_call_page_lists_listed_people_open_to_hosting_and_no_one_else(client):
    call = AwardCallFactory()
    host = person(full_name="Hana Host", sector="industry_sme", directory_listed=True, open_to_hosting=True)
    person(full_name="Unlisted Uma", sector="industry_sme", directory_listed=False, open_to_hosting=True)
    person(full_name="Not Hosting Ned", sector="industry_sme", directory_listed=True, open_to_hosting=False)
    client.force_login(person(sector="nhs"))
    content = client.get(f"/awards/{call.slug}/").content.decode()
    assert "Find a host" in content
    assert "Hana Host" in content and f"/network/people/{host.pk}/" in content
    assert "Unlisted Uma" not in content and "Not Hosting Ned" not in content
