"""Two requests at the same moment, on real PostgreSQL connections: the database keeps the rules."""

import threading
import time

import pytest
from django.db import connection

from hubs.network import services
from hubs.network.models import ConnectionRequest
from tests.network.factories import member

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at once, each in its own thread (and so its own database connection)."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except services.NetworkError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_people_asking_each_other_at_once_make_one_pending_request():
    a, b = member(full_name="A"), member(full_name="B")
    for _ in range(5):
        ConnectionRequest.objects.all().delete()
        outcomes = race(
            lambda: services.connection_request_create(sender=a, recipient=b, message="hi"),
            lambda: services.connection_request_create(sender=b, recipient=a, message="hi"),
        )
        assert ConnectionRequest.objects.filter(status="pending").count() == 1
        assert sum(isinstance(o, str) for o in outcomes) == 1


@pytest.fixture
def slow_checks(monkeypatch):
    """Hold each request for 50 ms between its checks and its insert, so racing requests overlap for sure."""
    real = services.selectors.connection_between

    def slow(**kwargs):
        time.sleep(0.05)
        return real(**kwargs)

    monkeypatch.setattr(services.selectors, "connection_between", slow)


def send_six_at_once(settings):
    settings.NETWORK_DAILY_REQUEST_CAP = 2
    sender = member(full_name="Sender")
    recipients = [member(full_name=f"R{i}") for i in range(6)]
    outcomes = race(
        *[
            (lambda r=r: services.connection_request_create(sender=sender, recipient=r, message="hi"))
            for r in recipients
        ]
    )
    return ConnectionRequest.objects.filter(sender=sender).count(), outcomes


def test_daily_cap_holds_when_requests_are_sent_at_once(settings, slow_checks):
    sent, outcomes = send_six_at_once(settings)
    assert sent == 2
    assert outcomes.count("daily_cap") == 4


def test_without_the_row_lock_requests_sent_at_once_break_the_daily_cap(settings, monkeypatch):
    """The control: the same race with the lock taken out lets every request through, so the lock is what holds.

    Each request, having counted and inserted, waits before committing until all six have got that far, so
    every one of them counted before any other committed, whatever the machine's load.
    """
    monkeypatch.setattr(services, "_lock_people", lambda *people: None)
    all_inserted = threading.Barrier(6, timeout=10)
    real_queue = services.email_queue_template

    def queue_when_all_have_inserted(**kwargs):
        all_inserted.wait()
        return real_queue(**kwargs)

    monkeypatch.setattr(services, "email_queue_template", queue_when_all_have_inserted)
    sent, outcomes = send_six_at_once(settings)
    assert sent == 6
    assert "daily_cap" not in outcomes
