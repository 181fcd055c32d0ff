"""Times are written one way everywhere: "Thursday 17 November 2022, 5:00pm", "4:00pm", "..., 4:00pm UK time".

Templates write moments through the `moments` filters (crossector/core/templatetags/moments.py) or the
awards deadline filter, never with their own `|date` time format or `|time`; app code through
crossector.core.dates. These tests read every template and module and fail on any other time format.

The zone, where a time says it, is said one way too: "UK time" after the time (crossector.core.dates.ZONE),
"(UK time)" in an export's or admin column's header; never "GMT", "BST", "(UK)" or a template's own "(UK time)"."""

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation

from crossector.core import dates

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in {".html", ".txt"})
APPS = ("crossector", "awards", "events", "hubs")
# Characters of Django's date format that write a time ("H:i", "P", "g:i a", "A" ...).
TIME_CHARACTERS = set("aABfgGhHiIPsTuveOZUr")
DATE_FILTER = re.compile(r"""\|\s*date\s*:\s*(["'])(?P<format>.*?)\1""")
TIME_FILTER = re.compile(r"\|\s*time\b")
# Machine-readable moments, never shown as text: ISO 8601 in a datetime="" attribute.
MACHINE_FORMATS = {"c"}
# strftime patterns that write a clock time for people in Python code ("%H:%M", "%I", "%p"); "%H%M" in
# machine keys (outbox keys, calendar stamps) is not read by anyone.
PY_TIME = re.compile(r"%-?H:%M|%-?I|%p")
# Machine formats in code that people do not read as text: file names, SQL, export cells, logs.
PY_ALLOWED = {
    "crossector/core/exports.py",  # export cells: sortable "2024-02-29 16:00" (see docs)
    "crossector/core/minutes.py",  # SQL
    "awards/admin/applications.py",  # the export file's name
}


