import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from awards import services
from awards.models import Application, AwardCall, ReferenceCounter, ReminderSent
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory, application, complete, deadline_call, pdf_upload
from tests.factories import person

pytestmark = pytest.mark.django_db

GMT_DEADLINE = datetime(2027, 2, 26, 16, 0, tzinfo=UTC)  # 16:00 GMT
BST_DEADLINE = datetime(2027, 6, 30, 15, 0, tzinfo=UTC)  # 16:00 BST


def _submit_at(deadline, moment):
    app = complete(application(call=deadline_call(deadline)))
    with time_machine.travel(moment, tick=False):
        return app, services.application_submit(application=app, user=app.applicant)


@pytest.mark.parametrize("deadline", [GMT_DEADLINE, BST_DEADLINE])
def test_submit_one_second_before_the_deadline_is_accepted(deadline):
    _, submitted = _submit_at(deadline, deadline - timedelta(seconds=1))
    assert submitted.status == Application.Status.SUBMITTED
    assert submitted.submitted_at == deadline - timedelta(seconds=1)


@pytest.mark.parametrize("deadline", [GMT_DEADLINE, BST_DEADLINE])
@pytest.mark.parametrize("after", [0, 1])
def test_submit_at_or_after_the_deadline_is_late_and_changes_nothing(deadline, after):
    with pytest.raises(services.ApplicationError) as excinfo:
        app, _ = _submit_at(deadline, deadline + timedelta(seconds=after))
    assert "4:00pm UK time" in excinfo.value.message  # the exact cut-off, in UK time (GMT in winter, BST in summer)
    app = Application.objects.get()
    assert app.status == Application.Status.DRAFT and app.reference == "" and app.submitted_at is None
    assert not OutboundEmail.objects.exists()


def test_bst_deadline_is_1500_utc_not_1600():
    # 15:30 UTC on a June deadline day is 16:30 BST: late, although it is before 16:00 UTC.
    with pytest.raises(services.ApplicationError):
        _submit_at(BST_DEADLINE, datetime(2027, 6, 30, 15, 30, tzinfo=UTC))


def test_individual_extension_lets_one_application_submit_late():
    app = complete(application(call=deadline_call(GMT_DEADLINE)))
    app.extension_until = GMT_DEADLINE + timedelta(days=2)
    app.save()
    with time_machine.travel(GMT_DEADLINE + timedelta(days=1), tick=False):
        submitted = services.application_submit(application=app, user=app.applicant)
    assert submitted.status == Application.Status.SUBMITTED


def test_submit_gives_a_reference_records_time_and_queues_a_receipt_with_a_summary():
    call = deadline_call(datetime(2027, 2, 26, 16, 0, tzinfo=UTC))
    first = complete(application(call=call))
    second = complete(application(call=call))
    with time_machine.travel(datetime(2027, 2, 1, 10, tzinfo=UTC), tick=False):
        a = services.application_submit(application=first, user=first.applicant)
        b = services.application_submit(application=second, user=second.applicant)
    assert (a.reference, b.reference) == ("CSEA-2027-0001", "CSEA-2027-0002")
    receipt = OutboundEmail.objects.get(idempotency_key=f"application-{a.pk}-receipt")
    assert receipt.to == first.applicant.email
    assert "CSEA-2027-0001" in receipt.subject
    assert "AI for pathology triage" in receipt.body_text and "£45,000" in receipt.body_text
    assert "1 February 2027, 10:00am UK time" in receipt.body_text


def test_incomplete_application_is_not_submitted_and_problems_are_listed():
    app = application()
    with pytest.raises(services.ApplicationError) as excinfo:
        services.application_submit(application=app, user=app.applicant)
    sections = {p.section for p in excinfo.value.problems}
    assert sections == {"you", "partners", "proposal", "costs", "documents", "check"}
    assert Application.objects.get().status == Application.Status.DRAFT


def test_one_application_per_applicant_per_call():
    call = AwardCallFactory()
    user = person()
    first = services.application_start(call=call, user=user)
    assert services.application_start(call=call, user=user).pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(call=call, applicant=user)


def test_application_start_is_prefilled_from_the_profile():
    user = person(organisation="Helix Imaging Ltd", sector="industry_sme", region="scotland", job_title="CTO")
    app = services.application_start(call=AwardCallFactory(), user=user)
    assert (app.organisation, app.organisation_sector, app.region, app.role) == (
        "Helix Imaging Ltd",
        "industry_sme",
        "scotland",
        "CTO",
    )


