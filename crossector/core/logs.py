"""Structured logs: one JSON line per request, and a request id that follows the work it causes into Celery.

- `logging_config` renders every log record (Django's, Celery's, ours) through structlog: JSON in production,
  readable columns for `make run`. Whatever is bound in structlog's context variables (the request id, a task's
  name and id) is added to every line, so all lines of one request, and of the tasks it queued, share an id.
- `RequestLogMiddleware` takes the load balancer's `X-Request-ID` (or makes one), binds it, answers with it,
  and writes the request's one line: method, URL *pattern* (never the path: paths carry signatory tokens and
  slugs), view, status and time taken. No query string, no user, no address: docs/privacy.md, "Logs".
- Celery signals carry the id in the task message's headers and bind it again in the worker.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun
from structlog.contextvars import bind_contextvars, bound_contextvars, get_contextvars, reset_contextvars

REQUEST_ID_HEADER = "X-Request-ID"
# What a load balancer or a client may hand us as an id: short, and nothing that could break a log line.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

logger = structlog.get_logger("crossector.requests")
task_logger = structlog.get_logger("crossector.tasks")

_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def structlog_configure() -> None:
    """structlog hands its events to the standard library, so one handler and formatter write every line."""
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# Django's own loggers that name the request's path in their message ("Not Found: /awards/letters/<token>/").
PATH_LOGGERS = ("django.request", "django.server", "django.security.csrf", "django.security.DisallowedHost")


class PathRedactingFilter(logging.Filter):
    """Django's warnings name the path, and paths carry secrets (signatory links, password-reset keys, an email
    typed into a URL): the path becomes the URL *pattern* it matched ("awards/letters/<str:token>/"), or
    "<unmatched path>"; a query string is never written."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and record.args:
            match = getattr(request, "resolver_match", None)
            shown = match.route if match else "<unmatched path>"
            full = request.get_full_path() if hasattr(request, "get_full_path") else path
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(shown if arg in (path, full) else arg for arg in args)
        return True


def logging_config(*, level: str, json: bool, loggers: dict) -> dict:
    """The LOGGING dict: every record, structlog's or the standard library's, rendered by one formatter."""
    renderer = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False, sort_keys=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # A traceback becomes one JSON string: one record stays one line.
                    *([structlog.processors.format_exc_info] if json else []),
                    renderer,
                ],
            }
        },
        "filters": {"redact_paths": {"()": PathRedactingFilter}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["redact_paths"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {**{name: {"filters": ["redact_paths"]} for name in PATH_LOGGERS}, **loggers},
    }


def request_id_from(value: str | None) -> str:
    """The id to use for a request: the one the load balancer sent when it is sane, otherwise a new one."""
    if value and _ACCEPTED_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """First in the chain: binds the request id for everything below it and logs one line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        started = time.monotonic()
        with bound_contextvars(request_id=request_id):
            response = self.get_response(request)
            match = getattr(request, "resolver_match", None)
            logger.info(
                "request",
                method=request.method,
                route=(match.route if match else None),
                view=(match.view_name if match else None),
                status=response.status_code,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- Celery: the id travels in the task message's headers ----------------------------------------------------

_running: dict[str, tuple[dict, float]] = {}


@before_task_publish.connect
def _carry_request_id(sender=None, headers=None, **kwargs) -> None:
    request_id = get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers["request_id"] = request_id


def _task_request_id(task) -> str | None:
    request = task.request
    value = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    return value if isinstance(value, str) and _ACCEPTED_ID.fullmatch(value) else None


@task_prerun.connect
def _bind_task(sender=None, task_id=None, task=None, **kwargs) -> None:
    values = {"task": task.name, "task_id": task_id}
    request_id = _task_request_id(task)
    if request_id:  # in process (eager), the request's own binding is already there and stays
        values["request_id"] = request_id
    _running[task_id] = (bind_contextvars(**values), time.monotonic())


@task_postrun.connect
def _unbind_task(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    tokens, started = _running.pop(task_id, (None, time.monotonic()))
    task_logger.info("task", state=state, duration_ms=round((time.monotonic() - started) * 1000, 1))
    if tokens:
        reset_contextvars(**tokens)
