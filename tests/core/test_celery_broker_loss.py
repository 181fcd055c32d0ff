"""A worker whose broker disappears mid-task reconnects instead of exiting (drill 1, docs/reliability.md)."""

from types import SimpleNamespace

import pytest
from kombu.transport import redis as kombu_redis

import crossector.celery  # noqa: F401  (installs the patch, as the worker does on start)


def test_a_failed_restore_of_messages_in_hand_is_logged_not_raised(caplog):
    qos = kombu_redis.QoS.__new__(kombu_redis.QoS)
    qos._delivered = {"tag-1": object(), "tag-2": object()}

    def conn_or_acquire(client=None):  # what kombu 5.7 does once the connection is gone
        raise AttributeError("'NoneType' object has no attribute 'hostname'")

    qos.channel = SimpleNamespace(conn_or_acquire=conn_or_acquire)
    with caplog.at_level("WARNING"):
        assert qos.restore_unacked() is None
    assert qos._delivered == {}
    assert "outbox sweep resends them" in caplog.text


def test_the_control_without_the_patch_raises_as_kombu_does():
    qos = kombu_redis.QoS.__new__(kombu_redis.QoS)
    qos._delivered = {"tag-1": object()}

    def conn_or_acquire(client=None):
        raise AttributeError("'NoneType' object has no attribute 'hostname'")

    qos.channel = SimpleNamespace(conn_or_acquire=conn_or_acquire)
    with pytest.raises(AttributeError):
        kombu_redis.QoS.restore_unacked.__wrapped__(qos)
