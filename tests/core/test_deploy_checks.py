"""Production never writes personal information into logs by accident (issue 21 item 4).

- `manage.py check --deploy` fails when email would be printed, written to files, kept in memory or dropped
  instead of sent (EMAIL_URL left at its local default), and the release step runs it before migrating;
- the web server's access log writes the path without the query string or Referer, so what someone typed into
  a search (a name in the people directory) never reaches it: tested on gunicorn itself, serving a signed-in
  directory search, and on Django's own request logging.
"""

import logging
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import connection
from gunicorn.config import Config
from gunicorn.glogging import Logger

from crossector.core.checks import UNDELIVERED_EMAIL, email_backend_check
from tests.network.factories import member

ROOT = Path(__file__).resolve().parents[2]
NAME = "Zebedee Quillfeather"
SEARCH = "Quillfeather"

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "crossector.settings",
    "DEBUG": "false",
    "SECRET_KEY": "b" * 20 + "-production-secret-with-enough-entropy-ASDFghjkl5678",
    "ALLOWED_HOSTS": "crosssector.example.org",
    "SITE_URL": "https://crosssector.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://crosssector.example.org",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def base_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "EMAIL_URL"))}


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_env(), **PRODUCTION, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- The email deploy check ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", list(UNDELIVERED_EMAIL))
def test_every_backend_that_does_not_deliver_is_an_error_with_debug_off(settings, backend):
    settings.DEBUG, settings.EMAIL_BACKEND = False, backend
    [error] = email_backend_check()
    assert error.id == "core.E001" and error.level == logging.ERROR
    assert backend in error.msg and "EMAIL_URL" in error.hint


@pytest.mark.parametrize(
    ("debug", "backend"),
    [
        (False, "django.core.mail.backends.smtp.EmailBackend"),
        (False, "anymail.backends.example.EmailBackend"),
        (True, "django.core.mail.backends.console.EmailBackend"),
        (True, "django.core.mail.backends.filebased.EmailBackend"),
    ],
)
def test_a_delivering_backend_or_local_debugging_passes(settings, debug, backend):
    settings.DEBUG, settings.EMAIL_BACKEND = debug, backend
    assert email_backend_check() == []


@pytest.mark.parametrize(
    ("email_url", "backend"),
    [
        ("", "console"),
        ("consolemail://", "console"),
        ("filemail:///tmp/mail", "filebased"),
        ("memorymail://", "locmem"),
    ],
)
def test_check_deploy_fails_when_production_would_print_or_keep_email(email_url, backend):
    env = {"EMAIL_URL": email_url} if email_url else {}
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "core.E001" in output and f"django.core.mail.backends.{backend}.EmailBackend" in output


def test_check_deploy_passes_with_a_mail_server_and_plain_check_stays_quiet_locally():
    result = manage("check", "--deploy", "--fail-level", "WARNING", EMAIL_URL="smtp+tls://u:p@smtp.example.org:587")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    local = manage("check", DEBUG="false")  # no --deploy: a fresh clone without a mail server still works
    assert local.returncode == 0 and "core.E001" not in local.stdout + local.stderr


def test_the_release_step_runs_the_deploy_checks_before_migrating():
    release = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("release:"))
    assert release.index("manage.py check --deploy") < release.index("manage.py migrate")
    assert " && " in release  # a failing check stops the release


# --- Access logs: no query strings, no Referer -----------------------------------------------------------


