"""The transition table: every allowed move works and is recorded, every other one is refused, emails go once."""

import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection

from awards import services, workflow
from awards.models import Application, ApplicationEvent, OutcomeEmailTemplate
from crossector.core.models import OutboundEmail
from tests.awards.factories import application, complete
from tests.awards.staff import reviewer, staff_without_change, submitted

pytestmark = pytest.mark.django_db
S = Application.Status

ALLOWED = sorted(workflow.TRANSITION_BY_PAIR)
REFUSED = sorted((a, b) for a, b in itertools.product(S.values, S.values) if (a, b) not in workflow.TRANSITION_BY_PAIR)


def _actor_for(transition, app, staff_user):
    return staff_user if transition.by_staff else app.applicant


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_every_allowed_transition_moves_and_records_who_when_and_the_note(source, target, staff_user):
    transition = workflow.TRANSITION_BY_PAIR[(source, target)]
    app = submitted(status=source)
    actor = _actor_for(transition, app, staff_user)

    moved = workflow.application_transition(application=app, to_status=target, actor=actor, note="  Panel 3 March  ")

    app.refresh_from_db()
    assert moved.status == app.status == target
    event = ApplicationEvent.objects.get(application=app, kind=ApplicationEvent.Kind.STATUS)
    assert (event.actor, event.from_status, event.to_status, event.note) == (actor, source, target, "Panel 3 March")
    assert event.created_at is not None
    assert (app.withdrawn_at is not None) == (target == S.WITHDRAWN)
    emails = OutboundEmail.objects.filter(idempotency_key=f"application-{app.pk}-outcome-{target}")
    assert emails.count() == (1 if target in Application.DECIDED else 0)
    if target in Application.DECIDED:
        assert emails.get().to == app.applicant.email
        assert ApplicationEvent.objects.filter(application=app, kind=ApplicationEvent.Kind.OUTCOME_EMAIL).count() == 1


