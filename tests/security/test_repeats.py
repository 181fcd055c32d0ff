"""A repeated request gets the page for what happened, never an error (issue 13, item 6).

Every state-changing POST is sent five times with the same cookies, all at once (a double-click, two tabs) and
one after another (a resubmitted form), to the live server on PostgreSQL. Every answer must be the page for
the resulting state, and the change must happen exactly once: one reference, one receipt, one booking, one
history entry.
"""

import time

import pytest

from awards import rules
from awards.models import Application, ApplicationEvent
from crossector.core.models import OutboundEmail
from tests.awards.factories import application, complete
from tests.security.live import REPEATS, Browser, post_at_once, post_in_turn

pytestmark = pytest.mark.django_db(transaction=True)
SENDS = pytest.mark.parametrize("send", [post_at_once, post_in_turn], ids=["at_once", "in_turn"])


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media", "base_url": None}},
    }
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media"


def held(monkeypatch, module, name, seconds=0.05):
    """Hold each request a moment inside `module.name`, so requests sent together overlap for sure."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(module, name, slow)


def redirected(answers, path):
    """Every answer is a redirect to `path`: no 5xx, no error page, nothing else."""
    assert [(a.status, a.location) for a in answers] == [(302, path)] * REPEATS, [a.body[:300] for a in answers]


# --- Submitting an application ----------------------------------------------------------------------------

DECLARED = {"declare_accurate": "on", "declare_employer_agrees": "on", "declare_data_use": "on"}


@SENDS
def test_repeated_submit_makes_one_submission_and_every_answer_is_the_submitted_page(live_server, send, monkeypatch):
    held(monkeypatch, rules, "application_problems")  # submit holds the lock while it checks completeness
    app = complete(application())
    answers = send(
        live_server.url, f"/awards/{app.call.slug}/apply/check/", Browser(app.applicant), {**DECLARED, "submit": ""}
    )
    redirected(answers, f"/awards/applications/{app.pk}/submitted/")
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED and app.reference
    assert Application.objects.exclude(reference="").count() == 1
    assert ApplicationEvent.objects.filter(application=app, to_status=Application.Status.SUBMITTED).count() == 1
    assert OutboundEmail.objects.filter(to=app.applicant.email, subject__startswith="Application received").count() == 1
