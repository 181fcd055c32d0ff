"""Error reporting to Sentry, switched on by SENTRY_DSN (settings.py), with nothing personal attached.

Sentry gets the exception, the stack, the URL pattern and the request id (to find the request's log lines); not
the path or query string, cookies, headers, the request body, local variables (a form's values, an email
address) or the user: `data_collection` and `_before_send` say so.
"""

from __future__ import annotations

from structlog.contextvars import get_contextvars


def _before_send(event, hint):
    """Tag the event with the request id (and task); keep of the request only its method.

    The URL's path can hold a signatory link's token and its query string what someone searched for; the
    event's transaction already names the URL pattern (the Django integration's default), which is enough.
    """
    values = get_contextvars()
    tags = event.setdefault("tags", {})
    for name in ("request_id", "task", "task_id"):
        if values.get(name):
            tags[name] = values[name]
    if "request" in event:
        event["request"] = {"method": event["request"].get("method")}
    return event


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float = 0.0, transport=None
) -> None:
    """Start the Sentry client for Django and Celery errors; `transport` lets tests keep the events."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # What the integrations collect by themselves: nothing about the person (sentry-sdk's data_collection).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        traces_sample_rate=traces_sample_rate,
        before_send=_before_send,
        transport=transport,
    )