@pytest.mark.parametrize(("source", "target"), REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_every_other_pair_is_refused_with_a_message_naming_the_statuses(source, target, staff_user):
    app = submitted(status=source)
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.application_transition(application=app, to_status=target, actor=staff_user)
    message = refused.value.message
    assert S(source).label.lower() in message
    if source != target:
        assert S(target).label.lower() in message
    else:
        assert "already" in message
    app.refresh_from_db()
    assert app.status == source
    assert not ApplicationEvent.objects.filter(application=app).exists()
    assert not OutboundEmail.objects.exists()


def test_the_applicant_may_only_withdraw_and_staff_may_not_withdraw_a_draft(staff_user):
    draft = submitted(status=S.DRAFT)
    with pytest.raises(workflow.TransitionError, match="Only the applicant"):
        workflow.application_transition(application=draft, to_status=S.WITHDRAWN, actor=staff_user)
    app = submitted(status=S.SUBMITTED)
    with pytest.raises(workflow.TransitionError, match="Only programme staff can move an application from submitted"):
        workflow.application_transition(application=app, to_status=S.ELIGIBLE, actor=app.applicant)
    stranger_app = submitted(status=S.SUBMITTED)
    with pytest.raises(workflow.TransitionError):
        workflow.application_transition(application=stranger_app, to_status=S.WITHDRAWN, actor=app.applicant)
    assert Application.objects.filter(status=S.SUBMITTED).count() == 2


def test_reviewers_and_staff_who_may_only_view_cannot_move_applications():
    app = submitted(status=S.UNDER_REVIEW)
    for actor in (reviewer(), staff_without_change()):
        with pytest.raises(workflow.TransitionError, match="Only programme staff"):
            workflow.application_transition(application=app, to_status=S.SHORTLISTED, actor=actor)
        assert workflow.next_transitions(application=app, actor=actor) == []
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW


def test_next_transitions_follow_the_table(staff_user):
    app = submitted(status=S.SHORTLISTED)
    targets = [t.target for t in workflow.next_transitions(application=app, actor=staff_user)]
    assert targets == [S.AWARDED, S.NOT_AWARDED, S.UNDER_REVIEW, S.WITHDRAWN]
    assert [t.target for t in workflow.next_transitions(application=app, actor=app.applicant)] == [S.WITHDRAWN]
    assert workflow.next_transitions(application=submitted(status=S.AWARDED), actor=staff_user) == []


def test_award_sets_the_amount_requested_unless_the_panel_gives_another(staff_user):
    requested = submitted(status=S.SHORTLISTED, amount="45000.00")
    CostLineAmount = Decimal("1250.50")
    requested.cost_lines.create(category="travel", amount=CostLineAmount, justification="Trains.")
    workflow.application_transition(application=requested, to_status=S.AWARDED, actor=staff_user)
    requested.refresh_from_db()
    assert requested.awarded_amount == Decimal("46250.50")
    assert ApplicationEvent.objects.get(application=requested, kind="status").data == {"awarded_amount": "46250.50"}
    assert (
        "£46,250.50"
        in OutboundEmail.objects.get(idempotency_key=f"application-{requested.pk}-outcome-awarded").body_text
    )

    changed = submitted(status=S.SHORTLISTED)
    workflow.application_transition(
        application=changed, to_status=S.AWARDED, actor=staff_user, awarded_amount=Decimal("30000")
    )
    changed.refresh_from_db()
    assert changed.awarded_amount == Decimal("30000.00")


def test_award_above_the_call_maximum_is_refused_and_nothing_moves(staff_user):
    app = submitted(status=S.SHORTLISTED)
    with pytest.raises(workflow.TransitionError, match="maximum of £100,000"):
        workflow.application_transition(
            application=app, to_status=S.AWARDED, actor=staff_user, awarded_amount=Decimal("100000.01")
        )
    app.refresh_from_db()
    assert (app.status, app.awarded_amount) == (S.SHORTLISTED, None)
    assert not ApplicationEvent.objects.exists() and not OutboundEmail.objects.exists()


def test_running_a_decision_twice_queues_one_email(staff_user):
    app = submitted(status=S.UNDER_REVIEW)
    workflow.application_transition(application=app, to_status=S.NOT_AWARDED, actor=staff_user)
    with pytest.raises(workflow.TransitionError, match="already not awarded"):
        workflow.application_transition(application=app, to_status=S.NOT_AWARDED, actor=staff_user)
    assert OutboundEmail.objects.filter(to=app.applicant.email).count() == 1
    assert ApplicationEvent.objects.filter(application=app, kind="outcome_email").count() == 1


def test_a_call_wording_that_cannot_render_stops_the_move(staff_user):
    app = submitted(status=S.SUBMITTED)
    # Saved around the admin form's check, as a row written before the check existed would be.
    OutcomeEmailTemplate.objects.create(
        call=app.call, outcome="ineligible", subject="Outcome", body="Dear {{ applicant_name|nosuchfilter }}"
    )
    with pytest.raises(workflow.TransitionError, match="ineligible email cannot be written"):
        workflow.application_transition(application=app, to_status=S.INELIGIBLE, actor=staff_user)
    app.refresh_from_db()
    assert app.status == S.SUBMITTED
    assert not OutboundEmail.objects.exists() and not ApplicationEvent.objects.exists()


def test_bulk_moves_what_it_may_reports_the_rest_and_a_second_run_sends_nothing(staff_user):
    ready = [submitted(status=S.SHORTLISTED) for _ in range(3)]
    decided = submitted(status=S.NOT_AWARDED)
    early = submitted(status=S.ELIGIBLE)

    result = workflow.applications_transition_bulk(
        applications=[*ready, decided, early], to_status=S.AWARDED, actor=staff_user, note="Panel of 3 March"
    )

    assert [a.pk for a in result.moved] == [a.pk for a in ready]
    reasons = {a.pk: reason for a, reason in result.refused}
    assert reasons == {
        decided.pk: "A decision has been made (not awarded), so this application cannot move to awarded.",
        early.pk: "An application cannot move from eligible to awarded.",
    }
    assert Application.objects.filter(status=S.AWARDED).count() == 3
    assert OutboundEmail.objects.count() == 3
    assert set(ApplicationEvent.objects.filter(kind="status").values_list("note", flat=True)) == {"Panel of 3 March"}

    again = workflow.applications_transition_bulk(applications=ready, to_status=S.AWARDED, actor=staff_user)
    assert again.moved == [] and len(again.refused) == 3
    assert OutboundEmail.objects.count() == 3


def test_plan_says_what_a_bulk_move_would_do_without_doing_it(staff_user):
    ok, no = submitted(status=S.SUBMITTED), submitted(status=S.WITHDRAWN)
    plan = workflow.applications_transition_plan(applications=[ok, no], to_status=S.ELIGIBLE, actor=staff_user)
    assert plan.moved == [ok]
    assert plan.refused == [(no, "This application was withdrawn, so it cannot move to eligible.")]
    assert Application.objects.filter(status=S.ELIGIBLE).count() == 0


def test_applicant_withdrawal_goes_through_the_table_and_is_recorded():
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    services.application_withdraw(application=app, user=app.applicant)
    kinds = list(ApplicationEvent.objects.filter(application=app).values_list("from_status", "to_status", "actor"))
    assert kinds == [(S.DRAFT, S.SUBMITTED, app.applicant.pk), (S.SUBMITTED, S.WITHDRAWN, app.applicant.pk)]
    # Withdrawing again (a double-click) is the same withdrawal: nothing more is recorded, no error.
    again = services.application_withdraw(application=app, user=app.applicant)
    assert again.pk == app.pk and again.status == S.WITHDRAWN
    assert ApplicationEvent.objects.filter(application=app).count() == 2


def test_applicants_see_internal_stages_as_under_review(client):
    app = submitted(status=S.SHORTLISTED)
    client.force_login(app.applicant)
    mine = client.get("/awards/applications/").content.decode()
    detail = client.get(f"/awards/applications/{app.pk}/").content.decode()
    for page in (mine, detail):
        assert "Under review" in page
        assert "hortlisted" not in page
    Application.objects.filter(pk=app.pk).update(status=S.INELIGIBLE)
    assert "Not eligible" in client.get("/awards/applications/").content.decode()
    # Trying to edit does not reveal the stage either.
    response = client.get(f"/awards/{app.call.slug}/apply/you/", follow=True)
    assert "has been submitted and can no longer be changed" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_at_once_make_one_decision_and_one_email(staff_user):
    app = submitted(status=S.SHORTLISTED)
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(to_status):
        try:
            barrier.wait(timeout=5)
            workflow.application_transition(application=app, to_status=to_status, actor=staff_user)
            outcomes.append(to_status)
        except workflow.TransitionError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(s,)) for s in (S.AWARDED, S.NOT_AWARDED)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    app.refresh_from_db()
    assert app.status in (S.AWARDED, S.NOT_AWARDED)
    assert outcomes.count(app.status) == 1
    assert any("A decision has been made" in o for o in outcomes)
    assert ApplicationEvent.objects.filter(application=app, kind="status").count() == 1
    assert OutboundEmail.objects.count() == 1
