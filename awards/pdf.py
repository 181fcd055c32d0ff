"""Is this upload a PDF reviewers can open safely? Judged by parsing it, never by its name or content type.

Every way a document reaches an application (the applicant's documents page, the signatory's link; the
admin cannot add or replace files) calls `pdf_problem`, through the form and again in the service.

The rule (docs/security.md, "Uploaded documents"):

- at most `UPLOAD_MAX_FILE_BYTES` (10 MB), not empty;
- starts with `%PDF-` and ends with a trailer (`startxref <offset> %%EOF` pointing inside the file), so a
  file cut short in transfer is refused rather than repaired by guesswork;
- parses with pypdf: a readable trailer whose /Root is a catalog with a page tree holding 1 to
  `MAX_PAGES` pages;
- not encrypted or password-protected (reviewers could not be sure to open it, and its content cannot be
  checked): refused with "remove the password and upload again";
- no JavaScript or launch actions and no XFA form anywhere in the document (open actions, page, field and
  annotation actions, the document's JavaScript name tree): a CV or letter never needs them, and reviewers
  open these files on Academy machines. Refused with a message saying how to make a clean copy.
"""

import io
import logging

import pypdf
from django.conf import settings
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PAGES = 300
# A CV of a few pages has a few hundred objects; a 300-page document a few thousand (not counting the
# accessibility tags, which are skipped). More than this is not a document a person wrote, and walking it
# would hold a web worker for seconds (about 2 s for 30,000 on the test machine).
MAX_OBJECTS = 30_000
# pypdf's own limits, tightened for 10 MB uploads: a page tree no deeper or wider than a real document's,
# no stream decompressing past 50 MB (a "zip bomb" inside a PDF).
_PYPDF_LIMITS = {
    "page_tree_maximum_entries": 2 * MAX_PAGES,
    "page_tree_maximum_depth": 32,
    "page_tree_maximum_page_entries": 200 * MAX_PAGES,
    "zlib_maximum_output_length": 50_000_000,
    "lzw_maximum_output_length": 50_000_000,
    "run_length_maximum_output_length": 50_000_000,
    "array_maximum_element_count": 100_000,
    "dictionary_maximum_element_count": 10_000,
}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch"}
_CONTAINERS = (IndirectObject, DictionaryObject, ArrayObject)
# Not followed: /Parent points back up the page and field trees (already walked), and the accessibility
# tags (/StructTreeRoot, one object per paragraph in a tagged PDF) hold no actions a viewer runs; the
# annotations they mention are reached from the pages.
_SKIPPED = {"/Parent", "/StructTreeRoot"}

NOT_PDF = "The selected file must be a PDF."
INCOMPLETE = "The selected file is not a complete PDF. Save it as PDF again and upload that."
UNREADABLE = "The selected file could not be read as a PDF. Save it as PDF again and upload that."
NO_PAGES = "The selected PDF has no pages. Save your document as PDF again and upload that."
ENCRYPTED = (
    "The selected PDF is protected with a password or encryption, so reviewers may not be able to open it. "
    "Remove the password and upload again."
)
SCRIPTED = (
    "The selected PDF contains scripts or actions that run when it is opened, which we cannot accept. "
    "Print it to a new PDF (or export it again without them) and upload that."
)
TOO_COMPLEX = (
    "The selected PDF is too complex for us to check. Print it to a new PDF (or export it again) and upload that."
)

logger = logging.getLogger(__name__)


def pdf_problem(upload) -> str | None:
    """None when the file is a PDF that passes the rule above, otherwise a sentence saying what is wrong."""
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
    data = upload.read()
    upload.seek(0)
    if not data.startswith(b"%PDF-"):
        return NOT_PDF
    if not _has_trailer(data):
        return INCOMPLETE
    return _parsed_problem(data)


def _has_trailer(data: bytes) -> bool:
    """The last `startxref <offset> %%EOF` in the final 2 KB, with the offset inside the file."""
    tail = data[-2048:]
    at = tail.rfind(b"startxref")
    if at < 0 or b"%%EOF" not in tail[at:]:
        return False
    digits = tail[at + len(b"startxref") :].split(b"%%EOF", 1)[0].strip()
    return digits.isdigit() and int(digits) < len(data)


def _parsed_problem(data: bytes) -> str | None:
    # Hostile input: anything pypdf raises (its own errors, ValueError, RecursionError, ...) means
    # "not a PDF we can open", never a 500.
    try:
        with pypdf.apply_configuration(**_PYPDF_LIMITS):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return ENCRYPTED
            root = _resolved(reader.trailer.get("/Root"))
            page_tree = _resolved(root.get("/Pages")) if isinstance(root, DictionaryObject) else None
            if not isinstance(page_tree, DictionaryObject):
                return UNREADABLE
            declared = _resolved(page_tree.get("/Count"))
            if isinstance(declared, int) and declared > MAX_PAGES:
                return _too_many_pages(declared)
            pages = len(reader.pages)
            if pages == 0:
                return NO_PAGES
            if pages > MAX_PAGES:
                return _too_many_pages(pages)
            if problem := _active_content_problem(reader.trailer):
                return problem
    except Exception as exc:  # noqa: BLE001 - see above
        logger.info("PDF upload refused: %s: %s", type(exc).__name__, exc)
        return UNREADABLE
    return None


def _too_many_pages(count: int) -> str:
    return f"The selected PDF must have at most {MAX_PAGES} pages (this one has {count})."


def _active_content_problem(trailer: DictionaryObject) -> str | None:
    """Walk every object reachable from the trailer (dictionaries and arrays, not stream data) looking for
    JavaScript (/JS, /S /JavaScript), launch actions (/S /Launch) or an XFA form. Fails closed: a document
    with more than `MAX_OBJECTS` objects is refused as one that cannot be checked."""
    seen: set[tuple[int, int]] = set()
    stack: list = [trailer.get("/Root")]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            return TOO_COMPLEX
        if isinstance(item, DictionaryObject):
            if "/JS" in item or "/XFA" in item or _resolved(item.get("/S")) in _ACTIVE_ACTIONS:
                return SCRIPTED
            names = _resolved(item.get("/Names"))
            if isinstance(names, DictionaryObject) and "/JavaScript" in names:
                return SCRIPTED
            stack.extend(value for key, value in item.items() if key not in _SKIPPED and isinstance(value, _CONTAINERS))
        elif isinstance(item, ArrayObject):
            stack.extend(value for value in item if isinstance(value, _CONTAINERS))
    return None


def _resolved(value):
    return value.get_object() if isinstance(value, IndirectObject) else value