def test_cannot_start_an_application_to_a_closed_or_upcoming_call():
    now = datetime(2027, 1, 1, tzinfo=UTC)
    closed = AwardCallFactory(opens_at=now - timedelta(days=90), closes_at=now - timedelta(days=1))
    upcoming = AwardCallFactory(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=90))
    for call in (closed, upcoming):
        with pytest.raises(services.ApplicationError):
            services.application_start(call=call, user=person(), now=now)


def test_submitted_application_cannot_be_saved_again():
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    with pytest.raises(services.ApplicationError, match="can no longer be changed"):
        services.application_save_section(
            application=app, user=app.applicant, section="you", values={"organisation": "Changed"}
        )
    with pytest.raises(services.ApplicationError):
        services.document_upload(application=app, user=app.applicant, kind="cv", upload=pdf_upload())
    assert Application.objects.get().organisation == "Cardiff and Vale University Health Board"


def test_withdraw_until_a_decision():
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    services.application_withdraw(application=app, user=app.applicant)
    assert Application.objects.get().status == Application.Status.WITHDRAWN
    decided = complete(application())
    services.application_submit(application=decided, user=decided.applicant)
    Application.objects.filter(pk=decided.pk).update(status=Application.Status.AWARDED)
    with pytest.raises(services.ApplicationError, match="decision"):
        services.application_withdraw(application=decided, user=decided.applicant)


def test_reference_counter_is_per_year():
    for year, deadline in (
        (2027, datetime(2027, 2, 26, 16, tzinfo=UTC)),
        (2028, datetime(2028, 2, 25, 16, tzinfo=UTC)),
    ):
        app = complete(application(call=deadline_call(deadline)))
        with time_machine.travel(deadline - timedelta(days=1), tick=False):
            done = services.application_submit(application=app, user=app.applicant)
        assert done.reference == f"CSEA-{year}-0001"
    assert ReferenceCounter.objects.count() == 2


# --- Reminders ---------------------------------------------------------------------------------------------


def _reminders(call):
    return list(
        OutboundEmail.objects.filter(idempotency_key__contains="-reminder-")
        .order_by("idempotency_key")
        .values_list("idempotency_key", flat=True)
    )


def key(application, offset_days, call):
    return services.reminder_key(application_id=application.pk, offset_days=offset_days, call=call)


def test_reminders_go_once_per_offset_even_when_the_sweep_runs_twice():
    call = deadline_call(GMT_DEADLINE)
    draft = application(call=call)
    submitted = complete(application(call=call))
    withdrawn = application(call=call, status=Application.Status.WITHDRAWN)
    with time_machine.travel(GMT_DEADLINE - timedelta(days=20), tick=False):
        services.application_submit(application=submitted, user=submitted.applicant)
        assert services.deadline_reminders_send() == 0  # nothing due yet
    with time_machine.travel(GMT_DEADLINE - timedelta(days=14), tick=False):
        assert services.deadline_reminders_send() == 1
        assert services.deadline_reminders_send() == 0
    with time_machine.travel(GMT_DEADLINE - timedelta(days=6), tick=False):
        assert services.deadline_reminders_send() == 1
    with time_machine.travel(GMT_DEADLINE - timedelta(hours=3), tick=False):
        assert services.deadline_reminders_send() == 1
        assert services.deadline_reminders_send() == 0
    with time_machine.travel(GMT_DEADLINE, tick=False):
        assert services.deadline_reminders_send() == 0  # never at or after the deadline
    assert sorted(_reminders(call)) == sorted(key(draft, o, call) for o in (1, 14, 7))
    assert not ReminderSent.objects.filter(application__in=[submitted, withdrawn]).exists()
    reminder = OutboundEmail.objects.filter(to=draft.applicant.email).first()
    assert "26 February 2027, 4:00pm UK time" in reminder.body_text


