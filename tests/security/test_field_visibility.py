"""Which fields of an application each role sees, on every rendering of it: one rule, checked by marker values.

Each field the policy hides from someone (awards.access.FIELD_VISIBILITY) is given a marker value that appears
nowhere else. Every view of the application (portal page, print page, the staff admin page, the reviewers' admin
page, the exports and the reviewer's email) is rendered as the applicant, programme staff and an assigned reviewer
(staff and reviewer after their second factor), and the markers found are compared with the table below,
written out by hand from DESIGN.md ("Who may see what": reviewers see applications "without contact details").
"""

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from awards import services as award_services
from awards.access import FIELD_VISIBILITY, application_for_role
from awards.models import Application, Document, PartnerOrganisation
from awards.review import services as review_services
from crossector.core.access import Role
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory, application, complete, pdf_bytes
from tests.conftest import login_with_mfa
from tests.factories import person
from tests.security.world import reviewer_in_group

pytestmark = pytest.mark.django_db

# field -> its marker value (each one unique, so a find names the field)
MARKERS = {
    "applicant.email": "applicant.vellichor@example.org",
    "partner.contact_email": "host.sonder@example.org",
    "signatory.signatory_name": "Dr Petrichor Signer",
    "signatory.signatory_email": "head.petrichor@example.org",
}

# Written out by hand: which roles may see each marked field anywhere at all.
EXPECTED_VISIBLE_TO = {
    "applicant.email": {"applicant", "staff"},
    "partner.contact_email": {"applicant", "staff"},
    "signatory.signatory_name": {"applicant", "staff"},
    "signatory.signatory_email": {"applicant", "staff"},
}


def test_the_policy_table_matches_the_table_written_by_hand():
    by_role = {Role.OWNER: "applicant", Role.STAFF: "staff", Role.REVIEWER: "reviewer"}
    derived = {field: {by_role[r] for r in roles if r in by_role} for field, roles in FIELD_VISIBILITY.items()}
    assert derived == EXPECTED_VISIBLE_TO
    assert set(MARKERS) == set(FIELD_VISIBILITY), "give every field the policy hides a marker in this test"


@pytest.fixture
def marked(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path, "base_url": None}},
    }
    owner = person(email=MARKERS["applicant.email"], full_name="Ada Applicant")
    app = complete(application(call=AwardCallFactory(), applicant=owner))
    PartnerOrganisation.objects.filter(application=app).update(contact_email=MARKERS["partner.contact_email"])
    award_services.signatory_request_create(
        application=app,
        user=owner,
        kind="partner_letter",
        name=MARKERS["signatory.signatory_name"],
        email=MARKERS["signatory.signatory_email"],
    )
    app = award_services.application_submit(application=Application.objects.get(pk=app.pk), user=owner)
    staff = person(is_staff=True, is_superuser=True, full_name="Sam Staff")
    reviewer = reviewer_in_group()
    review_services.reviewer_assign(application=app, reviewer=reviewer, actor=staff)
    doc = app.documents.first() or Document(application=app, kind="cv", original_name="cv.pdf", size=10)
    if doc.pk is None:
        doc.file.save("x.pdf", ContentFile(pdf_bytes()), save=True)
    return {"app": app, "owner": owner, "staff": staff, "reviewer": reviewer}


def _pages(app) -> dict[str, str]:
    return {
        "portal page": f"/awards/applications/{app.pk}/",
        "print page": f"/awards/applications/{app.pk}/print/",
        "submitted page": f"/awards/applications/{app.pk}/submitted/",
        "staff admin page": f"/admin/awards/application/{app.pk}/change/",
        "reviewers' admin page": f"/admin/awards/applicationtoreview/{app.pk}/change/",
        "CSV export": f"/admin/awards/application/export.csv?id__exact={app.pk}",
        "Excel export": f"/admin/awards/application/export.xlsx?id__exact={app.pk}",
    }


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if raw.startswith(b"PK"):  # an .xlsx: look inside the zip's XML
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            raw = b"".join(z.read(n) for n in z.namelist())
    return raw.decode("utf-8", "replace").replace("&#x27;", "'").replace("&amp;", "&")


def _found(text: str) -> set[str]:
    return {field for field, marker in MARKERS.items() if marker.lower() in text.lower()}


def test_every_rendering_shows_each_role_only_the_fields_it_may_see(marked):
    app = marked["app"]
    clients = {
        "applicant": Client(),
        "staff": login_with_mfa(Client(), marked["staff"]),
        "reviewer": login_with_mfa(Client(), marked["reviewer"]),
    }
    clients["applicant"].force_login(marked["owner"])
    seen = {role: set() for role in clients}
    opened = []
    problems = []
    for role, client in clients.items():
        for page, url in _pages(app).items():
            response = client.get(url)
            if response.status_code != 200:
                continue
            opened.append((role, page))
            found = _found(_body(response))
            seen[role] |= found
            if extra := found - {f for f, roles in EXPECTED_VISIBLE_TO.items() if role in roles}:
                problems.append(f"{role} sees {sorted(extra)} on the {page}")
    # Emails about the application, to each person who receives one.
    for role, user in (("reviewer", marked["reviewer"]), ("applicant", marked["owner"])):
        for email in OutboundEmail.objects.filter(to=user.email):
            text = f"{email.subject}\n{email.body_text}\n{email.body_html}".replace(user.email, "")
            found = _found(text)
            if extra := found - {f for f, roles in EXPECTED_VISIBLE_TO.items() if role in roles}:
                problems.append(f"{role} sees {sorted(extra)} in the email {email.subject!r}")
    assert problems == [], "\n".join(problems)
    # The walk really rendered the pages each role has: not vacuous.
    assert {("reviewer", "reviewers' admin page"), ("reviewer", "portal page"), ("reviewer", "print page")} <= set(
        opened
    )
    assert {("staff", "staff admin page"), ("staff", "CSV export"), ("staff", "portal page")} <= set(opened)
    assert ("reviewer", "staff admin page") not in opened and ("reviewer", "CSV export") not in opened
    # Positive controls: the fields are really rendered for those who may see them.
    assert {"applicant.email", "partner.contact_email"} <= seen["staff"]
    assert "partner.contact_email" in seen["applicant"]
    assert OutboundEmail.objects.filter(to=marked["reviewer"].email).exists()


def test_the_reviewer_copy_is_blank_only_in_memory(marked):
    app = Application.objects.get(pk=marked["app"].pk)
    copy = application_for_role(app, Role.REVIEWER)
    assert copy.applicant.email == "" and [p.contact_email for p in copy.partners.all()] == [""]
    assert {s.signatory_email for s in copy.signatory_requests.all()} == {""}
    # The original and the database keep every value.
    assert app.applicant.email == MARKERS["applicant.email"]
    assert [p.contact_email for p in app.partners.all()] == [MARKERS["partner.contact_email"]]
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.applicant.email == MARKERS["applicant.email"]
    assert application_for_role(app, Role.STAFF) is app
