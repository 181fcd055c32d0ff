"""Where uploads live: the local file system (the default) or a private S3-compatible bucket.

Either way nothing is public. The file system store has no URL at all (`base_url` None, MEDIA_URL not routed);
the bucket's objects carry no public grant, and the only URLs that open them are signed ones, valid for
`UPLOADS_S3_URL_SECONDS` (60 s), made by `signed_download_url` for a request that has already passed the
access policy. docs/deployment.md, "Uploads", says how to set the bucket up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile


def s3_storage_config(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    url_seconds: int = 60,
) -> dict:
    """The STORAGES["default"] entry for a private bucket (django-storages' S3Storage).

    Read by settings.py from the environment and by the tests for their local S3 server, so both run the
    same configuration. Missing keys fall back to boto3's own chain (environment, instance role).
    """
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # Objects get the bucket's own (private) ownership; never a public ACL.
            "default_acl": None,
            # url() only ever signs: there is no unsigned URL for an upload, and a signed one is short-lived.
            "querystring_auth": True,
            "querystring_expire": url_seconds,
            "custom_domain": None,
            "signature_version": "s3v4",
            # Names are random (awards.models.document_upload_to); never overwrite an object silently.
            "file_overwrite": False,
            # Path-style URLs work with every S3-compatible server and with bucket names containing dots.
            "addressing_style": "path" if endpoint_url else None,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }


def _signs_urls(storage) -> bool:
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)


def signed_download_url(file: FieldFile, *, filename: str, content_type: str) -> str | None:
    """A URL that opens `file` for `UPLOADS_S3_URL_SECONDS`, or None where the store streams instead.

    Call it only after the access policy has allowed the request: the URL itself is the permission for as
    long as it lasts. It names the download (attachment, the person's file name) and its type, so the
    browser saves the file exactly as the streamed response would. The file system store has no URLs, and
    the view streams the file through Django as before.
    """
    from django.utils.http import content_disposition_header

    storage = file.storage
    if not _signs_urls(storage):
        return None
    return storage.url(
        file.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, no-store",
        },
        expire=settings.UPLOADS_S3_URL_SECONDS,
    )
