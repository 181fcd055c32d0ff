"""Issue 14: the admin home puts programme work first; celery-beat's plumbing is for superusers only, last,
under "Technical"."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.conftest import login_with_mfa
from tests.factories import person

pytestmark = pytest.mark.django_db
BEAT_MODELS = ("periodictask", "crontabschedule", "clockedschedule", "solarschedule", "intervalschedule")


def app_order(page: str) -> list[str]:
    """The app sections of the admin home, in the order they appear."""
    return re.findall(r'<div class="app-([a-z_]+) module', page)


def test_superuser_sees_programme_apps_first_and_beat_last_under_technical(client, staff_user):
    login_with_mfa(client, staff_user)
    page = client.get(reverse("admin:index")).content.decode()
    order = app_order(page)
    assert order[:3] == ["awards", "events", "hubs"]
    assert order[-1] == "django_celery_beat"
    assert "Technical: scheduled tasks (Celery beat)" in page
    assert page.index("Applications") < page.index("Crontabs")


@pytest.mark.parametrize(
    "perms",
    [
        ("awards.view_application", "events.view_event"),
        # even with every celery-beat permission, the plumbing is not on a programme person's home page
        ("awards.view_application", *(f"django_celery_beat.view_{m}" for m in BEAT_MODELS)),
    ],
)
def test_programme_staff_never_see_beat_schedules(client, perms):
    user = person(is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    login_with_mfa(client, user)
    page = client.get(reverse("admin:index")).content.decode()
    assert app_order(page)[0] == "awards"
    for word in ("django_celery_beat", "Crontabs", "Clocked", "Solar events", "Technical"):
        assert word not in page
    assert client.get("/admin/django_celery_beat/").status_code == 404
    dashboard = client.get(reverse("admin:awards_application_changelist")).content.decode()
    assert "django_celery_beat" not in dashboard  # nor in the sidebar of other admin pages
