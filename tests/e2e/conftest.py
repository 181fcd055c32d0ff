"""Browser test harness: Playwright driving Debian's Chromium against a live server on PostgreSQL."""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does this as root).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


_axe = Axe()


def assert_accessible(page, context: str = ""):
    """No WCAG 2.2 A/AA violation that axe-core can find on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"axe found problems on {context or page.url}:\n{results.generate_report()}"


def outbox_link(email_to: str, pattern: str) -> str:
    from crossector.core.models import OutboundEmail

    row = OutboundEmail.objects.filter(to=email_to).order_by("-created_at").first()
    assert row is not None, f"no email to {email_to} in the outbox"
    match = re.search(pattern, row.body_text)
    assert match, f"no link matching {pattern!r} in: {row.body_text}"
    return match.group(1)


def tab_to(page, name: str, limit: int = 120):
    """Press Tab until the focused element's accessible name contains `name`: proof it is reachable by keyboard."""
    page.wait_for_load_state("load")
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            """() => { const el = document.activeElement; if (!el) return "";
            const byId = el.id && document.querySelector(`label[for="${el.id}"]`);
            const text = el.getAttribute("aria-label") || (byId && byId.innerText) || el.innerText || el.value;
            return (text || "").trim(); }"""
        )
        seen.append(label[:40])
        if name.lower() in label.lower():
            return
    raise AssertionError(f"could not reach {name!r} with the Tab key; focus went through {seen}")
