"""Security headers on every page, and templates that a strict Content Security Policy can serve."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/events/", "/accounts/login/", "/no-such-page/"])
def test_pages_carry_a_strict_content_security_policy(client, path):
    policy = _policy(client.get(path))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert not any("'unsafe-inline'" in sources or "'unsafe-eval'" in sources for sources in policy.values())


def test_pages_carry_the_other_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()"


def test_admin_and_downloads_carry_the_headers_too(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_production_cookies_are_secure_and_https_is_enforced():
    """The settings check --deploy relies on, as the production environment sets them (see test_pages)."""
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "crossector.settings",
        "SITE_URL": "https://crosssector.example.org",
        "SECURE_HSTS_SECONDS": "31536000",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_HTTPONLY)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True", "True", "31536000", "True"]


# --- Templates a strict CSP can serve ------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _page_templates() -> list[Path]:
    """Every template that renders a web page. Email bodies are left out: mail clients need inline styles
    and no browser applies the site's CSP to them."""
    return [p for p in sorted((ROOT / "templates").rglob("*.html")) if "emails" not in p.relative_to(ROOT).parts]


def test_there_are_templates_to_scan():
    assert len(_page_templates()) > 40


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (INLINE_SCRIPT, "an inline <script> (move it to a file under static/js/)"),
        (HANDLER, "an on*= event handler attribute (attach the listener in static/js/)"),
        (STYLE_ATTR, "a style= attribute (use a class in static/css/)"),
        (STYLE_BLOCK, "a <style> block (move it to static/css/)"),
        (JS_URL, "a javascript: URL"),
    ],
    ids=["inline-script", "on-handler", "style-attribute", "style-block", "javascript-url"],
)
def test_no_template_needs_unsafe_inline(pattern, what):
    offenders = [
        f"{path.relative_to(ROOT)}:{content[: m.start()].count(chr(10)) + 1}"
        for path in _page_templates()
        for content in [path.read_text()]
        for m in pattern.finditer(content)
    ]
    assert offenders == [], f"Found {what} in: {offenders}"


def test_the_scan_catches_what_it_is_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">x</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js"></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json">{}</script>')
    assert HANDLER.search('<button onclick="go()">')
    assert not HANDLER.search('<a data-only="x">')
    assert STYLE_ATTR.search('<div style="width: 5%">')
    assert JS_URL.search('<a href="javascript:void(0)">')


def test_static_javascript_builds_no_code_from_strings():
    """No eval, new Function or string timers in our own scripts: the CSP forbids 'unsafe-eval'."""
    evil = re.compile(r"\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*[\"'`]")
    scripts = list((ROOT / "static" / "js").glob("*.js"))
    assert scripts
    assert [str(p) for p in scripts if evil.search(p.read_text())] == []


def test_csp_is_enforced_not_report_only():
    assert "DIRECTIVES" in settings.CONTENT_SECURITY_POLICY
    assert not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
