"""CSV and Excel exports of applications with scores: the filtered list, formula-injection safe, fixed queries."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards.models import Application, PartnerOrganisation, ReviewCriterion, ReviewScore
from crossector.core.exports import cell_text
from tests.awards.staff import reviewer, submitted
from tests.awards.test_admin_applications import add_review
from tests.conftest import login_with_mfa

pytestmark = pytest.mark.django_db
S = Application.Status
LIST = "/admin/awards/application/"
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1)", "\tcmd", "\rcmd", "  =1+1"]


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx_parts(response) -> tuple[list[str], str]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    strings = [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<si>(.*?)</si>", shared, re.S)]
    return strings, sheet


def test_cell_safe_prefixes_every_formula_trigger_and_leaves_plain_text():
    for value in HOSTILE:
        assert cell_text(value) == "'" + value
    for value in ("Cardiff", "AI – pathology", "3 months", "", "O'Neill"):
        assert cell_text(value) == value


def test_csv_export_of_hostile_values_starts_every_cell_as_text(staff_client):
    apps = []
    for value in HOSTILE:
        app = submitted(title=value, organisation=value)
        PartnerOrganisation.objects.filter(application=app).update(name=value, country=value)
        app.applicant.profile.full_name = value
        app.applicant.profile.save()
        apps.append(app)

    rows = _csv_rows(staff_client.get(f"{LIST}export.csv"))

    assert len(rows) == len(HOSTILE)
    for row in rows:
        for column in ("Title", "Employing organisation", "Partner organisations", "Partner countries", "Applicant"):
            assert row[column].startswith("'"), (column, row[column])
            assert row[column][1:] in HOSTILE


def test_xlsx_export_writes_text_as_text_never_as_formulas(staff_client):
    for value in HOSTILE:
        submitted(title=value)
    response = staff_client.get(f"{LIST}export.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="applications-')
    strings, sheet = _xlsx_parts(response)
    assert "<f>" not in sheet  # no formula cells at all
    titles = [s for s in strings if any(s.endswith(v.strip()) for v in HOSTILE)]
    assert titles and all(s.startswith("'") for s in titles)
    assert "<v>45000</v>" in sheet  # the amount is a number cell


def test_export_has_scores_spread_and_per_criterion_means(staff_client):
    app = submitted(status=S.UNDER_REVIEW)
    quality = ReviewCriterion.objects.create(call=app.call, title="Quality of the proposal", order=1)
    feasible = ReviewCriterion.objects.create(call=app.call, title="Feasibility", order=2)
    for mean, scores in (("4.50", (5, 4)), ("2.50", (3, 2))):
        review = add_review(app, mean)
        ReviewScore.objects.create(review=review, criterion=quality, score=scores[0])
        ReviewScore.objects.create(review=review, criterion=feasible, score=scores[1])

    (row,) = _csv_rows(staff_client.get(f"{LIST}export.csv"))

    assert row["Reference"] == app.reference
    assert row["Amount requested (£)"] == "45000.00"
    assert (row["Reviews"], row["Mean score"], row["Score spread"]) == ("2", "3.50", "2.00")
    assert row["Mean: Quality of the proposal"] == "4.00"
    assert row["Mean: Feasibility"] == "3.00"
    assert row["Partner sectors"] == "Industry (SME / start-up)"


def test_export_follows_the_lists_filters_and_search(staff_client):
    awarded = submitted(status=S.AWARDED, awarded_amount=Decimal("30000"))
    submitted(status=S.SUBMITTED)
    rows = _csv_rows(staff_client.get(f"{LIST}export.csv?status__exact=awarded"))
    assert [(r["Reference"], r["Amount awarded (£)"]) for r in rows] == [(awarded.reference, "30000.00")]
    rows = _csv_rows(staff_client.get(f"{LIST}export.csv", {"q": awarded.reference}))
    assert [r["Reference"] for r in rows] == [awarded.reference]


def test_export_selected_action_exports_only_the_ticked_rows(staff_client):
    ticked, other = submitted(), submitted()
    response = staff_client.post(LIST, {"action": "export_xlsx", "_selected_action": [ticked.pk]})
    strings, _ = _xlsx_parts(response)
    assert ticked.reference in strings and other.reference not in strings


def test_export_runs_the_same_queries_for_5_and_40_applications(staff_client, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            app = submitted(status=S.UNDER_REVIEW)
            criterion, _ = ReviewCriterion.objects.get_or_create(call=app.call, title="Quality")
            ReviewScore.objects.create(review=add_review(app, "3.00"), criterion=criterion, score=3)

    make(5)
    staff_client.get(f"{LIST}export.csv")
    with CaptureQueriesContext(connection) as at_5:
        assert len(_csv_rows(staff_client.get(f"{LIST}export.csv"))) == 5
    make(35)
    for fmt in ("csv", "xlsx"):
        with django_assert_num_queries(len(at_5)):
            response = staff_client.get(f"{LIST}export.{fmt}")
    assert len(_xlsx_parts(response)[1].split("<row ")) - 1 == 41  # header + 40
    print(f"export: {len(at_5)} queries at 5 and at 40 applications")


def test_a_reviewer_cannot_export(client):
    app = submitted()
    login_with_mfa(client, reviewer())
    assert client.get(f"{LIST}export.csv").status_code == 403
    assert client.get(f"{LIST}export.xlsx").status_code == 403
    response = client.post(LIST, {"action": "export_csv", "_selected_action": [app.pk]})
    assert response.status_code == 403
    assert app.reference.encode() not in response.content
