"""Is this upload a PDF? Judged by its content, never by its name or the browser's content type."""

import re

from django.conf import settings

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF", re.S)


def pdf_problem(upload) -> str | None:
    """None when the file is a PDF of at most 10 MB, otherwise a sentence saying what is wrong.

    A PDF starts with `%PDF-` and ends with a trailer, `startxref <offset> %%EOF`, whose offset
    points inside the file. That is enough to refuse renamed programs, images and truncated files
    without a PDF library.
    """
    size = upload.size
    # The same limit the upload handler counts against while the file streams in (crossector/core/uploads.py).
    limit = getattr(settings, "UPLOAD_MAX_FILE_BYTES", MAX_DOCUMENT_BYTES)
    if size == 0:
        return "The selected file is empty."
    if size > limit:
        return (
            f"The selected file must be {limit // (1024 * 1024)} MB or smaller "
            f"(this one is {size / (1024 * 1024):.1f} MB)."
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(size - 2048, 0))
    tail = upload.read()
    upload.seek(0)
    if not head.startswith(b"%PDF-"):
        return "The selected file must be a PDF."
    matches = list(_STARTXREF.finditer(tail))
    if not matches or int(matches[-1].group(1)) >= size:
        return "The selected file is not a complete PDF. Save it as PDF again and upload that."
    return None
