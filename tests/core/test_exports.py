"""Exports tell the truth: UK time (GMT and BST), a byte-order mark so Excel reads accents, one formula-safety
rule for every export, and one helper that every CSV and spreadsheet in the portal goes through."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from awards.exports import BASE_HEADERS
from crossector.core.vocabulary import Sector
from events.models import Booking
from tests.awards.staff import submitted
from tests.conftest import login_with_mfa
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
BOM = b"\xef\xbb\xbf"
APPLICATIONS = "/admin/awards/application/"

# Text a spreadsheet could run: ASCII and fullwidth triggers, behind spaces (also no-break and ideographic),
# and control characters at the start.
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "|cmd",
    "%0A=1",
    "\t=1",
    "\r=1",
    "\n=1",
    "  =1+1",
    "\u00a0=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "\u3000＝1",
]
PLAIN = ["Cardiff", "O'Neill", "AI – pathology", "3 months", "Siân", "Tomás Ó Briain", "a@b.example", "e-health", "5%"]


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM), content[:10]
    return list(csv.reader(io.StringIO(content[len(BOM) :].decode("utf-8"), newline="")))


def _attendees_export(client, *events) -> bytes:
    response = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "export_attendees", "_selected_action": [e.pk for e in events]},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content


def test_attendee_csv_is_the_hand_written_table_in_uk_time_with_accents_intact(client, staff_user):
    event = EventFactory(title="Cancer innovation, Caerdydd")
    sian = person(
        email="sian@example.org", full_name="Siân Llywelyn", organisation="Prifysgol Caerdydd", job_title="Nyrs"
    )
    tomas = person(
        email="tomas@example.org",
        full_name="Tomás Ó Briain",
        organisation='=HYPERLINK("http://evil.example")',
        job_title="Ceannaire",
        sector=Sector.INDUSTRY_SME,
    )
    summer = BookingFactory(event=event, user=sian, dietary_requirements="Llysieuol", attendee_list_consent=True)
    winter = BookingFactory(event=event, user=tomas, dietary_requirements="＝1+1", access_requirements="Ramp")
    # Booked in BST and checked in at an evening in BST; booked in GMT and not checked in.
    Booking.objects.filter(pk=summer.pk).update(
        created_at=datetime(2027, 7, 14, 9, 5, tzinfo=UTC), attended_at=datetime(2027, 7, 20, 17, 30, tzinfo=UTC)
    )
    Booking.objects.filter(pk=winter.pk).update(created_at=datetime(2027, 1, 10, 9, 5, tzinfo=UTC))
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    login_with_mfa(client, staff_user)

    rows = _rows(_attendees_export(client, event))

    assert rows == [
        [
            "Name",
            "Email",
            "Organisation",
            "Job title",
            "Sector",
            "Status",
            "Booked at (UK time)",
            "Dietary requirements",
            "Access requirements",
            "On attendee list",
            "Checked in at (UK time)",
            "Event",
        ],
        [
            "Tomás Ó Briain",
            "tomas@example.org",
            '\'=HYPERLINK("http://evil.example")',
            "Ceannaire",
            "Industry (SME / start-up)",
            "Confirmed",
            "2027-01-10 09:05",
            "'＝1+1",
            "Ramp",
            "no",
            "",
            "Cancer innovation, Caerdydd",
        ],
        [
            "Siân Llywelyn",
            "sian@example.org",
            "Prifysgol Caerdydd",
            "Nyrs",
            "NHS and health & care services",
            "Confirmed",
            "2027-07-14 10:05",
            "Llysieuol",
            "",
            "yes",
            "2027-07-20 18:30",
            "Cancer innovation, Caerdydd",
        ],
    ]


def test_bookings_list_export_is_the_same_file(client, staff_user):
    booking = BookingFactory(user=person(full_name="Siân Llywelyn"))
    Booking.objects.filter(pk=booking.pk).update(created_at=datetime(2027, 8, 1, 23, 30, tzinfo=UTC))
    login_with_mfa(client, staff_user)
    response = client.post(
        reverse("admin:events_booking_changelist"), {"action": "export_csv", "_selected_action": [booking.pk]}
    )
    header, row = _rows(response.content)
    booked = row[header.index("Booked at (UK time)")]
    assert (row[0], booked) == ("Siân Llywelyn", "2027-08-02 00:30")  # next day in BST


def test_applications_csv_has_the_mark_and_round_trips_accented_names_in_uk_time(staff_client):
    summer = submitted(applicant=person(full_name="Siân Llywelyn"), title="Tomás's placement")
    winter = submitted(applicant=person(full_name="Tomás Ó Briain"), title="Gwaith Siân")
    summer.__class__.objects.filter(pk=summer.pk).update(submitted_at=datetime(2027, 7, 14, 15, 30, tzinfo=UTC))
    winter.__class__.objects.filter(pk=winter.pk).update(submitted_at=datetime(2027, 1, 14, 15, 30, tzinfo=UTC))

    header, *rows = _rows(staff_client.get(f"{APPLICATIONS}export.csv").content)
    got = {row[header.index("Applicant")]: row for row in rows}
    assert got["Siân Llywelyn"][header.index("Submitted at (UK time)")] == "2027-07-14 16:30"
    assert got["Tomás Ó Briain"][header.index("Submitted at (UK time)")] == "2027-01-14 15:30"
    assert got["Siân Llywelyn"][header.index("Title")] == "Tomás's placement"


def _excel_serial(moment: datetime) -> float:
    return (moment - datetime(1899, 12, 30)).total_seconds() / 86400


def test_applications_xlsx_holds_uk_time_and_the_same_formula_rule(staff_client):
    app = submitted(title="＝1+1", applicant=person(full_name="Siân Llywelyn"))
    app.__class__.objects.filter(pk=app.pk).update(submitted_at=datetime(2027, 7, 14, 15, 30, tzinfo=UTC))
    response = staff_client.get(f"{APPLICATIONS}export.xlsx")
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<t>'＝1+1</t>" in shared and "<t>Siân Llywelyn</t>" in shared
    column = chr(ord("A") + BASE_HEADERS.index("Submitted at (UK time)"))
    (serial,) = re.findall(rf'<c r="{column}2"[^>]*><v>([^<]+)</v>', sheet)
    assert abs(float(serial) - _excel_serial(datetime(2027, 7, 14, 16, 30))) < 1e-6


@pytest.mark.parametrize("value", HOSTILE + PLAIN)
def test_one_formula_rule_for_every_export(client, staff_user, value):
    """The attendee CSV, the applications CSV and the applications Excel file treat each value alike."""
    expected = "'" + value if value in HOSTILE else value
    event = EventFactory()
    BookingFactory(event=event, dietary_requirements=value)
    submitted(title=value)
    login_with_mfa(client, staff_user)

    header, row = _rows(_attendees_export(client, event))
    assert row[header.index("Dietary requirements")] == expected
    header, row = _rows(client.get(f"{APPLICATIONS}export.csv").content)
    assert row[header.index("Title")] == expected
    with zipfile.ZipFile(io.BytesIO(client.get(f"{APPLICATIONS}export.xlsx").content)) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    texts = _shared_strings(shared)
    assert expected in texts, (expected, texts)


def _shared_strings(xml: str) -> list[str]:
    """The text of each cell string, as Excel reads it (XML-unescaped, _xHHHH_ escapes decoded)."""
    namespace = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    root = ElementTree.fromstring(xml)
    texts = ["".join(si.itertext()) for si in root.iter(f"{namespace}si")]
    return [re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), t) for t in texts]


WRITERS = re.compile(r"\bcsv\.(writer|DictWriter)\b|text/csv|xlsxwriter\.Workbook\(|openpyxl")


def test_every_csv_and_spreadsheet_in_the_portal_is_written_by_the_one_helper():
    """A new export that writes its own file (and so its own time zone, encoding and formula rule) fails here."""
    helper = ROOT / "crossector" / "core" / "exports.py"
    offenders = []
    for package in ("awards", "events", "hubs", "crossector"):
        for path in (ROOT / package).rglob("*.py"):
            if path == helper or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if WRITERS.search(line) and "XLSX_OPTIONS" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "write exports with crossector.core.exports:\n" + "\n".join(offenders)
    # and the helper is what the exports call
    for module in ("events/exports.py", "awards/exports.py"):
        assert "crossector.core.exports import" in (ROOT / module).read_text(), module
