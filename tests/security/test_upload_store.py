"""Uploads in a private S3 bucket: no public URL, a signed link only past the access policy, and it expires.

The bucket runs on moto's S3 server (tests/storage.py). The same documents on both stores: replaced and deleted
files leave the store once the change commits.
"""

import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from awards.models import Document, ReviewerAssignment
from tests.awards.factories import application, pdf_bytes
from tests.conftest import login_with_mfa
from tests.factories import person
from tests.security.world import reviewer_in_group
from tests.storage import downloaded

pytestmark = pytest.mark.django_db


def _upload(client, draft, kind="cv", data=None):
    data = data or pdf_bytes()
    response = client.post(
        f"/awards/{draft.call.slug}/apply/documents/",
        {kind: SimpleUploadedFile("Ffion Aderyn CV.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 302
    return Document.objects.get(application=draft, kind=kind)


@pytest.fixture
def draft(user):
    return application(applicant=user, title="My draft")


@pytest.fixture
def applicant_client(client, draft):
    client.force_login(draft.applicant)
    return client


def test_a_document_in_the_bucket_is_private_and_has_no_unsigned_url(applicant_client, draft, s3_bucket, s3_server):
    document = _upload(applicant_client, draft)
    s3 = s3_server.client()
    stored = s3.get_object(Bucket=s3_bucket, Key=document.file.name)
    assert stored["Body"].read() == pdf_bytes()  # it really is in the bucket, under its random name
    # Nobody but the bucket's owner is granted anything on the object or the bucket.
    for acl in (s3.get_object_acl(Bucket=s3_bucket, Key=document.file.name), s3.get_bucket_acl(Bucket=s3_bucket)):
        grantees = [grant["Grantee"] for grant in acl["Grants"]]
        assert all(g.get("Type") == "CanonicalUser" and g.get("ID") == acl["Owner"]["ID"] for g in grantees)
    # The object's plain address, without a signature, is refused by the store itself.
    plain = f"{s3_server.endpoint}/{s3_bucket}/{document.file.name}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(plain, timeout=10)  # noqa: S310 - the local S3 server
    assert refused.value.code == 403
    # And the portal serves no path to it: only the download view, which asks the access policy.
    for path in (f"/media/{document.file.name}", f"/{document.file.name}", f"/{s3_bucket}/{document.file.name}"):
        assert Client().get(path).status_code == 404, path


def test_a_signed_link_is_given_only_to_those_the_access_policy_allows(client, draft, s3_bucket, staff_user):
    applicant = Client()
    applicant.force_login(draft.applicant)
    document = _upload(applicant, draft)
    url = f"/awards/documents/{document.pk}/"

    def refused_without_a_link(response):
        location = response.headers.get("Location", "")
        body = b"" if response.streaming else response.content
        return "X-Amz-" not in location and b"X-Amz-" not in body and s3_bucket not in location

    response = Client().get(url)  # signed out: sent to sign in
    assert response["Location"].startswith("/accounts/login/") and refused_without_a_link(response)
    client.force_login(person())  # another member
    response = client.get(url)
    assert response.status_code == 404 and refused_without_a_link(response)
    reviewer = reviewer_in_group()
    login_with_mfa(client, reviewer)  # a reviewer with two factors, not assigned
    response = client.get(url)
    assert response.status_code == 404 and refused_without_a_link(response)
    ReviewerAssignment.objects.create(application=draft, reviewer=reviewer)
    for holder in (reviewer, staff_user):  # assigned reviewer and staff, each on a password only
        password_only = Client()
        password_only.force_login(holder)
        response = password_only.get(url)
        assert response["Location"].startswith("/accounts/2fa/") and refused_without_a_link(response)

    for allowed in (applicant, login_with_mfa(Client(), staff_user), login_with_mfa(Client(), reviewer)):
        response = allowed.get(url)
        download = downloaded(response)  # a 302 to the signed link, fetched without the portal's cookies
        assert download.signed_url and download.body == pdf_bytes()
        assert download.headers["Content-Disposition"] == 'attachment; filename="Ffion Aderyn CV.pdf"'
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_signed_link_is_for_one_file_and_lasts_a_minute(applicant_client, draft, s3_bucket, s3_server):
    document = _upload(applicant_client, draft)
    issued = timezone.now()
    link = downloaded(applicant_client.get(f"/awards/documents/{document.pk}/")).signed_url
    parsed = urlparse(link)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == f"/{s3_bucket}/{document.file.name}"
    assert query["X-Amz-Expires"] == "60"
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((signed_at - issued).total_seconds()) < 5
    # The expiry is part of what is signed: the standard SDK, asked for the same file for 60 s at the same
    # moment, makes the very same signature, so S3 refuses the link after 60 s (and any edit to it at once).
    # moto's server does not check expiry itself, so the signature is what this test holds to.
    with time_machine.travel(signed_at, tick=False):
        expected = s3_server.client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": s3_bucket,
                "Key": document.file.name,
                "ResponseContentDisposition": 'attachment; filename="Ffion Aderyn CV.pdf"',
                "ResponseContentType": "application/pdf",
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=60,
        )
    assert query == {k: v[0] for k, v in parse_qs(urlparse(expected).query).items()}
    assert query["X-Amz-SignedHeaders"] == "host"


def test_a_replaced_document_leaves_the_store_and_the_new_one_is_served(
    applicant_client, draft, upload_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload(applicant_client, draft, data=pdf_bytes(text="first"))
    assert default_storage.exists(first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        second = _upload(applicant_client, draft, data=pdf_bytes(text="second"))
    assert second.file.name != first.file.name
    assert not default_storage.exists(first.file.name)
    assert default_storage.open(second.file.name).read() == pdf_bytes(text="second")
    served = downloaded(applicant_client.get(f"/awards/documents/{second.pk}/"))
    assert served.body == pdf_bytes(text="second")
    assert Document.objects.filter(application=draft).count() == 1


def test_deleting_a_draft_removes_its_files_from_the_store(draft, upload_storage, django_capture_on_commit_callbacks):
    from awards.models import Application
    from awards.privacy import applications_delete
    from awards.services import document_upload

    for kind in ("cv", "partner_letter"):
        document_upload(
            application=draft,
            user=draft.applicant,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind}.pdf", pdf_bytes(), content_type="application/pdf"),
        )
    names = list(Document.objects.filter(application=draft).values_list("file", flat=True))
    assert len(names) == 2 and all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        applications_delete(Application.objects.filter(pk=draft.pk))
    assert not any(default_storage.exists(n) for n in names)


@pytest.mark.parametrize("how", ["delete page", "bulk delete action"])
def test_staff_deleting_a_document_in_the_admin_removes_its_file_from_the_store(
    applicant_client, draft, upload_storage, django_capture_on_commit_callbacks, how
):
    """Every way a document row goes takes its file with it: here the admin's two ways (replacing and deleting
    a draft are above); a file left behind would outlive its retention period and ride along into backups."""
    with django_capture_on_commit_callbacks(execute=True):
        document = _upload(applicant_client, draft)
    name = document.file.name
    assert default_storage.exists(name)
    staff = login_with_mfa(Client(), person(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete page":
            response = staff.post(f"/admin/awards/document/{document.pk}/delete/", {"post": "yes"})
        else:
            response = staff.post(
                "/admin/awards/document/",
                {"action": "delete_selected", "_selected_action": [document.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not default_storage.exists(name)
