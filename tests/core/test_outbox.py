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


# --- Any error is an attempt; header values are made safe where the message is built --------------------------


def _row(key="row-1", **fields):
    """A row as an older release (or a script) may have stored it, bypassing email_queue's cleaning."""
    values = {"to": "ada@example.org", "subject": "Hello", "body_text": "Body", "idempotency_key": key}
    values.update(fields)
    return OutboundEmail.objects.create(**values)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada\nLovelace", "Ada Lovelace"),
        ("Ada\r\nLovelace", "Ada Lovelace"),
        ("Ada\rLovelace", "Ada Lovelace"),
        ("Ada\nBcc: eve@example.org", "Ada Bcc: eve@example.org"),
        ("Ada\x1b[2JLovelace", "Ada [2JLovelace"),
        ("Ada\x85Lovelace", "Ada Lovelace"),
        ("Ada\u2028Lovelace", "Ada Lovelace"),
        ("Ada\u202eLovelace", "Ada Lovelace"),
        ("Ada\tLovelace", "Ada Lovelace"),
    ],
)
def test_a_name_with_a_line_break_in_the_subject_is_sent_on_one_line(name, shown):
    email = _row(subject=f"{name} would like to connect with you")
    assert send_email.apply(args=[email.pk]).get() is True
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    [sent] = mail.outbox
    assert sent.subject == f"{shown} would like to connect with you"
    message = sent.message()
    assert "eve@example.org" not in str(message.get("Bcc", "")) and sent.recipients() == ["ada@example.org"]


def test_queue_keeps_a_nul_out_of_the_row_and_the_callers_transaction():
    email = queue(subject="Ada\x00Lovelace would like to connect with you")
    email.refresh_from_db()
    assert email.subject == "Ada Lovelace would like to connect with you"


def test_queue_stores_a_one_line_subject_that_fits_its_column():
    title = "Cancer innovation\n" + "x" * 400
    email = queue(subject=f"New Wales hub event: {title}")
    email.refresh_from_db()
    assert "\n" not in email.subject
    assert email.subject.startswith("New Wales hub event: Cancer innovation x")
    assert len(email.subject) == OutboundEmail._meta.get_field("subject").max_length


def test_an_address_with_a_line_break_never_reaches_a_second_recipient():
    email = _row(to="ada@example.org\nBcc: eve@example.org")
    services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status != OutboundEmail.Status.SENDING
    assert all("eve@example.org" not in m.recipients() for m in mail.outbox)


def _bad_attachment():
    return {"attachments": [{"filename": "event.ics", "mimetype": "text/calendar"}]}  # no content


def _undecodable_attachment():
    return {"attachments": [{"filename": "a.ics", "mimetype": "text/calendar", "content_b64": "%%%not base64"}]}


def _backend_crash(monkeypatch):
    def crash(self, *args, **kwargs):
        raise RuntimeError("backend bug")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", crash)


def _bad_header(monkeypatch):
    from django.core.mail import BadHeaderError

    def refuse(self):
        raise BadHeaderError("Header values can't contain newlines")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.message", refuse)


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        (lambda mp: _bad_attachment(), "KeyError"),
        (lambda mp: _undecodable_attachment(), "Error"),
        (lambda mp: _backend_crash(mp) or {}, "RuntimeError: backend bug"),
        (lambda mp: _bad_header(mp) or {}, "BadHeaderError"),
    ],
)
def test_any_error_building_or_sending_is_an_attempt_and_ends_failed(monkeypatch, settings, breakage, error):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    email = _row(**(breakage(monkeypatch) or {}))
    statuses = []
    for attempt in (1, 2, 3):
        result = send_email.apply(args=[email.pk])  # the task never raises; it schedules a retry or gives up
        assert result.get() is False
        email.refresh_from_db()
        statuses.append(email.status)
        assert email.attempts == attempt
        assert error in email.last_error
    assert statuses == [OutboundEmail.Status.QUEUED, OutboundEmail.Status.QUEUED, OutboundEmail.Status.FAILED]
    assert services.email_send(email_id=email.pk).sent is False  # a failed row is not picked up again
    email.refresh_from_db()
    assert email.attempts == 3 and mail.outbox == []


def test_a_row_that_will_not_build_is_failed_not_requeued_forever(settings):
    """The reported bug: the row stayed "sending" and the sweep re-queued it past the maximum for ever."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 900
    settings.OUTBOX_STALE_AFTER_SECONDS = 0
    email = _row(**_bad_attachment())
    for _ in range(6):  # a worker's attempt, then the sweep an hour later, six times over
        services.email_send(email_id=email.pk)
        email.refresh_from_db()
        assert email.status != OutboundEmail.Status.SENDING
        services.outbox_requeue_stale(now=timezone.now() + timedelta(hours=1))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == 3
    assert "KeyError" in email.last_error


def test_sweep_fails_a_row_stuck_in_sending_at_its_last_attempt(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 900
    long_ago = timezone.now() - timedelta(hours=1)
    last = _row(key="last", status=OutboundEmail.Status.SENDING, attempts=3, claimed_at=long_ago)
    beyond = _row(key="beyond", status=OutboundEmail.Status.SENDING, attempts=9, claimed_at=long_ago)
    earlier = _row(key="earlier", status=OutboundEmail.Status.SENDING, attempts=1, claimed_at=long_ago)
    assert services.outbox_requeue_stale() == [earlier.pk]
    for row in (last, beyond):
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.FAILED
        assert "did not finish" in row.last_error
    earlier.refresh_from_db()
    assert earlier.status == OutboundEmail.Status.SENT  # retried by the re-dispatched task (in process here)
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]


def test_failed_email_is_shown_to_staff_and_can_be_resent(client, settings, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.conftest import login_with_mfa
    from tests.factories import person

    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = _row(**_bad_attachment())
    services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED

    staff = person(is_staff=True, is_superuser=True)
    login_with_mfa(client, staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "1 email could not be sent" in index
    listing = client.get(reverse("admin:core_outboundemail_changelist") + "?status__exact=failed").content.decode()
    assert "Hello" in listing
    page = client.get(reverse("admin:core_outboundemail_change", args=[email.pk])).content.decode()
    assert "KeyError" in page

    OutboundEmail.objects.filter(pk=email.pk).update(attachments=[])  # staff correct the cause
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_outboundemail_changelist"),
            {"action": "resend", "_selected_action": [email.pk]},
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
