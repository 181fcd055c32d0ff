import pytest
from django.urls import reverse

from crossector.core.vocabulary import Region
from events.models import Event
from hubs import selectors, services
from hubs.models import HubFollow
from tests.events.factories import ContactFactory, EventFactory, HubFactory, PartnerFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def test_hub_list_shows_cards_and_a_local_svg_map_linking_nations_with_hubs(client):
    wales = HubFactory(name="Wales hub", slug="wales", region=Region.WALES)
    PartnerFactory(hub=wales, name="Life Sciences Hub Wales")
    HubFactory(name="Closed hub", slug="closed", is_active=False)
    content = client.get(reverse("hubs:list")).content.decode()
    assert "Wales hub" in content and "Life Sciences Hub Wales" in content
    assert "Closed hub" not in content
    assert '<svg class="uk-map"' in content
    assert f'href="{wales.get_absolute_url()}" aria-label="Wales: Wales hub"' in content
    assert "tile" not in content.lower()  # no map tiles fetched from the internet


def test_map_groups_english_regions_under_england():
    hubs = [HubFactory(region=Region.LONDON), HubFactory(region=Region.SCOTLAND)]
    nations = {n["key"]: n["hubs"] for n in selectors.hub_map(hubs)}
    assert nations["england"] == [hubs[0]] and nations["scotland"] == [hubs[1]]
    assert nations["wales"] == [] and nations["northern_ireland"] == []


def test_hub_page_shows_about_partners_contacts_and_upcoming_and_past_events(client):
    from datetime import timedelta

    from django.utils import timezone

    hub = HubFactory(description="Bringing Welsh health innovators together.")
    PartnerFactory(hub=hub, name="Partner One", description="A regional partner.")
    ContactFactory(hub=hub, name="Rhian Jones", role="Hub lead", email="rhian@example.org")
    EventFactory(hub=hub, title="Soon in Cardiff")
    EventFactory(hub=hub, title="Last year in Swansea", starts_at=timezone.now() - timedelta(days=300))
    EventFactory(hub=hub, title="Draft not shown", status=Event.Status.DRAFT)
    EventFactory(title="Other hub's event")
    content = client.get(hub.get_absolute_url()).content.decode()
    for text in (
        "Bringing Welsh health innovators together.",
        "Partner One",
        "Rhian Jones",
        "Hub lead",
        "mailto:rhian@example.org",
        "Soon in Cardiff",
        "Last year in Swansea",
    ):
        assert text in content
    assert "Draft not shown" not in content and "Other hub" not in content


def test_inactive_or_unknown_hub_is_404(client):
    assert client.get(HubFactory(is_active=False).get_absolute_url()).status_code == 404
    assert client.get("/hubs/nowhere/").status_code == 404


def test_follow_and_unfollow_from_the_hub_page(client, user):
    hub = HubFactory()
    assert "Sign in to follow" in client.get(hub.get_absolute_url()).content.decode()
    client.force_login(user)
    response = client.post(reverse("hubs:follow", args=[hub.slug]), follow=True)
    assert "You are following" in response.content.decode()
    client.post(reverse("hubs:follow", args=[hub.slug]))  # a double click
    assert HubFollow.objects.filter(hub=hub, user=user).count() == 1
    assert "Unfollow this hub" in client.get(hub.get_absolute_url()).content.decode()
    client.post(reverse("hubs:unfollow", args=[hub.slug]))
    assert not HubFollow.objects.filter(hub=hub, user=user).exists()


def test_follow_needs_sign_in_and_post(client, user):
    hub = HubFactory()
    assert client.post(reverse("hubs:follow", args=[hub.slug])).status_code == 302
    client.force_login(user)
    assert client.get(reverse("hubs:follow", args=[hub.slug])).status_code == 405
    assert not HubFollow.objects.exists()


def test_unfollow_from_the_email_link_without_signing_in(client):
    hub, user, other = HubFactory(), person(), person()
    services.hub_follow(hub=hub, user=user)
    services.hub_follow(hub=hub, user=other)
    url = reverse("hubs:unfollow_email", args=[services.hub_unfollow_token(hub=hub, user=user)])
    page = client.get(url)
    assert "Stop following" in page.content.decode()
    assert HubFollow.objects.filter(user=user).exists()  # a GET (e.g. a link scanner) changes nothing
    response = client.post(url)
    assert "You no longer follow" in response.content.decode()
    assert not HubFollow.objects.filter(user=user).exists()
    assert HubFollow.objects.filter(user=other).exists()


def test_forged_or_tampered_unfollow_token_is_404_and_unfollows_nobody(client):
    hub, user = HubFactory(), person()
    services.hub_follow(hub=hub, user=user)
    token = services.hub_unfollow_token(hub=hub, user=user)
    from django.core import signing

    forged = signing.dumps({"h": hub.pk, "u": user.pk}, salt="something-else", compress=True)
    for bad in (token[:-2] + "xx", forged, "not-a-token"):
        url = reverse("hubs:unfollow_email", args=[bad])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert HubFollow.objects.filter(user=user).exists()


def test_hubs_do_not_import_events():
    import pathlib

    for path in pathlib.Path("hubs").rglob("*.py"):
        text = path.read_text()
        assert "from events" not in text and "import events" not in text, path
