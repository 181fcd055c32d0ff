"""A repeated request gets the page for what happened, never an error (issue 13, item 6).

Every state-changing POST is sent five times with the same cookies to the live server on PostgreSQL: all at
once (a double-click, two tabs; `at_once`) and one after another (a resubmitted form; `in_turn`). Every answer
must be the page for the resulting state, and the change must happen exactly once: one reference, one receipt,
one booking, one review, one history entry. Where the code has a seam, a moment's pause is held inside the
locked section so that the requests sent together really overlap there.
"""

import time

import pytest
from django.utils import timezone

from awards import rules, workflow
from awards import services as award_services
from awards.models import Application, ApplicationEvent, Document, SignatoryRequest
from awards.review import services as review_services
from awards.review.models import Review, ReviewerAssignment
from awards.review.services import criteria_ensure
from crossector.core.models import OutboundEmail
from events import services as event_services
from events.models import Booking
from hubs.network import services as network_services
from hubs.network.models import ConnectionRequest
from tests.awards.factories import application, complete, pdf_bytes
from tests.awards.review_factories import assign, reviewer, submitted
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person
from tests.network.factories import connection_request, member
from tests.security.live import REPEATS, Browser, post_at_once, post_in_turn

pytestmark = pytest.mark.django_db(transaction=True)
SENDS = pytest.mark.parametrize("send", [post_at_once, post_in_turn], ids=["at_once", "in_turn"])
S = Application.Status


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media", "base_url": None}},
    }
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media"


