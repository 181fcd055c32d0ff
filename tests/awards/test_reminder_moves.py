"""Deadline reminders follow the deadline: moved later, the reminders for the new deadline still go, once each,
and say the truth about the days left; moved earlier, nobody gets a reminder twice for the same offset."""

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from awards import services
from awards.models import AwardCall, ReminderSent
from awards.rules import UK
from crossector.core.models import OutboundEmail
from tests.awards.factories import application, deadline_call
from tests.conftest import login_with_mfa
from tests.core.test_whole_minutes import admin_form_data

pytestmark = pytest.mark.django_db
WINTER = datetime(2027, 2, 26, 16, 0, tzinfo=UK)
SUMMER = datetime(2027, 7, 15, 16, 0, tzinfo=UK)
DAY = timedelta(days=1)


def _sweep(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return services.deadline_reminders_send()


def _emails(draft) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"application-{draft.pk}-reminder-").order_by("pk")
    )


def _move(call: AwardCall, closes_at: datetime) -> None:
    AwardCall.objects.filter(pk=call.pk).update(closes_at=closes_at)
    call.refresh_from_db()


def _move_in_admin(client, call: AwardCall, closes_at: datetime) -> None:
    url = reverse("admin:awards_awardcall_change", args=[call.pk])
    data = admin_form_data(client.get(url))
    local = timezone.localtime(closes_at, UK)
    data.update(closes_at_0=local.date().isoformat(), closes_at_1=local.strftime("%H:%M"))
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    call.refresh_from_db()
    assert call.closes_at == closes_at


def _all_three_sent(deadline):
    call = deadline_call(deadline)
    draft = application(call=call)
    for offset in (14, 7, 1):
        assert _sweep(deadline - offset * DAY) == 1
    return call, draft


@pytest.mark.parametrize("deadline", [WINTER, SUMMER])
@pytest.mark.parametrize("moved_by", ["admin", "update"])
def test_a_deadline_moved_a_week_later_gets_its_reminders_again_once_each(client, staff_user, deadline, moved_by):
    call, draft = _all_three_sent(deadline)
    new = deadline + 7 * DAY
    with time_machine.travel(deadline - DAY + timedelta(hours=1), tick=False):
        if moved_by == "admin":
            login_with_mfa(client, staff_user)
            _move_in_admin(client, call, new)
        else:
            _move(call, new)

    assert _sweep(deadline - DAY + timedelta(hours=2)) == 1  # the 14-day row was for the old deadline
    assert _sweep(deadline - DAY + timedelta(hours=3)) == 0
    assert _sweep(new - 7 * DAY) == 1
    assert _sweep(new - 7 * DAY + timedelta(minutes=5)) == 0
    assert _sweep(new - DAY) == 1  # the day-before reminder for the new date
    assert _sweep(new - timedelta(hours=2)) == 0
    assert _sweep(new) == 0

    emails = _emails(draft)
    assert len(emails) == 6 and len({e.idempotency_key for e in emails}) == 6
    new_ones = [e.body_text for e in emails[3:]]
    new_deadline_text = f"{new.day} {new:%B %Y}, 4:00pm"
    assert all(new_deadline_text in body for body in new_ones)
    assert "in 8 days" in new_ones[0] and "in 7 days" in new_ones[1] and "tomorrow" in new_ones[2]


def test_a_deadline_moved_earlier_sends_nothing_twice():
    call = deadline_call(WINTER)
    draft = application(call=call)
    assert _sweep(WINTER - 14 * DAY) == 1
    assert _sweep(WINTER - 7 * DAY) == 1
    _move(call, WINTER - 3 * DAY)
    assert _sweep(WINTER - 6 * DAY) == 0  # the 7-day reminder already went within 7 days of the new deadline
    assert _sweep(WINTER - 4 * DAY) == 1  # the day before the new deadline
    assert _sweep(WINTER - 4 * DAY + timedelta(hours=1)) == 0
    assert _sweep(WINTER - 3 * DAY) == 0
    bodies = [e.body_text for e in _emails(draft)]
    assert len(bodies) == 3 and "tomorrow" in bodies[-1]


def test_a_deadline_moved_twice_reminds_the_day_before_each_new_date_once():
    call, draft = _all_three_sent(WINTER)
    for weeks in (1, 2):
        new = WINTER + weeks * 7 * DAY
        _move(call, new)
        assert _sweep(new - DAY) == 1
        assert _sweep(new - DAY + timedelta(minutes=5)) == 0
    assert ReminderSent.objects.filter(application=draft, offset_days=1).get().sent_at == call.closes_at - DAY
    day_before = [e for e in _emails(draft) if "tomorrow" in e.body_text]
    assert len(day_before) == 3


def test_a_late_reminder_says_the_days_actually_left():
    call = deadline_call(WINTER)
    draft = application(call=call)
    assert _sweep(WINTER - 6 * DAY) == 1  # the sweep was down on the 7-day mark
    assert _sweep(WINTER - timedelta(hours=3)) == 1  # and on the 1-day mark: the deadline is today
    first, second = (e.body_text for e in _emails(draft))
    assert "in 6 days" in first and "in 7 days" not in first
    assert ", today." in second and "tomorrow" not in second


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_after_a_move_send_each_new_reminder_once():
    deadline = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=12)
    call = deadline_call(deadline - 7 * DAY)
    drafts = [application(call=call) for _ in range(6)]
    ReminderSent.objects.bulk_create(
        [ReminderSent(application=d, offset_days=1, sent_at=deadline - 8 * DAY) for d in drafts]
    )
    _move(call, deadline)
    barrier, counts = threading.Barrier(2), []

    def sweep():
        try:
            barrier.wait(timeout=10)
            counts.append(services.deadline_reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(counts) == 6
    assert all(len(_emails(d)) == 1 for d in drafts)
    assert ReminderSent.objects.filter(offset_days=1, sent_at__lt=deadline - DAY).count() == 0
