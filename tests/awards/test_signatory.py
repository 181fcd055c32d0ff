"""The "ask the signatory" link: uploads once, expires, and a guessed or reused link is a 404 (a repeated
upload through a used link is told the letter arrived, and uploads nothing)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from awards import services
from awards.models import Document, SignatoryRequest
from crossector.core.models import OutboundEmail
from tests.awards.factories import application, pdf_upload

pytestmark = pytest.mark.django_db


def _ask(app, email="head@example.org"):
    services.signatory_request_create(
        application=app, user=app.applicant, kind="employer_statement", name="Dr Head", email=email
    )
    body = OutboundEmail.objects.filter(to=email).order_by("-created_at").first().body_text
    return re.search(r"(/awards/letters/[^/\s]+/)", body).group(1)


def test_signatory_uploads_once_and_the_used_link_then_says_so(client, upload_storage):
    app = application(title="Secret title")
    link = _ask(app)
    page = client.get(link)
    assert page.status_code == 200
    content = page.content.decode()
    assert "statement from your employing organisation" in content.lower()
    assert "Secret title" not in content  # nothing else of the application
    response = client.post(link, {"letter": pdf_upload("signed.pdf")})
    assert response.status_code == 200 and "has been received" in response.content.decode()
    document = Document.objects.get(application=app, kind="employer_statement")
    assert document.uploaded_by_signatory and document.original_name == "signed.pdf"
    assert default_storage.open(document.file.name).read().startswith(b"%PDF-")
    opened = client.get(link)
    assert opened.status_code == 200 and "This letter has already been uploaded" in opened.content.decode()
    shown = opened.content.decode()
    assert "Secret title" not in shown and app.applicant.get_full_name() not in shown
    again = client.post(link, {"letter": pdf_upload("again.pdf")})
    assert again.status_code == 200 and "already brought us the letter" in again.content.decode()
    assert Document.objects.get(application=app, kind="employer_statement").original_name == "signed.pdf"


def test_guessed_link_is_404(client):
    _ask(application())
    assert client.get("/awards/letters/not-a-real-token-at-all/").status_code == 404


def test_expired_link_is_404(client):
    link = _ask(application())
    with time_machine.travel(timezone.now() + timedelta(days=14, seconds=1)):
        assert client.get(link).status_code == 404
        assert client.post(link, {"letter": pdf_upload()}).status_code == 404
    assert not Document.objects.exists()


def test_resend_replaces_the_old_link_and_applicant_sees_requested(client):
    app = application()
    old = _ask(app)
    new = _ask(app)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    states = [r.state for r in SignatoryRequest.objects.order_by("created_at")]
    assert states == ["replaced", "requested"]
    client.force_login(app.applicant)
    page = client.get(f"/awards/{app.call.slug}/apply/documents/").content.decode()
    assert "Signatory link:</strong> requested" in page


def test_signatory_upload_of_a_non_pdf_is_refused_and_the_link_still_works(client):
    link = _ask(application())
    response = client.post(link, {"letter": SimpleUploadedFile("letter.pdf", b"MZ\x90 not a pdf")})
    assert response.status_code == 400 and "must be a PDF" in response.content.decode()
    assert client.get(link).status_code == 200
    assert not Document.objects.exists()


def test_only_the_token_hash_is_stored():
    link = _ask(application())
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert not SignatoryRequest.objects.filter(token_hash=token).exists()


@pytest.mark.parametrize("kind", ["employer_statement", "partner_letter"])
def test_applicant_is_emailed_once_when_the_letter_arrives(client, kind):
    app = application()
    services.signatory_request_create(application=app, user=app.applicant, kind=kind, name="Dr Head", email="h@x.org")
    body = OutboundEmail.objects.get(to="h@x.org").body_text
    link = re.search(r"(/awards/letters/[^/\s]+/)", body).group(1)
    for _ in range(3):  # the upload, then a double-click and a resubmitted form
        client.post(link, {"letter": pdf_upload("signed.pdf")})
    told = OutboundEmail.objects.filter(to=app.applicant.email)
    assert told.count() == 1
    email = told.get()
    label = dict(Document._meta.get_field("kind").choices)[kind]
    assert email.subject == f"The {label[0].lower()}{label[1:]} has arrived"
    assert "Dr Head has uploaded the" in email.body_text
    assert f"/awards/{app.call.slug}/apply/documents/" in email.body_text


def test_unknown_link_stays_a_404_while_a_used_one_says_uploaded(client):
    link = _ask(application())
    client.post(link, {"letter": pdf_upload()})
    assert "already been uploaded" in client.get(link).content.decode()
    assert client.get(link[:-5] + "zzzz/").status_code == 404
