"""A form posted after the session expired is kept for the browser that sent it, bounded, and restored
onto the fields it carries only (issue 13, item 3; awards/stash.py)."""

from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.test import Client

from awards.models import Application, CostLine, PartnerOrganisation
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Sector
from tests.awards.factories import AwardCallFactory, application
from tests.factories import person

pytestmark = pytest.mark.django_db


def _url(app, section):
    return f"/awards/{app.call.slug}/apply/{section}/"


def _restore_link(response) -> str:
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    assert "?restore=" in next_url, next_url
    return next_url


def _stash_keys() -> list[str]:
    client = cache._cache.get_client(None, write=False)
    return [k.decode() for k in client.keys("*awards-stash-*")]


def _shown(member) -> dict:
    """The values a page shows for a form or formset: what pressing Save posts back."""
    if member is None:
        return {}
    if member.is_bound:
        return {name: member.data.getlist(name) for name in member.data}
    shown = {}
    parts = [member] if not hasattr(member, "management_form") else [member.management_form, *member.forms]
    for part in parts:
        for field in part:
            value = field.value()
            shown[field.html_name] = (
                [str(v) for v in value] if isinstance(value, list) else ("" if value is None else value)
            )
    return shown


def _save(client, url, response):
    """Press Save on the page as shown."""
    return client.post(url, {**_shown(response.context["form"]), **_shown(response.context["formset"])})


# --- Whose stash it is ---------------------------------------------------------------------------


def test_the_issue_input_a_strangers_stash_does_not_reach_another_applicants_draft():
    call = AwardCallFactory()
    victim_app = application(call=call, title="", summary="The victim's own summary")
    stranger = Client()
    link = _restore_link(stranger.post(_url(victim_app, "proposal"), {"title": "Harbour study"}))

    victim = Client()
    victim.force_login(victim_app.applicant)
    response = victim.get(link)
    content = response.content.decode()
    assert "Harbour study" not in content
    assert "we kept what you typed" not in content
    assert "The victim&#x27;s own summary" in content or "The victim's own summary" in content
    _save(victim, _url(victim_app, "proposal"), response)
    victim_app.refresh_from_db()
    assert victim_app.title == "" and victim_app.summary == "The victim's own summary"


@pytest.mark.parametrize("section", ["you", "partners", "proposal", "costs"])
def test_a_stash_is_refused_in_any_other_browser_for_every_section(section):
    app = application()
    link = _restore_link(Client().post(_url(app, section), {"role": "R", "partners-0-name": "P", "title": "T"}))
    elsewhere = Client()
    elsewhere.force_login(app.applicant)  # even the same account, in another browser
    assert "we kept what you typed" not in elsewhere.get(link).content.decode()


def test_a_stash_is_restored_in_the_browser_that_made_it_after_signing_in(client):
    app = application()
    link = _restore_link(client.post(_url(app, "proposal"), {"title": "Harbour study"}))
    client.force_login(app.applicant)
    content = client.get(link).content.decode()
    assert "Harbour study" in content and "we kept what you typed" in content
    assert "Harbour study" not in client.get(link).content.decode()  # once


def test_a_forged_or_other_page_token_restores_nothing(client):
    app = application()
    link = _restore_link(client.post(_url(app, "proposal"), {"title": "Harbour study"}))
    client.force_login(app.applicant)
    token = parse_qs(urlparse(link).query)["restore"][0]
    assert "Harbour study" not in client.get(_url(app, "you") + f"?restore={token}").content.decode()
    assert "Harbour study" not in client.get(_url(app, "proposal") + "?restore=" + token[:-2] + "xx").content.decode()
    assert "Harbour study" in client.get(link).content.decode()


def test_a_stash_made_by_a_session_naming_an_account_is_that_accounts_only(client, rf):
    """A session that still names an account (one since made inactive) binds the stash to that account."""
    from django.contrib.auth import SESSION_KEY

    from awards.stash import stash_pop, stash_post

    owner, other = person(), person()
    request = rf.post("/awards/x/apply/proposal/", {"title": "Harbour study"})
    request.session = client.session
    request.session[SESSION_KEY] = str(owner.pk)
    token = stash_post(request)
    for user, expected in ((other, None), (owner, "Harbour study")):
        restore = rf.get("/awards/x/apply/proposal/", {"restore": token})
        restore.session, restore.user = request.session, user
        found = stash_pop(restore)
        assert (found and found["title"]) == expected


