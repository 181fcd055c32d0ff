"""The applications admin for staff: list, filters, search, sorting, the application page, moves, audit, access."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from awards.admin.applications import ApplicationAdmin
from awards.models import (
    Application,
    ApplicationEvent,
    CostLine,
    PartnerOrganisation,
    Review,
    ReviewerAssignment,
)
from crossector.core.models import OutboundEmail, PriorityArea, Profile, User
from crossector.core.vocabulary import Region, Sector
from tests.awards.factories import AwardCallFactory, application, complete
from tests.awards.staff import reviewer, staff_without_change, submitted
from tests.conftest import login_with_mfa
from tests.factories import person

pytestmark = pytest.mark.django_db
S = Application.Status
LIST = "/admin/awards/application/"


def add_review(app, mean, *, by=None, submitted=True):
    assignment = ReviewerAssignment.objects.create(application=app, reviewer=by or reviewer())
    return Review.objects.create(
        assignment=assignment,
        mean_score=Decimal(mean),
        recommendation=Review.Recommendation.FUND,
        submitted_at=timezone.now() if submitted else None,
    )


def change_url(app):
    return f"{LIST}{app.pk}/change/"


def order_param(column: str) -> int:
    return ApplicationAdmin.list_display.index(column) + 1  # 0 is the action checkbox


# --- The list ---------------------------------------------------------------------------------------------------


def test_list_shows_reference_applicant_sectors_areas_amount_status_and_scores(staff_client):
    app = submitted(status=S.UNDER_REVIEW, amount="45000.00")
    app.applicant.profile.full_name = "Rhian Evans"
    app.applicant.profile.save()
    app.priority_areas.set([PriorityArea.objects.get(slug="pathology")])
    add_review(app, "4.00")
    add_review(app, "3.00")
    add_review(app, "1.00", submitted=False)  # not submitted: does not count
    conflicted = add_review(app, "1.00")
    ReviewerAssignment.objects.filter(pk=conflicted.assignment_id).update(conflict_declared_at=timezone.now())

    page = staff_client.get(LIST).content.decode()

    assert app.reference in page and "Rhian Evans" in page
    assert "NHS and health &amp; care services → Industry (SME / start-up)" in page
    assert "Data analytics and AI for pathology" in page
    assert "£45,000" in page and "Under review" in page
    row = page[page.index(app.reference) :]
    assert '<td class="field-review_count_display">2</td>' in row
    assert '<td class="field-mean_score_display">3.50</td>' in row
    assert '<td class="field-score_spread_display">1.00</td>' in row


def test_filters_by_call_status_sectors_priority_area_and_region(staff_client):
    call = AwardCallFactory()
    a = submitted(call=call, status=S.ELIGIBLE, organisation_sector=Sector.ACADEMIA, region=Region.WALES)
    b = submitted(status=S.SUBMITTED, organisation_sector=Sector.NHS, region=Region.SCOTLAND)
    PartnerOrganisation.objects.filter(application=b).update(sector=Sector.CHARITY)
    b.priority_areas.set([PriorityArea.objects.get(slug="genomics")])

    def refs(query):
        page = staff_client.get(f"{LIST}?{query}").content.decode()
        return {x.reference for x in (a, b) if x.reference in page}

    assert refs(f"call__id__exact={call.pk}") == {a.reference}
    assert refs("status__exact=submitted") == {b.reference}
    assert refs("organisation_sector__exact=academia") == {a.reference}
    assert refs("partner_sector=charity") == {b.reference}
    assert refs("partner_sector=industry_sme") == {a.reference}
    assert refs("priority_area=genomics") == {b.reference}
    assert refs("region__exact=wales") == {a.reference}


def test_search_by_reference_name_email_and_either_organisation(staff_client):
    a = submitted(organisation="Swansea Bay University Health Board")
    a.applicant.profile.full_name = "Gethin Morgan"
    a.applicant.profile.save()
    b = submitted()
    PartnerOrganisation.objects.filter(application=b).update(name="Velindre Genomics Partnership")

    def refs(term):
        page = staff_client.get(LIST, {"q": term}).content.decode()
        return {x.reference for x in (a, b) if x.reference in page}

    assert refs(a.reference) == {a.reference}
    assert refs("gethin morgan") == {a.reference}
    assert refs(b.applicant.email) == {b.reference}
    assert refs("Swansea Bay") == {a.reference}
    assert refs("Velindre") == {b.reference}


def test_sorts_by_mean_score_and_by_submission_date(staff_client):
    low, high, none = submitted(), submitted(), submitted()
    add_review(low, "2.00")
    add_review(high, "4.50")
    Application.objects.filter(pk=none.pk).update(submitted_at=timezone.now() - timedelta(days=3))

    def order(o):
        page = staff_client.get(LIST, {"o": o}).content.decode()
        return sorted((low, high, none), key=lambda x: page.index(x.reference))

    score = order_param("mean_score_display")
    assert order(str(score))[:2] == [high, low]  # best first, unreviewed last
    assert order(f"-{score}") == [none, low, high]  # Django reverses the whole order, unreviewed included
    assert order(str(order_param("submitted_at")))[0] == none


def _bulk_applications(n: int, call, area, reviewers):
    """n submitted applications with a partner, a cost line, a priority area, and two reviews on every fifth."""
    stamp = timezone.now()
    start = User.objects.count()
    users = User.objects.bulk_create(User(email=f"bulk{start + i}@example.org", password="!") for i in range(n))
    Profile.objects.bulk_create(
        Profile(user=u, full_name=f"Applicant {i}", sector=Sector.NHS) for i, u in enumerate(users)
    )
    apps = Application.objects.bulk_create(
        Application(
            call=call,
            applicant=u,
            status=S.UNDER_REVIEW,
            reference=f"CSEA-2098-{start + i:05d}",
            submitted_at=stamp,
            organisation="Health board",
            organisation_sector=Sector.NHS,
            region=Region.WALES,
            title="Placement",
        )
        for i, u in enumerate(users)
    )
    PartnerOrganisation.objects.bulk_create(
        PartnerOrganisation(application=a, name="Partner", sector=Sector.INDUSTRY_SME) for a in apps
    )
    CostLine.objects.bulk_create(CostLine(application=a, category="travel", amount=Decimal("1000.00")) for a in apps)
    Application.priority_areas.through.objects.bulk_create(
        Application.priority_areas.through(application=a, priorityarea=area) for a in apps
    )
    assignments = ReviewerAssignment.objects.bulk_create(
        ReviewerAssignment(application=a, reviewer=r) for a in apps[::5] for r in reviewers
    )
    Review.objects.bulk_create(
        Review(assignment=x, mean_score=Decimal("3.25"), recommendation="fund", submitted_at=stamp) for x in assignments
    )
    return apps


def test_admin_list_query_count_is_the_same_at_50_and_5000_applications(
    staff_client, django_assert_num_queries, django_assert_max_num_queries
):
    call = AwardCallFactory()
    area = PriorityArea.objects.get(slug="genomics")
    reviewers = [reviewer(), reviewer()]
    _bulk_applications(50, call, area, reviewers)
    staff_client.get(LIST)  # warm the session and permission caches the same way for both runs
    score = order_param("mean_score_display")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as at_50:
        response = staff_client.get(LIST, {"o": score})
    assert response.status_code == 200
    assert "50 applications" in response.content.decode()

    _bulk_applications(4950, call, area, reviewers)
    with django_assert_num_queries(len(at_50)):
        response = staff_client.get(LIST, {"o": score})
    assert "5000 applications" in response.content.decode()
    with django_assert_max_num_queries(len(at_50)):
        filtered = staff_client.get(LIST, {"o": score, "priority_area": "genomics", "q": "Applicant 1"})
    assert filtered.status_code == 200
    print(f"admin application list: {len(at_50)} queries at 50 and at 5000 applications")
    # Counting every application is the part that grows; the list counts them once (no "M total" count).
    counts = [q for q in at_50.captured_queries if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "awards_')]
    assert len(counts) == 1


# --- The application page -----------------------------------------------------------------------------------


def test_application_page_shows_sections_documents_reviews_and_history(staff_client, staff_user):
    app = complete(application())
    from awards import services, workflow

    services.application_submit(application=app, user=app.applicant)
    workflow.application_transition(application=app, to_status=S.ELIGIBLE, actor=staff_user, note="Checked by GH")
    add_review(app, "4.00")
    page = staff_client.get(change_url(app)).content.decode()

    for text in (
        "1. Applicant and employing organisation",
        "Helix Imaging Ltd",
        "AI for pathology triage",
        "Backfill a band 7 post",
        "£45,000",
        "Declarations",
        f'href="/awards/documents/{app.documents.get(kind="cv").pk}/"',
        "Submitted → Eligible",
        "Draft → Submitted",
        "Checked by GH",
        "mean score 4.00",
        "Send to review",
        "Mark ineligible…",
    ):
        assert text in page, text
    assert "Shortlist" not in page  # not a move from eligible
    assert 'name="_save"' not in page  # submitted content is read-only
    assert staff_client.get(f"/awards/documents/{app.documents.get(kind='cv').pk}/").status_code == 200


def test_submitted_content_cannot_be_changed_or_deleted_but_a_drafts_extension_can(staff_client):
    app = submitted(title="Original title")
    response = staff_client.post(change_url(app), {"title": "Changed", "extension_until_0": "2030-01-01"})
    app.refresh_from_db()
    assert app.title == "Original title" and app.extension_until is None
    assert response.status_code in (200, 302, 403)
    assert staff_client.get(f"{LIST}{app.pk}/delete/").status_code == 403

    draft = submitted(status=S.DRAFT)
    page = staff_client.get(change_url(draft)).content.decode()
    assert 'name="extension_until_0"' in page and 'name="_save"' in page
    response = staff_client.post(
        change_url(draft), {"extension_until_0": "2030-01-01", "extension_until_1": "12:00:00", "_save": "Save"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.extension_until is not None


def test_single_move_without_email_happens_at_once_with_the_note(staff_client, staff_user):
    app = submitted(status=S.SUBMITTED)
    response = staff_client.post(f"{LIST}{app.pk}/transition/", {"to_status": "eligible", "note": "All there"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == S.ELIGIBLE
    event = ApplicationEvent.objects.get(application=app)
    assert (event.actor, event.note) == (staff_user, "All there")


def test_outcome_move_shows_the_email_first_and_a_double_confirm_sends_one(staff_client):
    app = submitted(status=S.SHORTLISTED, amount="42000.00")
    app.applicant.profile.full_name = "Nia Hughes"
    app.applicant.profile.save()
    url = f"{LIST}{app.pk}/transition/"

    preview = staff_client.post(url, {"to_status": "awarded", "note": "Panel 1"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Dear Nia Hughes" in page and "£42,000" in page and "Confirm: move to awarded" in page
    app.refresh_from_db()
    assert app.status == S.SHORTLISTED and not OutboundEmail.objects.exists()

    changed = staff_client.post(url, {"to_status": "awarded", "awarded_amount": "40000", "preview": "1"})
    assert "£40,000" in changed.content.decode()

    confirm = {"to_status": "awarded", "note": "Panel 1", "awarded_amount": "40000.00", "confirm": "1"}
    assert staff_client.post(url, confirm).status_code == 302
    second = staff_client.post(url, confirm, follow=True)
    assert "already awarded" in second.content.decode()
    app.refresh_from_db()
    assert (app.status, app.awarded_amount) == (S.AWARDED, Decimal("40000.00"))
    email = OutboundEmail.objects.get()
    assert email.to == app.applicant.email and "£40,000" in email.body_text


def test_a_refused_move_says_why_and_nothing_changes(staff_client):
    app = submitted(status=S.SUBMITTED)
    response = staff_client.post(f"{LIST}{app.pk}/transition/", {"to_status": "awarded"}, follow=True)
    assert "An application cannot move from submitted to awarded." in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


# --- Bulk moves -------------------------------------------------------------------------------------------------


def test_bulk_award_confirmation_lists_who_moves_who_cannot_and_the_email(staff_client):
    ready = [submitted(status=S.SHORTLISTED) for _ in range(2)]
    stuck = submitted(status=S.ELIGIBLE)
    post = {"action": "move_to_awarded", "_selected_action": [a.pk for a in (*ready, stuck)]}

    page = staff_client.post(LIST, post).content.decode()

    assert "2 will move to awarded" in page and "1 cannot move" in page
    assert f"{stuck.reference}: <span" in page and "An application cannot move from eligible to awarded." in page
    assert "has been awarded £45,000" in page  # the email, filled in for the first application
    assert Application.objects.filter(status=S.AWARDED).count() == 0

    confirm = {**post, "confirm": "1", "note": "Panel of 3 March"}
    assert staff_client.post(LIST, confirm).status_code == 302
    assert staff_client.post(LIST, confirm).status_code == 302  # the confirm posted twice
    assert Application.objects.filter(status=S.AWARDED).count() == 2
    assert OutboundEmail.objects.count() == 2
    assert set(ApplicationEvent.objects.filter(kind="status").values_list("note", flat=True)) == {"Panel of 3 March"}
    stuck.refresh_from_db()
    assert stuck.status == S.ELIGIBLE


def test_bulk_move_without_email_moves_on_confirm(staff_client):
    apps = [submitted(status=S.SUBMITTED) for _ in range(3)]
    post = {"action": "move_to_eligible", "_selected_action": [a.pk for a in apps]}
    page = staff_client.post(LIST, post).content.decode()
    assert "3 will move to eligible" in page and "The email each applicant gets" not in page
    response = staff_client.post(LIST, {**post, "confirm": "1"}, follow=True)
    assert "3 application(s) moved to eligible." in response.content.decode()
    assert Application.objects.filter(status=S.ELIGIBLE).count() == 3


# --- Access ------------------------------------------------------------------------------------------------------


def test_reviewers_and_non_staff_never_reach_the_staff_application_pages(client):
    app = submitted(status=S.UNDER_REVIEW)
    urls = [change_url(app), LIST, f"{LIST}export.csv", f"{LIST}export.xlsx"]
    login_with_mfa(client, reviewer())
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"{LIST}{app.pk}/transition/", {"to_status": "shortlisted", "confirm": "1"}).status_code == 403
    client.logout()
    client.force_login(person())
    for url in urls:
        assert client.get(url).status_code in (302, 403), url
        assert app.reference not in client.get(url, follow=True).content.decode()
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW


def test_staff_who_may_only_view_see_the_page_but_cannot_move(client):
    app = submitted(status=S.SUBMITTED)
    login_with_mfa(client, staff_without_change())
    page = client.get(change_url(app)).content.decode()
    assert app.reference in page and "Mark eligible" not in page
    assert client.post(f"{LIST}{app.pk}/transition/", {"to_status": "eligible"}).status_code == 403
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


# --- Audit ---------------------------------------------------------------------------------------------------------


def test_audit_list_is_read_only_and_filters_by_kind_actor_and_call(staff_client, staff_user):
    from awards import workflow

    a = submitted(status=S.UNDER_REVIEW)
    b = submitted(status=S.SUBMITTED)
    workflow.application_transition(application=a, to_status=S.NOT_AWARDED, actor=staff_user)
    services_user = b.applicant
    workflow.application_transition(application=b, to_status=S.WITHDRAWN, actor=services_user)
    url = "/admin/awards/applicationevent/"

    def refs(query):
        page = staff_client.get(f"{url}?{query}").content.decode()
        return {x.reference for x in (a, b) if x.reference in page}

    assert refs("") == {a.reference, b.reference}
    assert refs("kind__exact=outcome_email") == {a.reference}
    assert refs(f"actor__id__exact={services_user.pk}") == {b.reference}
    assert refs(f"application__call__id__exact={b.call_id}") == {b.reference}
    event = ApplicationEvent.objects.first()
    assert staff_client.get(f"{url}add/").status_code == 403
    assert staff_client.get(f"{url}{event.pk}/delete/").status_code == 403
    staff_client.post(f"{url}{event.pk}/change/", {"note": "rewritten"})
    event.refresh_from_db()
    assert event.note != "rewritten"