def held(monkeypatch, module, name, seconds=0.05):
    """Hold each request a moment after `module.name`, so requests sent together overlap for sure."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(module, name, slow)


def counted(monkeypatch, module, name, exception):
    """Count the calls of `module.name` that raise `exception` (a request that lost the race)."""
    real, lost = getattr(module, name), []

    def spy(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except exception:
            lost.append(name)
            raise

    monkeypatch.setattr(module, name, spy)
    return lost


def redirected(answers, path):
    """Every answer is a redirect to `path` (no 5xx, no error page, nothing else), and none says "error"."""
    assert [(a.status, a.location) for a in answers] == [(302, path)] * REPEATS, [a.body[:300] for a in answers]
    errors = [text for a in answers for level, text in a.messages if level == "error"]
    assert not errors


def emails(to, subject_start):
    return OutboundEmail.objects.filter(to=to, subject__startswith=subject_start).count()


# --- Applicants: submit and withdraw ---------------------------------------------------------------------

DECLARED = {"declare_accurate": "on", "declare_employer_agrees": "on", "declare_data_use": "on"}


@SENDS
def test_repeated_submit_makes_one_submission_and_every_answer_is_the_submitted_page(live_server, send, monkeypatch):
    held(monkeypatch, rules, "application_problems")  # submit holds the row lock while it checks completeness
    lost = counted(monkeypatch, award_services, "application_save_section", award_services.ApplicationError)
    app = complete(application())
    path = f"/awards/{app.call.slug}/apply/check/"
    answers = send(live_server.url, path, Browser(app.applicant), {**DECLARED, "submit": ""})
    redirected(answers, f"/awards/applications/{app.pk}/submitted/")
    app.refresh_from_db()
    assert app.status == S.SUBMITTED and app.reference
    assert Application.objects.exclude(reference="").count() == 1
    assert ApplicationEvent.objects.filter(application=app, to_status=S.SUBMITTED).count() == 1
    assert emails(app.applicant.email, "Application received") == 1
    assert sum(("info", "This application was already submitted.") in a.messages for a in answers) >= 1
    if send is post_at_once:
        # The control: the race the view now answers did happen here. Requests that loaded the draft before the
        # first submitted it lost at the row lock (ApplicationError), which the old view turned into a 500.
        assert lost, "no request lost the race: the test did not exercise it"


def test_a_repeated_submit_after_the_deadline_still_gets_the_submitted_page(live_server):
    app = complete(application())
    award_services.application_submit(application=app, user=app.applicant)
    app.call.closes_at = timezone.now()
    app.call.save()
    path = f"/awards/{app.call.slug}/apply/check/"
    answers = post_in_turn(live_server.url, path, Browser(app.applicant), {**DECLARED, "submit": ""})
    redirected(answers, f"/awards/applications/{app.pk}/submitted/")


@SENDS
def test_repeated_withdraw_withdraws_once_and_every_answer_is_my_applications(live_server, send, monkeypatch):
    held(monkeypatch, workflow, "transition_check")
    app = complete(application())
    award_services.application_submit(application=app, user=app.applicant)
    answers = send(live_server.url, f"/awards/applications/{app.pk}/withdraw/", Browser(app.applicant))
    redirected(answers, "/awards/applications/")
    app.refresh_from_db()
    assert app.status == S.WITHDRAWN
    if send is post_in_turn:
        assert [a.messages for a in answers[1:]] == [(("info", "This application was already withdrawn."),)] * 4
    assert ApplicationEvent.objects.filter(application=app, to_status=S.WITHDRAWN).count() == 1


# --- The signatory's upload --------------------------------------------------------------------------------


@SENDS
def test_repeated_signatory_upload_stores_one_letter_and_every_answer_says_it_arrived(live_server, send, monkeypatch):
    held(monkeypatch, award_services, "_attach")
    app = application()
    award_services.signatory_request_create(
        application=app, user=app.applicant, kind="employer_statement", name="Dr Head", email="head@example.org"
    )
    body = OutboundEmail.objects.get(to="head@example.org").body_text
    link = body[body.index("/awards/letters/") :].split()[0]
    answers = send(live_server.url, link, Browser(), files={"letter": ("signed.pdf", pdf_bytes())})
    assert [a.status for a in answers] == [200] * REPEATS
    assert all("the letter has been received" in a.body for a in answers)
    if send is post_in_turn:  # each repeat is told the link had already brought the letter
        assert sum("already brought us the letter" in a.body for a in answers) == REPEATS - 1
    document = Document.objects.get(application=app)
    assert document.uploaded_by_signatory and document.original_name == "signed.pdf"
    assert SignatoryRequest.objects.get().used_at is not None


# --- Events: book and cancel -----------------------------------------------------------------------------

BOOKING_FORM = {"dietary_requirements": "", "access_requirements": ""}


@SENDS
def test_repeated_booking_books_one_place_and_every_answer_is_the_event_page(live_server, send, monkeypatch):
    held(monkeypatch, event_services, "_places_taken_and_mine")
    event, attendee = EventFactory(capacity=5), person()
    answers = send(live_server.url, f"/events/{event.slug}/book/", Browser(attendee), BOOKING_FORM)
    redirected(answers, f"/events/{event.slug}/")
    booking = Booking.objects.get(event=event)
    assert booking.user == attendee and booking.status == Booking.Status.CONFIRMED
    assert emails(attendee.email, "Your place is booked") == 1


@SENDS
def test_repeated_cancel_cancels_once_and_promotes_one_person(live_server, send, monkeypatch):
    held(monkeypatch, event_services, "_promote_waiting")
    event = EventFactory(capacity=1)
    booking = BookingFactory(event=event, user=person(), status=Booking.Status.CONFIRMED)
    waiting = [
        BookingFactory(event=event, user=person(), status=Booking.Status.WAITLISTED, created_at=timezone.now())
        for _ in range(2)
    ]
    answers = send(live_server.url, f"/events/bookings/{booking.pk}/cancel/", Browser(booking.user))
    redirected(answers, "/events/bookings/")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count() == 1
    assert Booking.objects.get(pk=waiting[0].pk).status == Booking.Status.CONFIRMED
    assert OutboundEmail.objects.filter(idempotency_key__startswith=f"booking-{booking.pk}-cancel").count() == 1


# --- The network: asking to connect, and replying ------------------------------------------------------------


@SENDS
def test_repeated_connection_request_sends_one_and_every_answer_is_the_person_page(live_server, send, monkeypatch):
    held(monkeypatch, network_services.selectors, "connection_between")
    sender, recipient = member(full_name="Sal Sender"), member(full_name="Rae Recipient")
    path = f"/network/people/{recipient.pk}/connect/"
    answers = send(live_server.url, path, Browser(sender), {"message": "Shall we talk about imaging?"})
    redirected(answers, f"/network/people/{recipient.pk}/")
    assert ConnectionRequest.objects.filter(sender=sender, recipient=recipient).count() == 1
    assert emails(recipient.email, "Sal Sender would like to connect") == 1


@SENDS
def test_repeated_abuse_report_files_one_report_and_emails_staff_once(live_server, send, monkeypatch):
    from hubs.network.models import AbuseReport

    staff = person(is_staff=True, is_superuser=True, email="safeguarding@example.org")
    reporter, reported = member(full_name="Rita Reporter"), member(full_name="Reece Reported")
    path = f"/network/people/{reported.pk}/report/"
    answers = send(live_server.url, path, Browser(reporter), {"reason": "Sent me the same message ten times."})
    redirected(answers, "/network/connections/")
    assert AbuseReport.objects.filter(reporter=reporter, reported=reported).count() == 1
    assert OutboundEmail.objects.filter(to=staff.email, subject__startswith="A person in the network").count() == 1


@SENDS
def test_repeated_block_blocks_once_and_every_answer_is_the_same_page(live_server, send):
    from hubs.network.models import Block

    blocker, blocked = member(full_name="Bea Blocker"), member(full_name="Ben Blocked")
    path = f"/network/people/{blocked.pk}/block/"
    answers = send(live_server.url, path, Browser(blocker), {})
    assert len({(a.status, a.location) for a in answers}) == 1 and answers[0].status in (200, 302), answers
    assert Block.objects.filter(blocker=blocker, blocked=blocked).count() == 1


def test_a_different_report_about_the_same_person_is_a_new_report(db):
    from hubs.network.models import AbuseReport

    reporter, reported = member(full_name="Rita Reporter"), member(full_name="Reece Reported")
    first = network_services.abuse_report_create(reporter=reporter, reported=reported, reason="First thing.")
    again = network_services.abuse_report_create(reporter=reporter, reported=reported, reason="First thing.")
    other = network_services.abuse_report_create(reporter=reporter, reported=reported, reason="Something else.")
    assert again.pk == first.pk and other.pk != first.pk
    assert AbuseReport.objects.filter(reporter=reporter).count() == 2


REPLIES = {  # action: (who replies, the status it leads to)
    "accept": ("recipient", ConnectionRequest.Status.ACCEPTED),
    "decline": ("recipient", ConnectionRequest.Status.DECLINED),
    "withdraw": ("sender", ConnectionRequest.Status.WITHDRAWN),
}


@SENDS
@pytest.mark.parametrize("action", REPLIES)
def test_repeated_reply_to_a_request_answers_once_and_every_answer_is_the_request_page(
    live_server, send, action, monkeypatch
):
    held(monkeypatch, network_services, "_locked")
    sender, recipient = member(full_name="Sal Sender"), member(full_name="Rae Recipient")
    req = connection_request(sender=sender, recipient=recipient)
    who, status = REPLIES[action]
    answers = send(live_server.url, f"/network/requests/{req.pk}/{action}/", Browser(locals()[who]))
    redirected(answers, f"/network/requests/{req.pk}/")
    req.refresh_from_db()
    assert req.status == status
    assert emails(sender.email, "Rae Recipient accepted") == (1 if action == "accept" else 0)


def test_control_without_the_row_lock_repeated_accepts_each_make_the_change(live_server, monkeypatch):
    """The control: with the request row's lock taken out, accepts sent together all find it waiting and all
    accept it (each queues the email; only the outbox key keeps it to one). The lock is what makes one."""
    monkeypatch.setattr(network_services, "_locked", lambda request: ConnectionRequest.objects.get(pk=request.pk))
    held(monkeypatch, network_services.selectors, "is_blocked_between", seconds=0.2)
    queued = []
    real_queue = network_services.email_queue_template
    monkeypatch.setattr(
        network_services, "email_queue_template", lambda **kwargs: queued.append(1) or real_queue(**kwargs)
    )
    sender, recipient = member(full_name="Sal Sender"), member(full_name="Rae Recipient")
    req = connection_request(sender=sender, recipient=recipient)
    post_at_once(live_server.url, f"/network/requests/{req.pk}/accept/", Browser(recipient))
    assert len(queued) > 1


# --- Reviewers: submit a review, declare a conflict --------------------------------------------------------


def review_url(app):
    return f"/admin/awards/applicationtoreview/{app.pk}/change/"


@SENDS
def test_repeated_review_submit_submits_one_review_and_every_answer_is_the_review_page(live_server, send, monkeypatch):
    held(monkeypatch, review_services, "criteria_ensure")  # inside review_save, under the assignment lock
    app, user = submitted(), reviewer(full_name="Dr Ada Reviewer")
    assign(app, user)
    criteria = criteria_ensure(call=app.call)
    form = {f"score_{c.pk}": "4" for c in criteria} | {"recommendation": "fund", "comments": "Clear.", "_submit": "1"}
    answers = send(live_server.url, review_url(app), Browser(user, mfa=True), form)
    redirected(answers, review_url(app))
    review = Review.objects.get()
    assert review.submitted_at is not None and str(review.mean_score) == "4.00"
    assert ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.REVIEW_SUBMITTED).count() == 1
    assert not ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.REVIEW_CHANGED).exists()


@SENDS
def test_repeated_conflict_declaration_records_one_and_every_answer_is_the_review_list(live_server, send):
    app, user = submitted(), reviewer(full_name="Dr Ada Reviewer")
    assign(app, user)
    path = f"/admin/awards/applicationtoreview/{app.pk}/conflict/"
    answers = send(live_server.url, path, Browser(user, mfa=True), {"reason": "The applicant was my student."})
    redirected(answers, "/admin/awards/applicationtoreview/")
    assert ReviewerAssignment.objects.get().conflict_reason == "The applicant was my student."
    assert ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.CONFLICT).count() == 1


# --- Staff: status moves, one at a time and in bulk ------------------------------------------------------------


@SENDS
@pytest.mark.parametrize(
    "to_status, extra",
    [(S.ELIGIBLE, {}), (S.AWARDED, {"confirm": "1", "awarded_amount": "40000.00"})],
    ids=["eligible", "awarded_with_email"],
)
def test_repeated_staff_move_moves_once_and_every_answer_is_the_application_page(
    live_server, send, to_status, extra, monkeypatch
):
    held(monkeypatch, workflow, "transition_check")
    source = S.SUBMITTED if to_status == S.ELIGIBLE else S.SHORTLISTED
    app, staff = submitted(status=source), person(is_staff=True, is_superuser=True)
    path = f"/admin/awards/application/{app.pk}/transition/"
    answers = send(live_server.url, path, Browser(staff, mfa=True), {"to_status": to_status, "note": "", **extra})
    redirected(answers, f"/admin/awards/application/{app.pk}/change/")
    app.refresh_from_db()
    assert app.status == to_status
    moves = ApplicationEvent.objects.filter(application=app, kind=ApplicationEvent.Kind.STATUS, to_status=to_status)
    assert moves.count() == 1
    assert emails(app.applicant.email, "") == (1 if to_status == S.AWARDED else 0)


@SENDS
def test_repeated_bulk_move_moves_each_once_and_every_answer_is_the_list(live_server, send, monkeypatch):
    held(monkeypatch, workflow, "transition_check")
    apps, staff = [submitted() for _ in range(3)], person(is_staff=True, is_superuser=True)
    form = {"action": "move_to_eligible", "_selected_action": [a.pk for a in apps], "note": "", "confirm": "1"}
    answers = send(live_server.url, "/admin/awards/application/", Browser(staff, mfa=True), form)
    redirected(answers, "/admin/awards/application/")
    assert Application.objects.filter(status=S.ELIGIBLE).count() == 3
    assert ApplicationEvent.objects.filter(to_status=S.ELIGIBLE).count() == 3


def test_tabs_adding_different_partners_at_once_keep_one_and_tell_the_others(live_server):
    """Six tabs, one page version, each adding a different partner at the same moment: the first save wins, every
    other one is refused with the page saying why (409), no 5xx, and no saved row is silently replaced."""
    import re
    import threading

    from django.test import Client

    from tests.security.live import _connection, _encode, _send

    app = application(organisation_sector="nhs")
    client = Client()
    client.force_login(app.applicant)
    page = client.get(f"/awards/{app.call.slug}/apply/partners/").content.decode()
    version = re.search(r'name="rows_version" value="([0-9a-f]+)"', page).group(1)
    browser = Browser(app.applicant)
    path = f"/awards/{app.call.slug}/apply/partners/"
    bodies = [
        _encode(
            {
                "partners-TOTAL_FORMS": "1",
                "partners-INITIAL_FORMS": "0",
                "partners-0-name": f"Partner {n}",
                "partners-0-sector": "industry_sme",
                "rows_version": version,
            },
            None,
            browser.csrf,
        )
        for n in range(6)
    ]
    barrier, answers = threading.Barrier(len(bodies)), []

    def post(body):
        conn = _connection(live_server.url)
        conn.connect()
        barrier.wait(timeout=30)
        answers.append(_send(conn, path, browser, *body))

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(a.status for a in answers)
    assert statuses == [302] + [409] * 5, statuses
    assert all("changed in another window or tab" in a.body for a in answers if a.status == 409)
    assert app.partners.count() == 1