# --- Restoring never blanks what the stash did not carry ------------------------------------------


def test_restoring_a_title_keeps_every_other_proposal_answer_and_saving_keeps_them(client):
    area = PriorityArea.objects.first()
    app = application(title="Old title", summary="Kept summary", aims="Kept aims", why_now="Kept why")
    app.priority_areas.set([area])
    link = _restore_link(client.post(_url(app, "proposal"), {"title": "Harbour study"}))
    client.force_login(app.applicant)
    response = client.get(link)
    assert response.context["form"].data["summary"] == "Kept summary"
    assert response.context["form"].data.getlist("priority_areas") == [str(area.pk)]
    assert _save(client, _url(app, "proposal"), response).status_code == 302
    app.refresh_from_db()
    assert (app.title, app.summary, app.aims, app.why_now) == ("Harbour study", "Kept summary", "Kept aims", "Kept why")
    assert list(app.priority_areas.all()) == [area]


def test_restoring_one_field_of_you_keeps_the_rest(client):
    app = application(organisation="Cardiff Health Board", organisation_sector=Sector.NHS, role="Scientist")
    link = _restore_link(client.post(_url(app, "you"), {"discipline": "Genomics"}))
    client.force_login(app.applicant)
    assert _save(client, _url(app, "you"), client.get(link)).status_code == 302
    app.refresh_from_db()
    assert (app.organisation, app.organisation_sector, app.role, app.discipline) == (
        "Cardiff Health Board",
        Sector.NHS,
        "Scientist",
        "Genomics",
    )


def test_restoring_part_of_a_partner_row_keeps_the_other_rows_and_fields(client):
    app = application(organisation_sector=Sector.NHS)
    for name, email in (("Helix Imaging Ltd", "tom@helix.example.org"), ("Wye Analytics", "ann@wye.example.org")):
        PartnerOrganisation.objects.create(application=app, name=name, sector=Sector.INDUSTRY_SME, contact_email=email)
    link = _restore_link(client.post(_url(app, "partners"), {"partners-0-name": "Helix Imaging Group"}))
    client.force_login(app.applicant)
    assert _save(client, _url(app, "partners"), client.get(link)).status_code == 302
    rows = list(app.partners.order_by("pk").values_list("name", "sector", "contact_email"))
    assert rows == [
        ("Helix Imaging Group", Sector.INDUSTRY_SME, "tom@helix.example.org"),
        ("Wye Analytics", Sector.INDUSTRY_SME, "ann@wye.example.org"),
    ]


def test_restoring_timing_keeps_the_cost_lines_and_other_dates(client):
    app = application(duration_months=6, fte_percent=50)
    CostLine.objects.create(application=app, category="travel", amount=Decimal("1200"), justification="Trains")
    link = _restore_link(client.post(_url(app, "costs"), {"duration_months": "9"}))
    client.force_login(app.applicant)
    assert _save(client, _url(app, "costs"), client.get(link)).status_code == 302
    app.refresh_from_db()
    assert (app.duration_months, app.fte_percent) == (9, 50)
    assert list(app.cost_lines.values_list("category", "amount", "justification")) == [
        ("travel", Decimal("1200.00"), "Trains")
    ]


def test_a_stash_cannot_add_fields_or_rows_beyond_the_page(client):
    app = application()
    post = {"title": "T", "reference": "CSEA-FAKE", "status": "submitted", "partners-99-name": "X"}
    link = _restore_link(client.post(_url(app, "proposal"), post))
    client.force_login(app.applicant)
    data = client.get(link).context["form"].data
    assert data["title"] == "T"
    assert "reference" not in data and "status" not in data and "partners-99-name" not in data


# --- Bounds: size, per session, per address --------------------------------------------------------


