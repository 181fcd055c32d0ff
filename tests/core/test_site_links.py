"""Emailed links use the address the portal is served at (SITE_URL, which `make run PORT=` sets), and the
account emails name the site."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crossector.core.models import OutboundEmail
from tests.factories import person

ROOT = Path(__file__).resolve().parents[2]
STRONG = "a-long-and-unusual-password-42"


def _make_run(tmp_path, *args, env_extra=None) -> list[str]:
    """Run the real `make run` with a stand-in python that records SITE_URL for each command it is given."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".runtime").touch()  # newer than requirements.txt: nothing to install
    record = tmp_path / "record.txt"
    stub = venv / "bin" / "python"
    stub.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        f"open({str(record)!r}, 'a').write(' '.join(sys.argv[1:3]) + '|' + os.environ.get('SITE_URL', '') + '\\n')\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    env = {
        k: v for k, v in os.environ.items() if k not in {"SITE_URL", "DATABASE_URL", "CELERY_BROKER_URL", "MAKEFLAGS"}
    }
    env.update(env_extra or {})
    subprocess.run(["make", "-s", "run", f"VENV={venv}", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return record.read_text().splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "http://127.0.0.1:8000"),
        (["PORT=8101"], "http://127.0.0.1:8101"),
        (["PORT=9000", "HOST=0.0.0.0"], "http://0.0.0.0:9000"),
    ],
)
def test_make_run_serves_and_links_at_the_same_port_when_site_url_is_unset(tmp_path, args, expected):
    lines = _make_run(tmp_path, *args)
    assert [line.split("|")[0] for line in lines] == ["manage.py migrate", "manage.py seed_demo", "manage.py runserver"]
    assert {line.split("|")[1] for line in lines} == {expected}
    assert lines[-1].startswith(f"manage.py runserver|{expected}")  # and runserver listens there


def test_make_run_keeps_an_explicit_site_url(tmp_path):
    lines = _make_run(tmp_path, "PORT=8101", env_extra={"SITE_URL": "https://portal.example.org"})
    assert {line.split("|")[1] for line in lines} == {"https://portal.example.org"}


def test_settings_take_site_url_from_the_environment():
    env = {**os.environ, "SITE_URL": "http://127.0.0.1:8101/", "DJANGO_SETTINGS_MODULE": "crossector.settings"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "http://127.0.0.1:8101"


def _links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


@pytest.mark.django_db
@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8101", "https://portal.example.org"])
def test_every_link_in_the_verification_email_uses_site_url_and_names_the_site(client, settings, site_url):
    settings.SITE_URL = site_url
    client.post("/accounts/signup/", {"email": "new@example.org", "password1": STRONG, "password2": STRONG})
    row = OutboundEmail.objects.get(to="new@example.org")
    host = site_url.split("://")[1]
    assert f"register an account on the Cross-Sector Programme portal ({host})" in row.body_text
    assert "account on ." not in row.body_text
    links = _links(row.body_text)
    assert any("/accounts/confirm-email/" in link for link in links)
    assert links and all(link.startswith(site_url + "/") for link in links), links
    assert "testserver" not in row.body_text + row.body_html


@pytest.mark.django_db
def test_added_address_verification_email_names_the_site_too(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    user = person(email="ada@example.org")
    client.force_login(user)
    client.post("/accounts/email/", {"action_add": "", "email": "ada.second@example.org"})
    row = OutboundEmail.objects.get(to="ada.second@example.org")
    assert "Cross-Sector Programme portal (127.0.0.1:8101)" in row.body_text
    assert all(link.startswith("http://127.0.0.1:8101/") for link in _links(row.body_text))


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["ada@example.org", "nobody@example.org"])
def test_password_reset_links_use_site_url_for_known_and_unknown_addresses(client, settings, email):
    settings.SITE_URL = "http://127.0.0.1:8101"
    person(email="ada@example.org")
    client.post("/accounts/password/reset/", {"email": email})
    rows = OutboundEmail.objects.filter(to=email)
    for row in rows:
        links = _links(row.body_text)
        assert links and all(link.startswith("http://127.0.0.1:8101/") for link in links), row.body_text
        assert f"email {email}." in row.body_text or email == "ada@example.org"  # allauth's blank before
    if email == "ada@example.org":
        assert any("/accounts/password/reset/key/" in link for link in _links(rows.get().body_text))
