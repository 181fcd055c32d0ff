import pytest
from django.core import mail
from django.core.management import call_command

from crossector.core import services
from crossector.core.models import OutboundEmail, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_client):
    return staff_client


def test_staff_filter_the_outbox_by_status_and_search_by_recipient(admin_client):
    services.email_queue(to="ada@example.org", subject="One", body_text="x", idempotency_key="a")
    failed = services.email_queue(to="bo@example.org", subject="Two", body_text="x", idempotency_key="b")
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", last_error="SMTPServerDisconnected")
    content = admin_client.get("/admin/core/outboundemail/?status__exact=failed").content.decode()
    assert "bo@example.org" in content and "ada@example.org" not in content
    content = admin_client.get("/admin/core/outboundemail/?q=ada@").content.decode()
    assert "ada@example.org" in content and "bo@example.org" not in content


def test_resend_action_sends_a_failed_email_again_and_leaves_sent_ones(
    admin_client, django_capture_on_commit_callbacks
):
    failed = services.email_queue(to="bo@example.org", subject="Retry me", body_text="x", idempotency_key="b")
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", attempts=6)
    sent = services.email_queue(to="cy@example.org", subject="Done", body_text="x", idempotency_key="c")
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent", sent_at=sent.created_at)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/core/outboundemail/",
            {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert "1 failed email(s) queued to send again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert [m.subject for m in mail.outbox] == ["Retry me"]


def test_non_staff_cannot_open_the_admin(client, user):
    client.force_login(user)
    response = client.get("/admin/core/outboundemail/")
    assert response.status_code == 403
    assert "is not a staff or reviewer account" in response.content.decode()


def test_seed_demo_is_idempotent_and_makes_usable_demo_logins(capsys):
    call_command("seed_demo")
    counts = {model: model.objects.count() for model in (User, OutboundEmail)}
    call_command("seed_demo")
    assert {model: model.objects.count() for model in (User, OutboundEmail)} == counts
    out = capsys.readouterr().out
    assert "applicant@example.org" in out and "password: cross-sector-demo" in out
    staff = User.objects.get(email="staff@example.org")
    assert staff.is_staff and staff.check_password("cross-sector-demo")
    assert User.objects.get(email="reviewer@example.org").groups.filter(name="Reviewers").exists()
    assert all(u.profile.is_complete for u in User.objects.filter(email__endswith="@example.org"))