def gunicorn_logger() -> Logger:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("errorlog", "access_log_format"):
        cfg.set(name, conf[name])
    cfg.set("accesslog", "-")  # as GUNICORN_ACCESSLOG=- turns it on
    return Logger(cfg)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/network/", f"q={SEARCH}"),
        ("/network/", f"sector=nhs&q={SEARCH}+Z%C3%A9bed%C3%A9e&page=2"),
        ("/admin/core/outboundemail/", "q=zebedee%40example.org"),
        ("/accounts/login/", f"next=/network/%3Fq%3D{SEARCH}"),
        # Paths that are secrets themselves: a password-reset key, a signatory's upload link, an email in a URL.
        ("/accounts/password/reset/key/1u-divyn0-38ba283c15a7c732f6bae1131f5021d2/", ""),
        ("/awards/letters/hSpA5eq_Ss0SxNctbRi244EkXEdbgRRzHDpnoyqWD6o/", ""),
        ("/network/people/zebedee@example.org/", ""),
    ],
)
def test_the_access_log_is_ours_and_gunicorns_if_turned_on_writes_no_path_query_or_referer(capsys, path, query):
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["accesslog"] is None  # off by default: the portal's JSON request line is the access log
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(u)s", "%(U)s", "{referer}i", "{query_string}e", "{raw_uri}e"):
        assert atom.lower() not in conf["access_log_format"].lower()
    logger = gunicorn_logger()
    capsys.readouterr()
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://crosssector.example.org/network/?q={SEARCH}",
        "HTTP_USER_AGENT": "Firefox",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    line = capsys.readouterr()
    written = line.out + line.err
    assert '"GET" 200 1234' in written
    assert path not in written and SEARCH not in written and "zebedee" not in written.lower() and "?" not in written


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_directory_search_served_by_gunicorn_finds_the_person_and_leaves_no_name_in_the_log(client, tmp_path):
    member(full_name=NAME)
    viewer = member(full_name="Viewer Person", listed=False)
    client.force_login(viewer)
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    port = free_port()
    db = connection.settings_dict
    env = {
        **base_env(),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "DEBUG": "false",
        "MANIFEST_STATIC": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crossector.wsgi:application", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/privacy/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.1)
            search = urllib.request.Request(f"{base}/network/?q={SEARCH}", headers={"Cookie": cookie})
            page = urllib.request.urlopen(search, timeout=10).read().decode()
            assert NAME in page  # the search still works
            follow = urllib.request.Request(
                f"{base}/privacy/", headers={"Cookie": cookie, "Referer": f"{base}/network/?q={SEARCH}"}
            )
            assert urllib.request.urlopen(follow, timeout=10).status == 200
            anonymous = urllib.request.urlopen(f"{base}/network/?q={SEARCH}", timeout=10)  # to the login page
            assert "/accounts/login/" in anonymous.url and SEARCH in anonymous.url
        finally:
            server.terminate()
            server.wait(timeout=30)
    written = log.read_text()
    # The portal's own access line: one JSON object per request, naming the URL pattern, never the path or query.
    assert '"route": "network/"' in written and '"route": "privacy/"' in written
    assert '"route": "accounts/login/"' in written
    assert SEARCH not in written


@pytest.mark.django_db
def test_djangos_own_request_logging_writes_no_search_terms(client, caplog):
    viewer = member(full_name="Viewer Person", listed=False)
    member(full_name=NAME)
    client.force_login(viewer)
    with caplog.at_level(logging.DEBUG):
        assert NAME in client.get("/network/", {"q": SEARCH}).content.decode()
        assert client.get("/network/people/999999/", {"q": SEARCH}).status_code == 404
        assert client.get("/no-such-page/", {"q": SEARCH}).status_code == 404
    assert any("Not Found: <unmatched path>" in r.getMessage() for r in caplog.records)
    assert not [r.getMessage() for r in caplog.records if SEARCH in r.getMessage() or "no-such-page" in r.getMessage()]


SECRET_PATHS = [
    "/awards/letters/hSpA5eq_Ss0SxNctbRi244EkXEdbgRRzHDpnoyqWD6o/",  # a signatory's upload link
    "/accounts/password/reset/key/1u-divyn0-38ba283c15a7c732f6bae1131f5021d2/",  # a reset key
    "/network/people/zebedee@example.org/",  # an email typed into a URL
    "/hubs/unfollow/secret-unfollow-token-0123456789/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", SECRET_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_djangos_warnings_name_the_url_pattern_never_a_path_that_holds_a_secret(client, caplog, path, method):
    with caplog.at_level(logging.DEBUG):
        response = getattr(client, method)(path)
    assert response.status_code < 500
    secret = path.strip("/").rsplit("/", 1)[-1]
    assert not [r.getMessage() for r in caplog.records if secret in r.getMessage()]
