"""The scheme's rules, one test per rule, as the issue lists them."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from awards import rules
from awards.forms import PartnerForm, ProposalForm, TimingForm, cost_formset
from awards.pdf import pdf_problem
from crossector.core.vocabulary import Sector
from tests.awards.factories import application, deadline_call, pdf_bytes

pytestmark = pytest.mark.django_db


def test_deadline_shown_in_uk_time_gmt_and_bst():
    assert rules.format_uk(datetime(2024, 2, 29, 16, 0, tzinfo=UTC)) == "29 February 2024, 4:00pm UK time"
    assert rules.format_uk(datetime(2026, 6, 30, 15, 0, tzinfo=UTC)) == "30 June 2026, 4:00pm UK time"
    assert rules.format_uk(datetime(2026, 6, 30, 8, 5, tzinfo=UTC)) == "30 June 2026, 9:05am UK time"


def test_partner_in_same_sector_as_employer_is_refused_at_save():
    form = PartnerForm({"sector": Sector.NHS, "name": "Another trust"}, employer_sector=Sector.NHS)
    assert not form.is_valid()
    assert "different sector" in form.errors["sector"][0]
    assert PartnerForm({"sector": Sector.ACADEMIA}, employer_sector=Sector.NHS).is_valid()


def test_completeness_flags_partner_that_matches_an_employer_sector_changed_later():
    app = application()
    app.partners.create(name="Uni", sector=Sector.ACADEMIA)
    app.organisation_sector = Sector.ACADEMIA
    messages = [p.message for p in rules.application_problems(app) if p.section == "partners"]
    assert any("different sector" in m for m in messages)


def _costs(app, *amounts):
    data = {"costs-TOTAL_FORMS": str(len(amounts)), "costs-INITIAL_FORMS": "0"}
    for i, amount in enumerate(amounts):
        data.update({f"costs-{i}-category": "backfill", f"costs-{i}-amount": amount, f"costs-{i}-justification": "x"})
    return cost_formset(app, data)


def test_total_of_costs_may_equal_but_not_exceed_the_call_maximum():
    app = application()
    assert _costs(app, "60000.00", "40000.00").is_valid()
    over = _costs(app, "60000.00", "40000.01")
    assert not over.is_valid()
    assert "more than this call's maximum of £100,000" in over.non_form_errors()[0]
    assert rules.costs_total([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")  # Decimal, not float


def test_negative_or_fractional_penny_amounts_are_refused():
    app = application()
    assert not _costs(app, "-5").is_valid()
    assert not _costs(app, "10.001").is_valid()


@pytest.mark.parametrize(("months", "ok"), [(2, False), (3, True), (12, True), (13, False)])
def test_duration_must_be_within_the_calls_range(months, ok):
    app = application()
    form = TimingForm({"duration_months": str(months)}, instance=app)
    assert form.is_valid() is ok
    if not ok:
        assert "between 3 and 12 months" in form.errors["duration_months"][0]


def test_start_date_must_be_after_the_call_closes_in_uk_time():
    # Closes 23:30 UTC on 31 March 2027 = 00:30 BST on 1 April: the UK closing day is 1 April.
    app = application(call=deadline_call(datetime(2027, 3, 31, 23, 30, tzinfo=UTC)))
    assert not TimingForm(
        {"start_date_day": "1", "start_date_month": "4", "start_date_year": "2027"}, instance=app
    ).is_valid()
    assert TimingForm(
        {"start_date_day": "2", "start_date_month": "4", "start_date_year": "2027"}, instance=app
    ).is_valid()
    assert rules.start_date_problem(start=date(2027, 3, 1), call=app.call)


@pytest.mark.parametrize(
    ("field", "limit"), [("summary", 250), ("why_now", 500), ("benefits", 500), ("lasting_links", 300)]
)
def test_word_limits_are_enforced_on_the_server(field, limit):
    app = application()
    assert ProposalForm({field: "word " * limit}, instance=app).is_valid()
    form = ProposalForm({field: "word " * (limit + 1)}, instance=app)
    assert not form.is_valid()
    assert f"Use {limit} words or fewer (you have {limit + 1})" in form.errors[field][0]


def test_word_count_counts_words_not_characters():
    assert rules.word_count("  one\ntwo\t three  ") == 3
    assert rules.word_count("") == 0


@pytest.mark.parametrize(
    ("deadline", "now", "late"),
    [
        # 16:00 GMT in February: 16:00 UTC.
        (datetime(2024, 2, 29, 16, 0, tzinfo=UTC), datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC), False),
        (datetime(2024, 2, 29, 16, 0, tzinfo=UTC), datetime(2024, 2, 29, 16, 0, 0, tzinfo=UTC), True),
        (datetime(2024, 2, 29, 16, 0, tzinfo=UTC), datetime(2024, 2, 29, 16, 0, 1, tzinfo=UTC), True),
        # 16:00 BST in June: 15:00 UTC.
        (datetime(2026, 6, 30, 15, 0, tzinfo=UTC), datetime(2026, 6, 30, 14, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 6, 30, 15, 0, tzinfo=UTC), datetime(2026, 6, 30, 15, 0, 0, tzinfo=UTC), True),
    ],
)
def test_deadline_edge(deadline, now, late):
    assert rules.is_late(deadline=deadline, now=now) is late


def _upload(content: bytes, name="cv.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_pdf_is_accepted_by_content():
    assert pdf_problem(_upload(pdf_bytes())) is None
    assert pdf_problem(_upload(pdf_bytes(), name="letter.docx")) is None  # the name does not matter


def test_renamed_exe_is_refused():
    exe = b"MZ\x90\x00" + b"\x00" * 2000 + b"This program cannot be run in DOS mode"
    assert pdf_problem(_upload(exe, name="cv.pdf")) == "The selected file must be a PDF."


def test_truncated_pdf_without_trailer_is_refused():
    assert "not a complete PDF" in pdf_problem(_upload(pdf_bytes()[:-40]))
    assert "not a complete PDF" in pdf_problem(_upload(b"%PDF-1.4\nstartxref\n999999\n%%EOF\n"))


def test_file_over_10_mb_is_refused_and_10_mb_accepted():
    twenty = _upload(pdf_bytes(padding=20 * 1024 * 1024))
    assert "10 MB or smaller (this one is 20.0 MB)" in pdf_problem(twenty)
    target = 10 * 1024 * 1024
    padding = target - len(pdf_bytes())
    padding -= len(pdf_bytes(padding=padding)) - target  # the trailer's offset grew by a few digits
    exact = pdf_bytes(padding=padding)
    assert len(exact) == 10 * 1024 * 1024
    assert pdf_problem(_upload(exact)) is None


def test_empty_file_is_refused():
    assert pdf_problem(SimpleUploadedFile("cv.pdf", b"")) == "The selected file is empty."


def test_task_list_statuses_follow_completeness():
    app = application(organisation="Trust")
    statuses = rules.section_status(rules.application_problems(app), app)
    assert statuses["you"] == "in progress"
    assert statuses["partners"] == "not started"
