"""The event-reminder sweep takes batches until none is full, so a busy day is not sent 500 per beat run."""

import pytest

from events import services, tasks


def test_sweep_takes_batches_until_one_is_not_full(monkeypatch):
    batches = iter([services.REMINDER_BATCH, services.REMINDER_BATCH, 3, 99])
    calls = []

    def fake_send(*, limit):
        calls.append(limit)
        return next(batches)

    monkeypatch.setattr(services, "reminders_send_due", fake_send)
    assert tasks.event_reminders_sweep() == 2 * services.REMINDER_BATCH + 3
    assert calls == [services.REMINDER_BATCH] * 3


def test_sweep_stops_at_its_time_budget(monkeypatch):
    monkeypatch.setattr(services, "reminders_send_due", lambda *, limit: limit)  # always a full batch
    monkeypatch.setattr(tasks, "SWEEP_BUDGET_SECONDS", 0)
    assert tasks.event_reminders_sweep() == services.REMINDER_BATCH


@pytest.mark.django_db
def test_sweep_sends_more_than_one_batch_of_real_reminders(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from crossector.core.models import OutboundEmail
    from events.models import Booking
    from tests.events.factories import EventFactory
    from tests.factories import person

    monkeypatch.setattr(services, "REMINDER_BATCH", 2)
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=6), capacity=10)
    for _ in range(5):
        Booking.objects.create(event=event, user=person(), status=Booking.Status.CONFIRMED)
    assert tasks.event_reminders_sweep() == 5
    assert OutboundEmail.objects.filter(idempotency_key__contains="-reminder-").count() == 5
    assert tasks.event_reminders_sweep() == 0