@pytest.mark.parametrize("section", ["proposal", "partners", "costs", "you"])
def test_a_post_over_the_stash_limit_is_not_kept_and_the_sign_in_page_says_so(client, settings, section):
    app = application()
    big = "x" * (settings.AWARDS_STASH_MAX_BYTES + 1)
    response = client.post(_url(app, section), {"summary": big, "partners-0-name": big[:10]})
    assert response.status_code == 302 and "restore" not in response["Location"]
    assert _stash_keys() == []
    page = client.get(response["Location"]).content.decode()
    assert "larger than the 200 KB we can keep" in page and "Your saved draft has not changed" in page


def test_many_characters_of_many_bytes_count_as_bytes(client, settings):
    app = application()
    emoji = "\N{GRINNING FACE}" * (settings.AWARDS_STASH_MAX_BYTES // 4 + 1)  # fewer characters than bytes
    response = client.post(_url(app, "proposal"), {"summary": emoji})
    assert "restore" not in response["Location"] and _stash_keys() == []


@pytest.mark.parametrize("path", ["apply/documents/", "apply/documents/ask/partner_letter/", "apply/"])
def test_other_applicant_pages_use_the_same_bounded_stash(client, settings, path):
    app = application()
    big = "x" * (settings.AWARDS_STASH_MAX_BYTES + 1)
    response = client.post(f"/awards/{app.call.slug}/{path}", {"partner_letter-signatory_name": big})
    assert response.status_code == 302 and "restore" not in response["Location"] and _stash_keys() == []
    small = client.post(f"/awards/{app.call.slug}/{path}", {"partner_letter-signatory_name": "Dr Tom Ellison"})
    assert "restore" in small["Location"] and len(_stash_keys()) == 1


def test_the_issue_input_five_ten_megabyte_posts_store_nothing(client):
    app = application()
    for _ in range(5):
        response = client.post(_url(app, "proposal"), {"summary": "x" * (10 * 1024 * 1024)})
        assert response.status_code == 413
        assert "What you sent is too large" in response.content.decode()
    assert _stash_keys() == []


def test_a_session_keeps_only_its_latest_stashes(client, settings):
    app = application()
    links = [
        _restore_link(client.post(_url(app, "proposal"), {"title": f"Draft {n}"}))
        for n in range(settings.AWARDS_STASH_PER_SESSION + 2)
    ]
    assert len(_stash_keys()) == settings.AWARDS_STASH_PER_SESSION
    client.force_login(app.applicant)
    assert "Draft 0" not in client.get(links[0]).content.decode()
    assert "Draft 4" in client.get(links[-1]).content.decode()


def test_stashes_from_one_address_are_rate_limited_even_without_cookies():
    app = application()
    for n in range(10):  # "awards_stash": 10 an hour per IP address
        assert "restore" in Client().post(_url(app, "proposal"), {"title": f"Draft {n}"})["Location"]
    client = Client()
    response = client.post(_url(app, "proposal"), {"title": "One too many"})
    assert "restore" not in response["Location"]
    assert "too many forms while signed out" in client.get(response["Location"]).content.decode()
    assert len(_stash_keys()) == 10
    other_address = Client(REMOTE_ADDR="192.0.2.7").post(_url(app, "proposal"), {"title": "Elsewhere"})
    assert "restore" in other_address["Location"]


def test_nothing_is_saved_to_the_draft_when_a_stash_is_refused(client, settings):
    app = application(title="Saved title")
    client.post(_url(app, "proposal"), {"title": "x" * (settings.AWARDS_STASH_MAX_BYTES + 1)})
    assert Application.objects.get(pk=app.pk).title == "Saved title"


@pytest.mark.parametrize("section", ["you", "proposal", "costs"])
def test_the_sign_in_page_says_what_was_typed_is_safe(client, section):
    app = application()
    response = client.post(_url(app, section), {"title": "Harbour study", "role": "Nurse"})
    login = client.get(response["Location"]).content.decode()
    assert "what you typed is safe" in login and "24 hours" in login
    # An ordinary visit to the sign-in page says nothing of the kind.
    assert "what you typed is safe" not in client.get("/accounts/login/").content.decode()