def test_a_late_sweep_sends_one_reminder_for_the_nearest_offset():
    call = deadline_call(GMT_DEADLINE)
    draft = application(call=call)
    with time_machine.travel(GMT_DEADLINE - timedelta(hours=20), tick=False):  # 14, 7 and 1 are all due
        assert services.deadline_reminders_send() == 1
    assert _reminders(call) == [key(draft, 1, call)]
    assert set(ReminderSent.objects.values_list("offset_days", flat=True)) == {1, 7, 14}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_send_each_reminder_once():
    call = deadline_call(datetime.now(UTC) + timedelta(days=6, hours=12))
    drafts = [application(call=call) for _ in range(5)]
    barrier = threading.Barrier(2)
    counts = []

    def sweep():
        try:
            barrier.wait()
            counts.append(services.deadline_reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 5
    assert sorted(_reminders(call)) == sorted(key(d, 7, call) for d in drafts)


@pytest.mark.django_db(transaction=True)
def test_double_submit_at_the_same_moment_makes_one_submission():
    app = complete(application())
    barrier = threading.Barrier(2)
    references, errors = [], []

    def submit():
        try:
            barrier.wait()
            references.append(services.application_submit(application=app, user=app.applicant).reference)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(references)) == 1 and len(references) == 2
    assert ReferenceCounter.objects.get().last == 1
    assert OutboundEmail.objects.filter(idempotency_key=f"application-{app.pk}-receipt").count() == 1


# --- Call open notices ---------------------------------------------------------------------------------------


def test_call_open_notice_is_sent_once_when_the_next_call_opens():
    user = person()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        services.call_open_notice_request(user=user)
        services.call_open_notice_request(user=user)  # asking twice keeps one request
        call = AwardCallFactory(opens_at=now + timedelta(days=10), closes_at=now + timedelta(days=60))
        assert services.call_open_notices_send() == 0
    with time_machine.travel(now + timedelta(days=10, minutes=5), tick=False):
        assert services.call_open_notices_send() == 1
        assert services.call_open_notices_send() == 0
    [email] = OutboundEmail.objects.filter(to=user.email)
    assert call.name in email.subject and f"/awards/{call.slug}/" in email.body_text


def test_demo_seed_is_idempotent_and_leaves_a_half_done_draft():
    from awards import demo, rules
    from crossector.core import demo as core_demo

    users = core_demo.seed()
    demo.seed(users)
    demo.seed(users)
    assert Application.objects.filter(applicant=users["applicant"]).count() == 1  # others: the review round
    past = rules.format_uk(AwardCall.objects.get(slug="csea-2024").closes_at)
    assert past == "29 February 2024, 4:00pm UK time"
    draft = Application.objects.get(applicant=users["applicant"])
    assert draft.call.is_open()
    statuses = rules.section_status(rules.application_problems(draft), draft)
    assert statuses["you"] == statuses["partners"] == "complete"
    assert statuses["proposal"] == "in progress" and statuses["documents"] == "not started"


def test_reminders_go_in_batches_and_skip_rows_another_sweep_claimed_meanwhile(monkeypatch):
    call = deadline_call(GMT_DEADLINE)
    drafts = [application(call=call) for _ in range(5)]
    monkeypatch.setattr(services, "REMINDER_BATCH", 2)
    real_batch = services._deadline_reminders_batch

    def another_sweep_claims_the_second_draft_first(call, ids, **kwargs):
        if drafts[1].pk in ids:
            ReminderSent.objects.create(application=drafts[1], offset_days=7)
        return real_batch(call, ids, **kwargs)

    monkeypatch.setattr(services, "_deadline_reminders_batch", another_sweep_claims_the_second_draft_first)
    with time_machine.travel(GMT_DEADLINE - timedelta(days=6), tick=False):
        assert services.deadline_reminders_send() == 4
        assert services.deadline_reminders_send() == 0
    assert sorted(_reminders(call)) == sorted(key(d, 7, call) for d in drafts if d != drafts[1])
    assert ReminderSent.objects.filter(offset_days=14).count() == 4  # the passed offset, recorded as done
    assert ReminderSent.objects.filter(offset_days=7).count() == 5


@pytest.mark.parametrize("stage", [Application.Status.DRAFT, Application.Status.SUBMITTED])
def test_withdrawing_emails_the_applicant_once(stage):
    from crossector.core.models import OutboundEmail

    app = complete(application())
    if stage == Application.Status.SUBMITTED:
        services.application_submit(application=app, user=app.applicant)
    before = OutboundEmail.objects.filter(to=app.applicant.email).count()
    for _ in range(3):  # a double-click, two tabs
        services.application_withdraw(application=app, user=app.applicant)
    emails = OutboundEmail.objects.filter(to=app.applicant.email).order_by("created_at")
    assert emails.count() == before + 1
    email = emails.last()
    assert email.subject == f"Your application to the {app.call.name} is withdrawn"
    assert "was withdrawn on" in email.body_text and f"/awards/applications/{app.pk}/" in email.body_text
