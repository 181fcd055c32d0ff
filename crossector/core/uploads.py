"""Upload limits enforced while the request streams in, and clean names for uploaded files.

Two layers, so an oversized upload never fills memory or disk and the person is told what to do:

- `RequestSizeLimitMiddleware` refuses a request whose declared body is larger than
  `UPLOAD_MAX_REQUEST_BYTES` before anything reads it (no CSRF check, no parser, no temporary file),
  with a 413 page that says what the limits are and that nothing saved before has changed.
- `SizeLimitedUploadHandler` (first in `FILE_UPLOAD_HANDLERS`) counts each file's bytes as they arrive.
  Past `UPLOAD_MAX_FILE_BYTES` it stops passing chunks on, so nothing beyond the limit is written, and
  hands the form an empty `OversizedUpload` whose `size` is what was sent: the form's own size rule then
  puts its usual message next to the field, and the other files in the same request are kept.
"""

import io
import os
import re
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

NAME_MAX_LENGTH = 100


def upload_name_clean(name: str | None, *, extension: str = ".pdf", default: str = "document") -> str:
    """The name a person gave their file, safe to store and show: no folders, no control or
    formatting characters (e.g. right-to-left overrides), no leading dots, at most 100 characters, and
    always ending in `extension` (the type the file was checked to be): "CV.html" is kept as "CV.pdf", so
    a saved copy never opens as anything but what it is. The file itself is always stored under a random name."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name if unicodedata.category(ch)[0] != "C" or ch.isspace())
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if ext.lower() != extension:
        stem = name if not ext or len(ext) > 10 or " " in ext else stem
    stem = stem.strip().rstrip(".").strip() or default
    return stem[: NAME_MAX_LENGTH - len(extension)].rstrip() + extension


class OversizedUpload(UploadedFile):
    """Stands in for a file that was larger than the limit: no content, only its name and size."""

    def __init__(self, *, name: str, size: int, content_type: str | None):
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Lets at most `UPLOAD_MAX_FILE_BYTES` of any one file through to the handlers that store it."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.limit = settings.UPLOAD_MAX_FILE_BYTES

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            return None  # the storing handlers never see bytes past the limit
        return raw_data

    def file_complete(self, file_size):
        if self.received > self.limit:
            return OversizedUpload(name=self.file_name, size=self.received, content_type=self.content_type)
        return None  # within the limit: the next handler (memory or temporary file) returns the file


class RequestSizeLimitMiddleware:
    """Answers 413 to a request whose Content-Length is over `UPLOAD_MAX_REQUEST_BYTES`, unread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_REQUEST_BYTES
        if length > limit:
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                back = ""
            context = {
                "sent_mb": f"{length / (1024 * 1024):.1f}",
                "limit_mb": limit // (1024 * 1024),
                "file_limit_mb": settings.UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
                "back": back,
            }
            return render(request, "413.html", context, status=413)
        return self.get_response(request)
