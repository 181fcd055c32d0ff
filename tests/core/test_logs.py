"""Structured logs: one JSON line per request with its id, the URL pattern and never the path's secrets; the same
id on the log lines of the tasks the request queued, carried through the real Redis broker to a real worker."""

import io
import json
import logging
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.test import Client

from crossector.celery import app
from crossector.core.logs import logging_config
from tests.factories import person


@pytest.fixture
def log_lines():
    """Every log record, formatted by the production JSON formatter, as parsed lines."""
    stream = io.StringIO()
    formatter_config = logging_config(level="INFO", json=True, loggers={})["formatters"]["structured"]
    factory = formatter_config.pop("()")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(factory(**formatter_config))
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        raw = stream.getvalue().splitlines()
        return [json.loads(line) for line in raw]  # every line is one JSON object

    try:
        yield lines
    finally:
        root.removeHandler(handler)


def requests_logged(lines):
    return [line for line in lines() if line.get("logger") == "crossector.requests"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/awards/letters/Zm9vYmFyLXNlY3JldC10b2tlbg/?email=ffion@example.org",  # a signatory link (404 when unknown)
        "/network/?q=Ffion+Aderyn",
        "/privacy/?next=ffion@example.org",
        "/no-such-page/ffion@example.org",
    ],
)
def test_each_request_writes_one_line_with_its_id_and_pattern_and_no_path_or_query(client, log_lines, path):
    client.force_login(person())
    response = client.get(path)
    request_id = response["X-Request-ID"]
    [line] = requests_logged(log_lines)
    assert line["request_id"] == request_id and len(request_id) == 32
    assert line["method"] == "GET" and line["status"] == response.status_code
    assert line["event"] == "request" and line["level"] == "info" and line["duration_ms"] >= 0
    assert "timestamp" in line
    dumped = json.dumps(line)
    for secret in ("Zm9vYmFy", "ffion", "Ffion", "q=", "email"):
        assert secret not in dumped, secret
    if path.startswith("/awards/letters/"):
        assert line["route"] == "awards/letters/<str:token>/" and line["view"] == "awards:signatory_upload"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ("lb-1.2:abc_DEF-9", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("id with spaces", False),
        ('"}{"admin":true', False),
        ("", False),
    ],
)
def test_a_sane_request_id_from_the_load_balancer_is_kept_and_anything_else_replaced(log_lines, given, kept):
    response = Client().get("/privacy/", HTTP_X_REQUEST_ID=given)
    [line] = requests_logged(log_lines)
    assert line["request_id"] == response["X-Request-ID"]
    assert (response["X-Request-ID"] == given) is kept


@pytest.mark.django_db
def test_an_error_is_one_line_with_its_traceback_and_the_request_id(log_lines, settings):
    settings.ROOT_URLCONF = "tests.core.urls_failing"
    response = Client(raise_request_exception=False).get("/fails/")
    assert response.status_code == 500
    lines = log_lines()
    error = next(line for line in lines if line.get("logger") == "django.request")
    assert error["level"] == "error" and error["request_id"] == response["X-Request-ID"]
    assert "Traceback" in error["exception"] and "RuntimeError: the view failed" in error["exception"]


# --- Through the broker to a real worker ---------------------------------------------------------------------


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture
def redis_worker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True
        client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_the_tasks_a_request_queues_log_its_request_id_in_the_worker(redis_worker, log_lines):
    member = person(email="ada@example.org")
    response = Client().post("/accounts/password/reset/", {"email": member.email}, HTTP_X_REQUEST_ID="reset-req-1")
    assert response.status_code == 302

    def task_line():
        return next(
            (
                line
                for line in log_lines()
                if line.get("logger") == "crossector.tasks" and line.get("task") == "crossector.core.tasks.send_email"
            ),
            None,
        )

    line = _wait_for(task_line)
    assert line["request_id"] == "reset-req-1" and line["state"] == "SUCCESS" and line["task_id"]
    [request] = [r for r in requests_logged(log_lines) if r["route"] == "accounts/password/reset/"]
    assert request["request_id"] == "reset-req-1"
    # Work the worker does without a request (the beat's sweeps) carries no stale id from a task before it.
    app.send_task("crossector.core.tasks.outbox_sweep")
    sweep = _wait_for(
        lambda: next((x for x in log_lines() if x.get("task") == "crossector.core.tasks.outbox_sweep"), None)
    )
    assert "request_id" not in sweep
