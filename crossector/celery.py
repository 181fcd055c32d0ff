import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crossector.settings")

app = Celery("crossector")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def _restore_unacked_when_reachable(restore_unacked):
    """kombu 5.7's Redis transport, closing a channel after the broker went away, tries to put the messages it
    had in hand back on the queue through a connection that no longer exists. That raises AttributeError
    ('NoneType' object has no attribute 'hostname') out of the worker's consumer and the worker exits: found by
    drill 1 (Redis stopped during bookings, docs/reliability.md; kombu issue #582 is the same path). With
    `acks_late` a message is in hand whenever a task runs, so it happens whenever Redis goes down mid-task.

    Those messages cannot be put back while Redis is away, and need not be: each is an outbox row still queued
    in PostgreSQL, which the outbox sweep hands to Celery again (DESIGN.md, "Email: the outbox"). So the failed
    restore is logged and forgotten, and the worker reconnects instead of exiting."""

    def restore(self, client=None):
        try:
            return restore_unacked(self, client)
        except (AttributeError, ConnectionError, OSError) as exc:
            logger.warning(
                "Could not put %d message(s) back while the broker is away (%s); the outbox sweep resends them.",
                len(self._delivered),
                exc.__class__.__name__,
            )
            self._delivered.clear()
            return None

    restore.__wrapped__ = restore_unacked
    return restore


def _patch_kombu_redis_restore() -> None:
    from kombu.transport import redis as kombu_redis

    if not hasattr(kombu_redis.QoS.restore_unacked, "__wrapped__"):
        kombu_redis.QoS.restore_unacked = _restore_unacked_when_reachable(kombu_redis.QoS.restore_unacked)


_patch_kombu_redis_restore()
