from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from awards.models import Application, AwardCall, CostLine, Document, DocumentKind, PartnerOrganisation
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Sector
from tests.factories import person


def pdf_bytes(text: str = "Letter of support", padding: int = 0, pages: int = 1) -> bytes:
    """A small, valid PDF written by hand: catalog, page tree, `pages` A4 pages showing `text` in
    Helvetica, a cross-reference table with every object's offset, and a trailer. `padding` adds a
    comment of that many bytes before the cross-reference table (for size limits)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
    content = b"BT /F1 12 Tf 72 770 Td (" + escaped + b") Tj ET"
    font = 3 + 2 * pages
    kids = " ".join(f"{3 + 2 * n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for n in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * n} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    if padding:
        body += b"%" + b"x" * padding + b"\n"
    xref_at = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    return body + f"startxref\n{xref_at}\n%%EOF\n".encode()


def pdf_upload(name="letter.pdf", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(**kwargs), content_type="application/pdf")


class AwardCallFactory(factory.django.DjangoModelFactory):
    """An open call: opened a month ago, closes in three weeks."""

    class Meta:
        model = AwardCall
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cross-Sector Experience Awards round {n}")
    slug = factory.Sequence(lambda n: f"csea-round-{n}")
    summary = "Spend 3 to 12 months in an organisation of another sector."
    guidance = "Anyone employed in any sector with a clear link to improving human health."
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=21))


def deadline_call(utc: datetime, **kwargs) -> AwardCall:
    return AwardCallFactory(opens_at=utc - timedelta(days=60), closes_at=utc, **kwargs)


def application(call=None, applicant=None, **fields) -> Application:
    call = call or AwardCallFactory()
    applicant = applicant or person(sector=Sector.NHS)
    return Application.objects.create(call=call, applicant=applicant, **fields)


def complete(app: Application) -> Application:
    """Fill every section so the application can be submitted."""
    closes = timezone.localtime(app.call.closes_at).date()
    Application.objects.filter(pk=app.pk).update(
        organisation="Cardiff and Vale University Health Board",
        organisation_sector=Sector.NHS,
        role="Clinical scientist",
        discipline="Genomics",
        career_stage="mid",
        region="wales",
        title="AI for pathology triage",
        summary="A short summary.",
        aims="Learn model validation.",
        why_now="Now is the time.",
        benefits="Everyone gains.",
        lasting_links="Joint supervision.",
        start_date=max(closes, date(2020, 1, 1)) + timedelta(days=30),
        duration_months=6,
        fte_percent=100,
        declare_accurate=True,
        declare_employer_agrees=True,
        declare_data_use=True,
    )
    app.refresh_from_db()
    # get_or_create: transactional tests flush the rows the data migration made.
    area, _ = PriorityArea.objects.get_or_create(
        slug="pathology", defaults={"name": "Data analytics and AI for pathology"}
    )
    app.priority_areas.set([area])
    PartnerOrganisation.objects.create(
        application=app,
        name="Helix Imaging Ltd",
        sector=Sector.INDUSTRY_SME,
        country="United Kingdom",
        contact_name="Tom Ellison",
        contact_email="tom@example.org",
        is_health_related=True,
    )
    CostLine.objects.create(
        application=app,
        category=CostLine.Category.BACKFILL,
        amount=Decimal("45000.00"),
        justification="Backfill a band 7 post for six months.",
    )
    for kind in DocumentKind.values:
        doc = Document(application=app, kind=kind, original_name=f"{kind}.pdf", size=100)
        doc.file.save("x.pdf", pdf_upload(), save=True)
    return app


__all__ = ["UTC", "AwardCallFactory", "application", "complete", "deadline_call", "pdf_bytes", "pdf_upload"]
