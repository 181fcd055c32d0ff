import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from crossector.core import services
from crossector.core.models import OutboundEmail
from crossector.core.tasks import outbox_sweep, send_email

pytestmark = pytest.mark.django_db


def queue(key="action-1", **overrides):
    fields = {"to": "ada@example.org", "subject": "Hello", "body_text": "Body", "idempotency_key": key}
    fields.update(overrides)
    return services.email_queue(**fields)


def test_email_queued_in_rolled_back_transaction_is_never_written_or_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            queue()
            raise RuntimeError("the action failed")
    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_committed_email_is_sent_after_commit_with_text_html_and_attachment(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue(
            body_html="<p>Body</p>",
            attachments=[services.Attachment("event.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.sent_at is not None and email.attempts == 1
    [sent] = mail.outbox
    assert sent.to == ["ada@example.org"]
    assert sent.alternatives[0].content == "<p>Body</p>"
    assert sent.attachments[0].filename == "event.ics"
    assert sent.attachments[0].content.startswith("BEGIN:VCALENDAR")
    assert sent.extra_headers["X-Outbox-Id"] == str(email.message_id)


def test_same_idempotency_key_queues_one_row():
    first = queue(key="booking-7-confirmation")
    second = queue(key="booking-7-confirmation", subject="Different")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1


def test_send_task_run_twice_for_one_row_sends_once():
    email = queue()
    assert send_email.apply(args=[email.pk]).get() is True
    assert send_email.apply(args=[email.pk]).get() is False
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_row_claimed_by_another_worker_is_not_sent_again():
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.SENDING)
    assert services.email_send(email_id=email.pk).sent is False
    assert mail.outbox == []


def test_smtp_error_requeues_with_backoff_then_marks_failed(monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    email = queue()
    before = timezone.now()
    first = services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert first.retry_in == 60
    assert email.status == OutboundEmail.Status.QUEUED
    assert "mail server went away" in email.last_error
    assert email.next_attempt_at >= before + timedelta(seconds=60)
    assert services.email_send(email_id=email.pk).retry_in == 120
    assert services.email_send(email_id=email.pk).retry_in is None
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == 3


def test_retry_delay_doubles_and_is_capped():
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.retry_delay(20) == 3600


def test_sweep_requeues_a_stale_queued_row_and_leaves_fresh_ones(settings):
    settings.OUTBOX_STALE_AFTER_SECONDS = 300
    stale = queue(key="stale")
    fresh = queue(key="fresh")
    OutboundEmail.objects.filter(pk=stale.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    assert outbox_sweep.apply().get() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == OutboundEmail.Status.SENT  # sent by the re-dispatched task (in process here)
    assert fresh.status == OutboundEmail.Status.QUEUED
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]


def test_sweep_recovers_a_row_stuck_in_sending_by_a_dead_worker(settings):
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 900
    settings.OUTBOX_STALE_AFTER_SECONDS = 0
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=20),
        next_attempt_at=timezone.now() - timedelta(minutes=20),
    )
    services.outbox_requeue_stale(now=timezone.now() + timedelta(seconds=1))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


def test_sweep_leaves_a_recent_sending_row_alone():
    email = queue()
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.SENDING, claimed_at=timezone.now())
    assert services.outbox_requeue_stale() == []
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING


def test_broker_down_at_commit_keeps_the_row_queued(settings, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(send_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert mail.outbox == []


def test_templated_email_uses_the_shared_layout():
    email = services.email_queue_template(
        to="ada@example.org",
        subject="Welcome",
        template="message",
        context={"name": "Ada", "message": "Your place is booked.\n\nSee you there."},
        idempotency_key="templated",
    )
    assert email.body_text.startswith("Dear Ada,\n\nYour place is booked.")
    assert "Cross-Sector Programme, Academy of Medical Sciences" in email.body_text
    assert "<p>Dear Ada,</p>" in email.body_html and "<p>See you there.</p>" in email.body_html
    assert "41 Portland Place" in email.body_html