def test_templates_write_times_only_through_the_one_format():
    offenders = []
    for path in TEMPLATES:
        text = path.read_text()
        for match in DATE_FILTER.finditer(text):
            fmt = match["format"]
            if fmt not in MACHINE_FORMATS and (
                set(fmt) & TIME_CHARACTERS or fmt in {"TIME_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        offenders += [f"{path.relative_to(ROOT)}: |time" for _ in TIME_FILTER.finditer(text)]
    assert offenders == [], "use |datetime_uk, |time_uk or |date_uk (crossector/core/templatetags/moments.py)"


def test_the_grep_catches_each_old_format():
    for old in ('{{ x|date:"H:i" }}', "{{ x|date:'P' }}", '{{ x|date:"g:i a" }}', '{{ x|date:"l j F Y, g:ia" }}'):
        fmt = DATE_FILTER.search(old)["format"]
        assert set(fmt) & TIME_CHARACTERS, old
    assert TIME_FILTER.search("{{ x|time }}") and not TIME_FILTER.search("{{ x|time_uk }}")
    assert not set("j F Y") & TIME_CHARACTERS and not set("l j F Y") & TIME_CHARACTERS


def test_app_code_writes_clock_times_only_through_crossector_core_dates():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if "migrations" in relative or relative in PY_ALLOWED or relative == "crossector/core/dates.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if PY_TIME.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    ("utc", "text"),
    [
        (datetime(2022, 11, 17, 17, 0, tzinfo=UTC), "Thursday 17 November 2022, 5:00pm"),
        (datetime(2023, 4, 20, 8, 30, tzinfo=UTC), "Thursday 20 April 2023, 9:30am"),  # BST
        (datetime(2024, 2, 29, 12, 0, tzinfo=UTC), "Thursday 29 February 2024, 12:00pm"),
        (datetime(2024, 3, 1, 0, 5, tzinfo=UTC), "Friday 1 March 2024, 12:05am"),
    ],
)
def test_one_format_in_pages_emails_and_admin(utc, text):
    assert dates.format_datetime(utc, weekday=True) == text
    rendered = Template('{% load moments %}{{ m|datetime_uk:"weekday" }}|{{ m|time_uk }}').render(Context({"m": utc}))
    assert rendered == f"{text}|{text.split(', ')[1]}"
    # The admin (and any |date without a format) writes the same: "17 November 2022, 5:00pm".
    with translation.override("en-gb"):
        from django.utils import timezone

        assert formats.date_format(timezone.localtime(utc), "DATETIME_FORMAT") == text.split(" ", 1)[1]


def test_deadlines_keep_their_zone():
    from awards import rules

    assert rules.format_uk(datetime(2024, 2, 29, 16, 0, tzinfo=UTC)) == "29 February 2024, 4:00pm UK time"
    assert rules.format_uk(datetime(2025, 6, 1, 15, 0, tzinfo=UTC)) == "1 June 2025, 4:00pm UK time"


# --- The zone, said one way -------------------------------------------------------------------------------
# The other ways a zone was written: an abbreviation (it changes twice a year, and "BST" means other zones
# abroad), "(UK)", or a template writing "(UK time)" itself after a filter that could say it.
OTHER_ZONES = re.compile(r"\b(GMT|BST)\b|\(UK\)")
TEMPLATE_ZONE = re.compile(r"\(UK time\)|\b(GMT|BST)\b|\(UK\)")
# Calendar files name the zones for calendar programs (RFC 5545 TZNAME), not for people.
ZONE_ALLOWED = {"events/ics.py"}


def _strings_people_read(tree: ast.AST):
    """The module's string constants, docstrings left out (they are written for programmers)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_templates_say_the_zone_only_through_the_filters():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if TEMPLATE_ZONE.search(line)
    ]
    assert offenders == [], 'say the zone with |datetime_uk:"zone" or |time_uk:"zone" ("... 5:00pm UK time")'


def test_app_code_says_the_zone_one_way():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if "migrations" in relative or relative in ZONE_ALLOWED:
                continue
            for node in _strings_people_read(ast.parse(path.read_text())):
                if OTHER_ZONES.search(node.value):
                    offenders.append(f"{relative}:{node.lineno}: {node.value!r}")
    assert offenders == [], f"write the zone as {dates.ZONE!r} (crossector.core.dates.ZONE)"


def test_the_zone_checks_catch_each_other_form():
    for other in ("4:00pm GMT", "10:00am BST", "Booked at (UK)"):
        assert OTHER_ZONES.search(other), other
    assert TEMPLATE_ZONE.search("{{ e.ends_at|time_uk }} (UK time)")
    assert not OTHER_ZONES.search("Booked at (UK time)") and not OTHER_ZONES.search("4:00pm UK time")
    assert not TEMPLATE_ZONE.search('{{ e.ends_at|time_uk:"zone" }}')


@pytest.mark.django_db
def test_pages_emails_admin_and_exports_say_the_zone_the_same_way(client):
    """Deadlines, event times, an event email, the admin's call list and both exports' headers."""
    from awards.exports import BASE_HEADERS
    from events.emails import booking_email_render
    from events.exports import HEADER
    from tests.awards.factories import AwardCallFactory
    from tests.conftest import login_with_mfa
    from tests.events.factories import BookingFactory, EventFactory
    from tests.factories import person

    summer = datetime(2027, 6, 30, 15, 0, tzinfo=UTC)
    AwardCallFactory(opens_at=summer - timedelta(days=30), closes_at=summer)
    winter = datetime(2027, 1, 20, 17, 0, tzinfo=UTC)
    event = EventFactory(starts_at=winter, ends_at=winter + timedelta(hours=2))
    email = booking_email_render(booking=BookingFactory(event=event), kind="booking_confirmed")
    login_with_mfa(client, person(is_staff=True, is_superuser=True))
    said = {
        "event page": client.get(event.get_absolute_url()).content.decode(),
        "event email (text)": email.body_text,
        "event email (HTML)": email.body_html,
        "call list": client.get("/awards/").content.decode(),
        "admin call list": client.get("/admin/awards/awardcall/").content.decode(),
        "exports' headers": " ".join(HEADER + BASE_HEADERS),
    }
    when = "Wednesday 20 January 2027, 5:00pm to 7:00pm UK time"
    assert when in " ".join(re.sub(r"<[^>]+>", "", said["event page"]).split()), "event page"
    assert when in said["event email (text)"]
    assert "30 June 2027, 4:00pm UK time" in said["call list"]  # 15:00 UTC in summer
    assert "deadline (uk time)" in said["admin call list"].lower()
    assert "Booked at (UK time)" in said["exports' headers"] and "Submitted at (UK time)" in said["exports' headers"]
    for where, text in said.items():
        assert not re.search(r"\b(GMT|BST)\b|\(UK\)", text), where
        assert "(UK time)" not in text or where in {"admin call list", "exports' headers"}, where
