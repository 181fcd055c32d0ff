"""Check your answers, submit, and what an applicant sees afterwards."""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from crossector.core.access import Role, access_refusal, signed_out_refusal

from .. import rules, selectors, services
from ..access import application_access, application_for_role
from ..decorators import applicant_required
from ..forms import DeclarationsForm, error_links
from ..models import Application
from .apply import load_draft, progress_context


def _summary_context(application) -> dict:
    return {
        "total": rules.costs_total(c.amount for c in application.cost_lines.all()),
        "documents": {d.kind: d for d in application.documents.all()},
        "signatory_requests": selectors.signatory_states(application),
    }


def _already_submitted(request, slug):
    """The answer to a repeated "Submit" (a double-click, a resubmitted form, a second tab): the submitted
    page, saying so. None while the applicant's application to this call has not been submitted."""
    pk = (
        Application.objects.filter(call__slug=slug, applicant=request.user, submitted_at__isnull=False)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return None
    messages.info(request, "This application was already submitted.")
    return redirect("awards:submitted", pk=pk)


@applicant_required
def check_answers(request, slug):
    submitting = request.method == "POST" and "submit" in request.POST
    if submitting and (done := _already_submitted(request, slug)):
        return done
    application, elsewhere = load_draft(request, slug)
    if elsewhere:
        return elsewhere
    form = DeclarationsForm(request.POST or None, instance=application)
    submit_error, submit_problems = None, []
    if request.method == "POST" and form.is_valid():
        try:
            services.application_save_section(
                application=application, user=request.user, section="check", values=form.cleaned_data
            )
        except services.ApplicationError as exc:
            # It stopped being a draft after this request loaded it: most often the other click of a
            # double-click submitted it. The page for what happened, never an error.
            if submitting and (done := _already_submitted(request, slug)):
                return done
            messages.error(request, exc.message)
            return redirect("awards:application", pk=application.pk)
        if not submitting:
            messages.success(request, "Your declarations have been saved.")
            return redirect("awards:apply", slug=slug)
        try:
            submitted = services.application_submit(application=application, user=request.user)
        except services.ApplicationError as exc:
            submit_error = exc.message
            submit_problems = exc.problems
        else:
            return redirect("awards:submitted", pk=submitted.pk)
    application = selectors.application_for_summary(application.pk)
    context = progress_context(application)
    context.update(_summary_context(application))
    context.update(
        {
            "outstanding": [p for p in context["problems"] if p.section != "check"],
            "section": rules.SECTION_BY_SLUG["check"],
            "number": 6,
            "form": form,
            "submit_error": submit_error,
            "submit_problems": submit_problems,
            "errors": error_links(form) if form.is_bound else [],
        }
    )
    return render(request, "awards/check_answers.html", context, status=400 if submit_error else 200)


class _Refused(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _viewable(request, pk) -> tuple[Application, Role]:
    """The application as the requester's role may see it, after the one access policy said yes.

    Raises Http404 for anyone without a role, `_Refused` (carrying the two-factor step) for a role whose
    sign-in is too weak; a signed-out visitor is sent to sign in before anything is looked up.
    """
    if (signed_out := signed_out_refusal(request)) is not None:
        raise _Refused(signed_out)
    try:
        application = selectors.application_for_summary(pk)
    except Application.DoesNotExist:
        raise Http404 from None
    decision = application_access(request, application)
    if not decision:
        raise _Refused(access_refusal(request=request, decision=decision))
    return application_for_role(application, decision.role), decision.role


def _refusable(view):
    """Turn `_Refused` into its response, so each view reads as the happy path."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Refused as refused:
            return refused.response

    return wrapper


def _detail_context(application) -> dict:
    context = {"application": application, "call": application.call, **_summary_context(application)}
    if application.submitted_at:
        context["submitted"] = rules.format_uk(application.submitted_at)
    context["deadline"] = rules.format_uk(application.deadline)
    return context


@_refusable
def application_detail(request, pk):
    application, _role = _viewable(request, pk)
    context = _detail_context(application)
    context["can_withdraw"] = rules.application_can_withdraw(request.user, application)[0]
    return render(request, "awards/application_detail.html", context)


@_refusable
def application_print(request, pk):
    application, _role = _viewable(request, pk)
    return render(request, "awards/application_print.html", _detail_context(application))


@_refusable
def application_submitted(request, pk):
    application, role = _viewable(request, pk)
    if role is not Role.OWNER or not application.reference:
        raise Http404
    return render(request, "awards/submitted.html", _detail_context(application))


@applicant_required
@_refusable
def application_withdraw(request, pk):
    application, _role = _viewable(request, pk)
    if application.status == Application.Status.WITHDRAWN and application.applicant_id == request.user.pk:
        messages.info(request, "This application was already withdrawn.")  # a repeated "Withdraw"
        return redirect("awards:my_applications")
    allowed, reason = rules.application_can_withdraw(request.user, application)
    if not allowed:
        messages.error(request, reason)
        return redirect("awards:application", pk=pk)
    if request.method == "POST":
        # A repeat sent at the same moment finds it withdrawn under the lock and gets it back, not an error.
        try:
            services.application_withdraw(application=application, user=request.user)
        except services.ApplicationError as exc:  # it moved on meanwhile (a decision was made)
            messages.error(request, exc.message)
            return redirect("awards:application", pk=pk)
        messages.success(request, "Your application has been withdrawn.")
        return redirect("awards:my_applications")
    return render(request, "awards/withdraw.html", _detail_context(application))


@applicant_required
def my_applications(request):
    rows = [
        {"application": a, "deadline": rules.format_uk(a.deadline)} for a in selectors.applications_of(request.user)
    ]
    return render(request, "awards/my_applications.html", {"rows": rows})
