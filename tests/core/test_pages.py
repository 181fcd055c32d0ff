import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/", "The five barriers"),
        ("/privacy/", "Information Commissioner"),
        ("/accessibility/", "WCAG 2.2"),
        ("/accounts/login/", "Sign In"),
        ("/accounts/signup/", "Sign Up"),
    ],
)
def test_public_pages_render_in_the_portal_layout(client, path, text):
    response = client.get(path)
    assert response.status_code == 200
    content = response.content.decode()
    assert text.lower() in content.lower()
    assert 'href="#main-content"' in content  # skip link from the shared layout
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in content


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_header_marks_the_current_section(client):
    content = client.get("/").content.decode()
    assert 'aria-current="page">Programme</a>' in content


def test_check_deploy_is_clean_with_the_documented_production_variables():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "crossector.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a" * 20 + "-production-secret-with-enough-entropy-QWERTYuiop1234",
        "ALLOWED_HOSTS": "crosssector.example.org",
        "SITE_URL": "https://crosssector.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://crosssector.example.org",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crossector"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp+tls://user:password@smtp.example.org:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
