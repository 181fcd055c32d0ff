"""Uploads: refused before the body is read when too big, checked by content, names cleaned, never public."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve

from awards.models import Document
from crossector.core.uploads import upload_name_clean
from tests.awards.factories import application, pdf_bytes
from tests.storage import downloaded

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


def test_a_file_over_the_limit_gets_the_message_next_to_it_and_the_others_are_kept(
    applicant_client, draft, settings, upload_storage
):
    settings.UPLOAD_MAX_FILE_BYTES = 1024 * 1024  # a small limit keeps the test fast; the rule is the same
    big = SimpleUploadedFile("big.pdf", pdf_bytes(padding=1200 * 1024), content_type="application/pdf")
    small_bytes = pdf_bytes()
    small = SimpleUploadedFile("letter.pdf", small_bytes, content_type="application/pdf")
    response = applicant_client.post(
        f"/awards/{draft.call.slug}/apply/documents/", {"cv": big, "partner_letter": small}
    )
    assert response.status_code == 400
    assert "The selected file must be 1 MB or smaller (this one is 1.2 MB)." in response.content.decode()
    kinds = set(Document.objects.filter(application=draft).values_list("kind", flat=True))
    assert kinds == {"partner_letter"}
    kept = Document.objects.get(application=draft)
    assert default_storage.open(kept.file.name).read() == small_bytes


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
        ("line\nbreak\r.pdf", "line break.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("", "document.pdf"),
        ("\x01\x02", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
        ("Caf\u0065\u0301 letter.pdf", "Caf\u00e9 letter.pdf"),
        # The name always says what the file was checked to be.
        ("CV.html", "CV.pdf"),
        ("cv\u202efdp.exe", "cvfdp.pdf"),
        ("letter.PDF", "letter.pdf"),
        ("report.pdf.js", "report.pdf.pdf"),
        ("no extension", "no extension.pdf"),
        ("Dr. Smith", "Dr. Smith.pdf"),
        (".pdf", "pdf.pdf"),
    ],
)
def test_upload_names_are_cleaned(given, shown):
    assert upload_name_clean(given) == shown


def test_the_stored_name_is_random_and_the_shown_name_clean(applicant_client, draft, upload_storage):
    upload = SimpleUploadedFile("x.pdf", pdf_bytes(), content_type="application/pdf")
    upload.name = "..\\..\\ev\u202eil\x07.pdf"  # as a hostile client could send it
    response = applicant_client.post(f"/awards/{draft.call.slug}/apply/documents/", {"cv": upload})
    assert response.status_code == 302
    document = Document.objects.get(application=draft)
    assert document.original_name == "evil.pdf"
    assert "evil" not in document.file.name
    response = applicant_client.get(f"/awards/documents/{document.pk}/")
    download = downloaded(response)  # streamed (file system) or from the signed link (bucket)
    assert download.body == pdf_bytes()
    assert download.headers["Content-Disposition"] == 'attachment; filename="evil.pdf"'
    assert download.headers["Content-Type"] == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    if upload_storage == "filesystem":
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


# --- The PDF check: parsed with pypdf (awards/pdf.py) ------------------------------------------------------

PDFS = Path(__file__).parent / "pdfs"


def _written(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF from numbered objects (1 is the catalog), with a correct cross-reference table."""
    body = b"%PDF-1.7\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref_at = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode() + trailer + b">>\n"
    return body + f"startxref\n{xref_at}\n%%EOF\n".encode()


def _one_page(page_extra: bytes = b"", catalog_extra: bytes = b"", more: list[bytes] = ()) -> bytes:
    return _written(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page_extra + b">>",
            *more,
        ]
    )


def _pypdf(pages: int = 1, *, build=None, compress: bool = False) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if build:
        build(writer)
    if compress:
        writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_link_and_outline(writer):
    from pypdf.annotations import Link

    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://acmedsci.ac.uk/"))
    writer.add_outline_item(title="Employment", page_number=0)
    writer.add_metadata({"/Title": "CV", "/Author": "A. Applicant"})


