"""Uploads: refused before the body is read when too big, checked by content, names cleaned, never public."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve

from awards.models import Document
from crossector.core.uploads import upload_name_clean
from tests.awards.factories import application, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media", "base_url": None}},
    }


@pytest.fixture
def draft(user):
    return application(applicant=user, title="My draft")


@pytest.fixture
def applicant_client(client, draft):
    client.force_login(draft.applicant)
    return client


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = readinto = read


def test_an_oversized_request_is_refused_unread_with_a_clear_page(applicant_client, draft):
    url = f"/awards/{draft.call.slug}/apply/documents/"
    size = settings.UPLOAD_MAX_REQUEST_BYTES + 1
    response = applicant_client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(size),
        HTTP_REFERER=f"http://testserver{url}",
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "The files you chose are too large" in page
    assert "Nothing was uploaded, and nothing you saved before has changed." in page
    assert f'href="http://testserver{url}"' in page
    assert "10 MB or smaller" in page


def test_a_foreign_referer_is_not_offered_as_the_way_back(applicant_client, draft):
    response = applicant_client.generic(
        "POST",
        "/awards/",
        b"",
        CONTENT_LENGTH=str(settings.UPLOAD_MAX_REQUEST_BYTES + 1),
        HTTP_REFERER="https://evil.example.com/",
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert "evil.example.com" not in response.content.decode()


def test_a_file_over_the_limit_gets_the_message_next_to_it_and_the_others_are_kept(applicant_client, draft, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 1024 * 1024  # a small limit keeps the test fast; the rule is the same
    big = SimpleUploadedFile("big.pdf", pdf_bytes(padding=1200 * 1024), content_type="application/pdf")
    small = SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf")
    response = applicant_client.post(
        f"/awards/{draft.call.slug}/apply/documents/", {"cv": big, "partner_letter": small}
    )
    assert response.status_code == 400
    assert "The selected file must be 1 MB or smaller (this one is 1.2 MB)." in response.content.decode()
    kinds = set(Document.objects.filter(application=draft).values_list("kind", flat=True))
    assert kinds == {"partner_letter"}


def test_the_handler_stores_nothing_past_the_limit(settings, rf):
    """The storing handlers never see a byte past the limit: the file handed on is empty, its size the real one."""
    from crossector.core.uploads import OversizedUpload, SizeLimitedUploadHandler

    settings.UPLOAD_MAX_FILE_BYTES = 10
    handler = SizeLimitedUploadHandler(rf.post("/"))
    handler.new_file("cv", "cv.pdf", "application/pdf", None)
    passed = [handler.receive_data_chunk(b"x" * 6, 0), handler.receive_data_chunk(b"x" * 6, 6)]
    upload = handler.file_complete(12)
    assert passed == [b"x" * 6, None]
    assert isinstance(upload, OversizedUpload) and upload.size == 12 and upload.read() == b""


def test_settings_put_the_limiting_handler_first():
    assert settings.FILE_UPLOAD_HANDLERS[0] == "crossector.core.uploads.SizeLimitedUploadHandler"
    assert settings.UPLOAD_MAX_FILE_BYTES == 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.UPLOAD_MAX_REQUEST_BYTES


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cv.pdf", b"MZ\x90\x00 a Windows program renamed", "must be a PDF"),
        ("cv.pdf", b"<html><script>alert(1)</script></html>", "must be a PDF"),
        ("cv.pdf", b"\x89PNG\r\n\x1a\n image", "must be a PDF"),
        ("cv.pdf", pdf_bytes()[:40], "not a complete PDF"),
        ("cv.pdf", b"", "empty"),
    ],
    ids=["program", "html", "png", "truncated", "empty"],
)
def test_pdfs_are_judged_by_content_not_name(applicant_client, draft, name, content, message):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = applicant_client.post(f"/awards/{draft.call.slug}/apply/documents/", {"cv": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.filter(application=draft).exists()


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Desktop\\My CV.pdf", "My CV.pdf"),
        ("cv\x00.pdf", "cv.pdf"),
        ("evil\u202egpj.pdf", "evilgpj.pdf"),
        ("line\nbreak\r.pdf", "line break .pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("", "document.pdf"),
        ("\x01\x02", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
        ("Caf\u0065\u0301 letter.pdf", "Caf\u00e9 letter.pdf"),
    ],
)
def test_upload_names_are_cleaned(given, shown):
    assert upload_name_clean(given) == shown


def test_the_stored_name_is_random_and_the_shown_name_clean(applicant_client, draft):
    upload = SimpleUploadedFile("x.pdf", pdf_bytes(), content_type="application/pdf")
    upload.name = "..\\..\\ev\u202eil\x07.pdf"  # as a hostile client could send it
    response = applicant_client.post(f"/awards/{draft.call.slug}/apply/documents/", {"cv": upload})
    assert response.status_code == 302
    document = Document.objects.get(application=draft)
    assert document.original_name == "evil.pdf"
    assert "evil" not in document.file.name
    download = applicant_client.get(f"/awards/documents/{document.pk}/")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="evil.pdf"'
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_private_media_has_no_public_path(applicant_client, draft):
    upload = SimpleUploadedFile("cv.pdf", pdf_bytes(), content_type="application/pdf")
    applicant_client.post(f"/awards/{draft.call.slug}/apply/documents/", {"cv": upload})
    document = Document.objects.get(application=draft)
    # Whatever URL the storage would make up for the file answers 404, even to its owner.
    assert applicant_client.get("/" + document.file.url.lstrip("/")).status_code == 404
    anonymous = Client()
    for path in (
        f"/media/{document.file.name}",
        f"/static/{document.file.name}",
        f"/{document.file.name}",
        f"/private-media/{document.file.name}",
    ):
        response = anonymous.get(path)
        assert response.status_code == 404, path
    for path in ("/media/", "/private-media/"):
        with pytest.raises(Resolver404):
            resolve(path + "x.pdf")


def test_private_media_is_outside_every_static_root():
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    for public in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        public = public.resolve()
        assert not private.is_relative_to(public) and not public.is_relative_to(private)
    assert not getattr(settings, "WHITENOISE_ROOT", None)
    assert settings.STORAGES["default"]["OPTIONS"]["base_url"] is None
