"""The outbox against a real Celery worker consuming from the real Redis broker."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import transaction

from crossector.celery import app
from crossector.core import services
from crossector.core.models import OutboundEmail
from crossector.core.tasks import send_email

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_worker():
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), "these tests need the Redis broker"
    client = redis.Redis.from_url(broker)
    client.flushdb()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
            yield client
    finally:
        app.conf.task_always_eager = True
        client.flushdb()


def queue_drained(client) -> bool:
    # With acks_late a message moves from the queue to the "unacked" hash until the task finishes.
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def test_committed_email_is_delivered_once_by_a_real_worker_even_when_sent_twice(redis_worker):
    with transaction.atomic():
        email = services.email_queue(to="ada@example.org", subject="Booked", body_text="See you", idempotency_key="k1")
    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", what="the worker to send the email")

    send_email.delay(email.pk)
    send_email.delay(email.pk)
    wait_for(lambda: queue_drained(redis_worker), what="the duplicate tasks to be consumed")

    assert [m.subject for m in mail.outbox] == ["Booked"]
    email.refresh_from_db()
    assert email.attempts == 1


def test_email_from_a_rolled_back_transaction_never_reaches_the_broker(redis_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.email_queue(to="ada@example.org", subject="Never", body_text="x", idempotency_key="k2")
        raise RuntimeError
    # A committed email after it proves the worker is consuming; the rolled-back one never arrives.
    with transaction.atomic():
        services.email_queue(to="bo@example.org", subject="Later", body_text="x", idempotency_key="k3")
    wait_for(lambda: len(mail.outbox) == 1 and queue_drained(redis_worker), what="the committed email")
    assert [m.subject for m in mail.outbox] == ["Later"]
    assert not OutboundEmail.objects.filter(idempotency_key="k2").exists()
