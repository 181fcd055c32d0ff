"""gunicorn settings for production (Procfile: web). Every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never take a worker down at a busy moment.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The portal writes its own access line, one JSON object per request with the request id and the URL *pattern*
# (crossector/core/logs.py), so gunicorn's is off. Its line would carry the path, and paths carry secrets:
# signatory upload links, password-reset keys, an email typed into a URL. GUNICORN_ACCESSLOG=- turns it back
# on, in a format with no path, no query string and no Referer (the next page's Referer repeats a search URL).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s %(t)s "%(m)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25+ opens a control socket for `gunicornc` (change worker count, reload, shut down) at
# $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl: one fixed path shared by every gunicorn the
# same user runs on the host, so a second instance (a bench run, another site, a drill) takes it over and
# `gunicornc` then steers the wrong server. Nothing here uses it, so it is off; set GUNICORN_CONTROL_SOCKET
# to a path of this instance's own (e.g. /run/crossector/web.ctl) to turn it on, owner-only (0600).
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
if _control_socket:
    control_socket = _control_socket
    control_socket_mode = 0o600
else:
    control_socket_disable = True