def _incremental_update() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(io.BytesIO(pdf_bytes("First version")), incremental=True)
    writer.add_metadata({"/Title": "Second version"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _problem(data: bytes) -> str | None:
    from awards.pdf import pdf_problem

    return pdf_problem(SimpleUploadedFile("document.pdf", data, content_type="application/pdf"))


ACCEPTED = {
    "hand-written 1 page": lambda: pdf_bytes(),
    "hand-written 12 pages": lambda: pdf_bytes("CV (page) \\ text", pages=12),
    "pypdf 3 pages": lambda: _pypdf(3),
    "pypdf 300 pages (the limit)": lambda: _pypdf(300),
    "pypdf with web link, outline, metadata": lambda: _pypdf(2, build=_with_link_and_outline),
    "pypdf compressed": lambda: _pypdf(2, compress=True),
    "incremental update": _incremental_update,
    "trailing bytes after %%EOF": lambda: pdf_bytes() + b"\r\n\x00\x00",
    "cairo": lambda: (PDFS / "cairo-2-pages.pdf").read_bytes(),
    "chromium print to PDF": lambda: (PDFS / "chromium-letter.pdf").read_bytes(),
}


@pytest.mark.parametrize("make", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_pdfs_real_writers_produce_are_accepted(make):
    assert _problem(make()) is None


UNREADABLE = "could not be read as a PDF"
NOT_COMPLETE = "not a complete PDF"
REFUSED = {
    "the 22-byte file": (b"%PDF-startxref 0 %%EOF", UNREADABLE),
    "HTML between the markers": (
        b"%PDF-1.4\n<html><body><h1>CV</h1><script>alert(1)</script></body></html>\nstartxref\n0\n%%EOF\n",
        UNREADABLE,
    ),
    "catalog with no page tree": (_written([b"<< /Type /Catalog >>"]), UNREADABLE),
    "no trailer /Root": (pdf_bytes().replace(b"/Root 1 0 R", b"/Info 1 0 R"), UNREADABLE),
    "page tree with no pages": (
        _written([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
        "has no pages",
    ),
    "cut off before the trailer": (pdf_bytes()[:-60], NOT_COMPLETE),
    "cut in the middle, trailer kept": (pdf_bytes()[:60] + pdf_bytes()[-40:], NOT_COMPLETE),
    "zeroed in the middle": (pdf_bytes()[:100] + bytes(len(pdf_bytes()) - 200) + pdf_bytes()[-100:], "has no pages"),
    "page tree that loops": (
        _written(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
            ]
        ),
        UNREADABLE,
    ),
    "random bytes after the header": (b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\nstartxref\n9\n%%EOF\n", UNREADABLE),
}


@pytest.mark.parametrize(("data", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_what_does_not_parse_as_a_pdf_with_pages_is_refused(data, message):
    assert message in (_problem(data) or "accepted")


@pytest.mark.parametrize(
    "encrypt",
    [
        lambda w: w.encrypt("secret", algorithm="AES-256"),
        lambda w: w.encrypt("secret", algorithm="AES-128"),
        lambda w: w.encrypt("secret", algorithm="RC4-40"),
        lambda w: w.encrypt("", owner_password="owner", algorithm="AES-256"),  # opens, but "restricted"
    ],
    ids=["AES-256 password", "AES-128 password", "RC4 password", "owner password only"],
)
def test_encrypted_pdfs_are_refused_with_what_to_do(encrypt):
    assert _problem(_pypdf(1, build=encrypt)) == (
        "The selected PDF is protected with a password or encryption, so reviewers may not be able to open it. "
        "Remove the password and upload again."
    )


def _open_action_js(writer):
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('hello');"))


JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
SCRIPTED = {
    "document JavaScript (pypdf add_open_action)": _pypdf(1, build=_open_action_js),
    "catalog /OpenAction": _one_page(catalog_extra=b"/OpenAction " + JS),
    "catalog /AA will-close": _one_page(catalog_extra=b"/AA << /WC " + JS + b" >>"),
    "page /AA on open": _one_page(page_extra=b"/AA << /O " + JS + b" >>"),
    "link annotation": _one_page(
        page_extra=b"/Annots [4 0 R]", more=[b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A " + JS + b" >>"]
    ),
    "JS as a stream": _one_page(
        catalog_extra=b"/OpenAction << /S /JavaScript /JS 4 0 R >>",
        more=[b"<< /Length 12 >>\nstream\napp.alert(1)\nendstream"],
    ),
    "JS at the end of an action chain": _one_page(
        catalog_extra=b"/OpenAction << /S /URI /URI (https://x.org) /Next [4 0 R] >>", more=[JS]
    ),
    "action type held indirectly": _one_page(catalog_extra=b"/OpenAction << /S 4 0 R /F (x) >>", more=[b"/JavaScript"]),
    "launch a program": _one_page(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
    "form field action": _one_page(
        catalog_extra=b"/AcroForm << /Fields [4 0 R] >>", more=[b"<< /FT /Tx /T (name) /AA << /K " + JS + b" >> >>"]
    ),
    "XFA form": _one_page(
        catalog_extra=b"/AcroForm << /Fields [] /XFA 4 0 R >>", more=[b"<< /Length 7 >>\nstream\n<xdp/>\nendstream"]
    ),
}


@pytest.mark.parametrize("data", SCRIPTED.values(), ids=SCRIPTED.keys())
def test_pdfs_with_scripts_or_launch_actions_are_refused(data):
    assert "contains scripts or actions that run when it is opened" in (_problem(data) or "accepted")


def test_a_web_link_is_not_a_script():
    assert _problem(_one_page(catalog_extra=b"/OpenAction << /S /URI /URI (https://acmedsci.ac.uk/) >>")) is None


@pytest.mark.parametrize(
    ("data", "count"),
    [
        (lambda: _pypdf(301), 301),
        (
            lambda: _written(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 99999999 >>",
                    b"<< /Type /Page /Parent 2 0 R >>",
                ]
            ),
            99999999,
        ),
    ],
    ids=["301 pages", "declares 99,999,999 pages"],
)
def test_page_count_is_bounded(data, count):
    assert _problem(data()) == f"The selected PDF must have at most 300 pages (this one has {count})."


def test_a_page_tree_wider_than_its_count_is_refused_quickly():
    import time

    kids = " ".join(f"{n} 0 R" for n in range(3, 20_003)).encode()
    data = _written(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count 1 >>"]
        + [b"<< /Type /Page /Parent 2 0 R >>"] * 20_000
    )
    started = time.monotonic()
    assert UNREADABLE in _problem(data)
    assert time.monotonic() - started < 5


def test_a_document_too_big_to_walk_is_refused_not_waved_through(monkeypatch):
    import awards.pdf

    monkeypatch.setattr(awards.pdf, "MAX_OBJECTS", 20)
    annots = [b"<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] >>"] * 30
    refs = " ".join(f"{n} 0 R" for n in range(4, 34)).encode()
    assert "too complex for us to check" in _problem(_one_page(page_extra=b"/Annots [" + refs + b"]", more=annots))


# Every way a document reaches an application runs the same check: the applicant's documents page, the
# service behind it, and the signatory's private link (the admin cannot add or replace documents).

BAD_UPLOADS = {
    "22 bytes": (b"%PDF-startxref 0 %%EOF", UNREADABLE),
    "encrypted": (None, "Remove the password and upload again."),
    "scripted": (None, "contains scripts"),
}


def _bad(kind):
    data, message = BAD_UPLOADS[kind]
    if kind == "encrypted":
        data = _pypdf(1, build=lambda w: w.encrypt("secret", algorithm="AES-256"))
    elif kind == "scripted":
        data = _pypdf(1, build=_open_action_js)
    return SimpleUploadedFile("cv.pdf", data, content_type="application/pdf"), message


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_the_documents_page_refuses_with_the_message_and_saves_nothing(applicant_client, draft, kind):
    upload, message = _bad(kind)
    good = SimpleUploadedFile("letter.pdf", (PDFS / "chromium-letter.pdf").read_bytes(), content_type="application/pdf")
    response = applicant_client.post(
        f"/awards/{draft.call.slug}/apply/documents/", {"cv": upload, "partner_letter": good}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert set(Document.objects.filter(application=draft).values_list("kind", flat=True)) == {"partner_letter"}


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_the_upload_service_refuses_whoever_calls_it(draft, kind):
    from awards import services

    upload, message = _bad(kind)
    with pytest.raises(services.ApplicationError) as refused:
        services.document_upload(application=draft, user=draft.applicant, kind="cv", upload=upload)
    assert message in refused.value.message
    assert not Document.objects.filter(application=draft).exists()


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_the_signatory_link_refuses_with_the_message_and_stays_usable(client, draft, kind):
    import re

    from awards import services
    from crossector.core.models import OutboundEmail

    services.signatory_request_create(
        application=draft, user=draft.applicant, kind="employer_statement", name="Dr Head", email="head@example.org"
    )
    body = OutboundEmail.objects.filter(to="head@example.org").latest("created_at").body_text
    link = re.search(r"(/awards/letters/[^/\s]+/)", body).group(1)
    upload, message = _bad(kind)
    response = client.post(link, {"letter": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.filter(application=draft).exists()
    good = SimpleUploadedFile("signed.pdf", (PDFS / "cairo-2-pages.pdf").read_bytes(), content_type="application/pdf")
    assert "has been received" in client.post(link, {"letter": good}).content.decode()
    assert Document.objects.get(application=draft).uploaded_by_signatory
