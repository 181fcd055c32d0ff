"""Readiness of the parts the portal needs: the database and the Celery broker."""

from django.conf import settings
from django.db import connection


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url:
        return None  # tasks run in process; there is no broker to be down
    from crossector.celery import app

    try:
        with app.connection_for_write(url) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def broker_queued_tasks() -> int | None:
    """Task messages waiting in the broker for a worker (Celery's default queue, every priority level).

    None when there is no broker (tasks run in process) or it does not answer. A number that keeps growing
    means the workers are down or too few. Asked through kombu, so it counts the way the worker reads.
    """
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    from kombu.exceptions import ChannelError

    from crossector.celery import app

    try:
        with app.connection_for_read(url) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            try:
                return conn.default_channel.queue_declare(app.conf.task_default_queue, passive=True).message_count
            except ChannelError:  # no worker has declared the queue yet, so nothing waits in it
                return 0
    except Exception:  # noqa: BLE001 - a broker that does not answer has no figure to give
        return None
