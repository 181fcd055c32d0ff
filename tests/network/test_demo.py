import pytest

from crossector.core import demo as core_demo
from crossector.core.models import Profile
from crossector.core.vocabulary import Region, Sector
from hubs.network import demo

pytestmark = pytest.mark.django_db


def test_demo_directory_covers_every_sector_and_region_and_is_idempotent():
    users = core_demo.seed()
    message = demo.seed(users)
    listed = Profile.objects.filter(directory_listed=True)
    assert listed.count() >= 32
    assert set(listed.values_list("sector", flat=True)) == set(Sector.values)
    assert set(listed.values_list("region", flat=True)) == set(Region.values)
    assert listed.filter(open_to_hosting=True).exists() and listed.filter(open_to_mentoring=True).exists()
    assert listed.filter(user=users["attendee"]).exists() and listed.filter(user=users["applicant"]).exists()
    assert str(listed.count()) in message
    before = Profile.objects.count()
    demo.seed(users)
    assert Profile.objects.count() == before
