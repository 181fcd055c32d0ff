import pytest
from django.db import OperationalError

from tests.conftest import port_nothing_listens_on

pytestmark = pytest.mark.django_db


def test_health_is_200_when_database_and_broker_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "outbox_oldest_age_seconds": 0.0}
    assert "no-cache" in response["Cache-Control"]


def test_health_reports_how_long_the_oldest_unsent_email_has_waited_and_stays_200(client):
    from datetime import timedelta

    from django.utils import timezone

    from crossector.core.models import OutboundEmail

    now = timezone.now()
    common = {"to": "a@example.org", "subject": "s", "body_text": "b"}
    OutboundEmail.objects.create(idempotency_key="old", created_at=now - timedelta(minutes=20), **common)
    OutboundEmail.objects.create(
        idempotency_key="older-but-sent",
        created_at=now - timedelta(hours=5),
        status=OutboundEmail.Status.SENT,
        sent_at=now,
        **common,
    )
    OutboundEmail.objects.create(
        idempotency_key="given-up", created_at=now - timedelta(hours=9), status=OutboundEmail.Status.FAILED, **common
    )
    OutboundEmail.objects.create(idempotency_key="new", created_at=now, **common)
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert 20 * 60 <= response.json()["outbox_oldest_age_seconds"] < 21 * 60


def test_health_is_503_naming_the_broker_when_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port_nothing_listens_on()}/0"  # nothing listens here
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"


def test_health_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def fail(self, sql, params=None):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", fail)
    response = client.get("/health/")
    assert response.status_code == 503
    assert "server closed the connection" in response.json()["database"]
