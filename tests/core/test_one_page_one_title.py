"""One page, one title; two pages, two titles.

Every admin page about one object names it in its title, so two objects' pages never share a title.

Walks every admin URL pattern that takes an `object_id` (change, history, delete, and custom ones such as a
reviewer's "Declare a conflict of interest") for two objects of its model, as programme staff signed in with
two factors, and compares the pages' titles. A new admin model or object page is covered without editing this
file. (The crawl checks titles too, but opens each admin object page once: it cannot see two share a title.)

What is one page (the crawl's `identity_of` says the same): a sorted list is the list itself (the same rows in
another order), so `?o=2` keeps the list's title, and so does a change page opened from a sorted or filtered list;
the first page of a paged list is the list itself (`?page=1`). A filter, a search or a later page is another page
and says so in its title.
"""

import io
import re
from html import unescape

import pytest
from django.core.management import call_command

from awards.models import Application
from awards.review.models import ReviewerAssignment
from tests.conftest import login_with_mfa
from tests.e2e.crawl import identity_of, pattern_of
from tests.factories import person
from tests.security.test_url_walk import all_patterns, is_generic_admin_object_page

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _title(response) -> str:
    return " ".join(unescape(TITLE.search(response.content.decode())[1]).split())


def test_two_objects_admin_pages_never_share_a_title(client):
    call_command("seed_demo", stdout=io.StringIO())
    staff = person(is_staff=True, is_superuser=True, full_name="Tess Staff")
    # Staff reviewing two applications themselves, so the reviewer's own pages (conflict) open for two objects.
    for application in Application.objects.exclude(reference="").order_by("pk")[:2]:
        ReviewerAssignment.objects.get_or_create(application=application, reviewer=staff)
    login_with_mfa(client, staff)

    compared, shared = [], []
    for pattern in all_patterns():
        if not is_generic_admin_object_page(pattern):
            continue
        model = pattern.admin_model
        if model is Application or model._meta.proxy:  # staff and reviewers see these through their own pages
            rows = list(Application.objects.exclude(reference="").order_by("pk").values_list("pk", flat=True)[:2])
        else:
            rows = list(model.objects.order_by("pk").values_list("pk", flat=True)[:2])
        if len(rows) < 2:
            continue
        responses = [client.get(pattern.url({"object_id": pk})) for pk in rows]
        if any(r.status_code != 200 or "text/html" not in r.get("Content-Type", "") for r in responses):
            continue  # not a page for this object (a redirect, a refusal, a 404 for read-only models' delete)
        titles = [_title(r) for r in responses]
        compared.append(pattern.key)
        if titles[0] == titles[1]:
            shared.append(f"{pattern.key}: {titles[0]!r}")
    assert shared == [], "name the object in the title"
    assert "admin:awards_applicationtoreview_conflict" in compared
    for view in ("change", "history", "delete"):
        assert sum(key.endswith(f"_{view}") for key in compared) >= 3, view


def test_the_crawl_treats_a_sort_and_a_first_page_as_the_page_itself():
    base = "http://127.0.0.1:8000"
    assert identity_of(f"{base}/admin/events/booking/?o=1") == identity_of(f"{base}/admin/events/booking/?o=-2.1")
    assert identity_of(f"{base}/admin/events/booking/?o=1") == "/admin/events/booking/"
    assert identity_of(f"{base}/admin/events/booking/7/change/?_changelist_filters=o%3D1") == (
        "/admin/events/booking/7/change/"
    )
    assert identity_of(f"{base}/network/?page=1") == identity_of(f"{base}/network/") == "/network/"
    assert identity_of(f"{base}/admin/events/booking/?p=1") == "/admin/events/booking/"
    # A later page, a filter and a search are pages of their own.
    assert identity_of(f"{base}/network/?page=2") != "/network/"
    assert pattern_of(f"{base}/network/?page=2").endswith("(a later page)")
    assert identity_of(f"{base}/admin/events/booking/?status__exact=confirmed&o=1") == (
        "/admin/events/booking/?status__exact=confirmed"
    )
    assert identity_of(f"{base}/admin/events/booking/?q=Cardiff") != "/admin/events/booking/"


def test_a_sorted_list_and_a_first_page_keep_the_title_of_the_list_itself(client):
    """The pages the crawl counts as one have one title (and a filter changes it)."""
    call_command("seed_demo", stdout=io.StringIO())
    login_with_mfa(client, person(is_staff=True, is_superuser=True, full_name="Tess Staff"))
    for changelist in ("/admin/events/booking/", "/admin/awards/application/", "/admin/events/event/"):
        plain = _title(client.get(changelist))
        for sort in ("?o=1", "?o=2", "?o=-1.2"):
            assert _title(client.get(changelist + sort)) == plain, changelist + sort
    booking = client.get("/admin/events/booking/").context["cl"].result_list[0]
    change = f"/admin/events/booking/{booking.pk}/change/"
    assert _title(client.get(change + "?_changelist_filters=o%3D2")) == _title(client.get(change))
    assert _title(client.get("/admin/events/booking/?status__exact=confirmed")) != _title(
        client.get("/admin/events/booking/")
    )
    assert _title(client.get("/network/?page=1")) == _title(client.get("/network/"))


def test_every_error_summary_shows_under_a_name_the_title_rule_sees():
    """The title says "Error:" when the context holds a form with errors or a non-empty `errors`/`submit_error`
    (crossector/core/templatetags/page_title.py). A template that shows an error summary under any other
    condition (the signatory page's `{% if error %}`) would show "There is a problem" under a plain title."""
    from pathlib import Path

    from django.conf import settings

    from crossector.core.templatetags.page_title import ERROR_NAMES

    summary = re.compile(r"""{%\s*if\s+([\w.]+)\s*%}\s*<div [^>]*\bdata-error-summary\b""")
    templates = Path(settings.BASE_DIR) / "templates"
    found = 0
    for path in templates.rglob("*.html"):
        text = path.read_text()
        if "data-error-summary" not in text and "There is a problem" not in text:
            continue
        conditions = summary.findall(text)
        assert conditions, f"{path.relative_to(templates)}: wrap the error summary in {{% if errors %}}"
        for name in conditions:
            assert name in ERROR_NAMES or name.endswith(".errors"), f"{path.relative_to(templates)}: {name}"
            found += 1
    assert found >= 3
