"""The application's task list and its section pages."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from .. import rules, selectors, services
from ..decorators import applicant_required
from ..forms import ProposalForm, TimingForm, YouForm, cost_formset, error_links, partner_formset
from ..models import AwardCall
from ..stash import stash_merge, stash_pop

FORM_SECTIONS = ("you", "partners", "proposal", "costs")
FIRST_ROW_FIELD = {"partners": "name", "costs": "category"}  # where a summary link about the rows points


def progress_context(application) -> dict:
    problems = rules.application_problems(application)
    statuses = rules.section_status(problems, application)
    return {
        "application": application,
        "call": application.call,
        "problems": problems,
        "sections": [
            {"slug": s.slug, "title": s.title, "status": statuses[s.slug], "number": i}
            for i, s in enumerate(rules.SECTIONS, start=1)
        ],
        "complete_count": sum(1 for v in statuses.values() if v == "complete"),
        "section_total": len(rules.SECTIONS),
        "deadline": rules.format_uk(application.deadline),
    }


def load_draft(request, slug):
    """(application, None) for the signed-in applicant's draft, or (None, redirect) to where they belong."""
    call = get_object_or_404(AwardCall, slug=slug)
    application = selectors.application_for_user(call=call, user=request.user)
    if application is None:
        return None, redirect("awards:apply", slug=slug)
    if not application.is_draft:
        messages.error(request, rules.application_can_edit(request.user, application)[1])
        return None, redirect("awards:application", pk=application.pk)
    return application, None


@applicant_required
def task_list(request, slug):
    call = get_object_or_404(AwardCall, slug=slug)
    application = selectors.application_for_user(call=call, user=request.user)
    if application is None:
        if request.method == "POST":
            try:
                services.application_start(call=call, user=request.user)
            except services.ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect(call)
            return redirect("awards:apply", slug=slug)
        allowed, why_not = selectors.call_can_apply(user=request.user, call=call)
        return render(
            request,
            "awards/start.html",
            {"call": call, "allowed": allowed, "why_not": why_not, "deadline": rules.format_uk(call.closes_at)},
        )
    if not application.is_draft:
        return redirect("awards:application", pk=application.pk)
    return render(request, "awards/task_list.html", progress_context(application))


def _build(section, application, data, add):
    """(form, formset) for a section page."""
    if section == "you":
        return YouForm(data, instance=application), None
    if section == "partners":
        return None, partner_formset(application, data, add=add)
    if section == "proposal":
        return ProposalForm(data, instance=application), None
    return TimingForm(data, instance=application), cost_formset(application, data, add=add)


def _as_data(form, formset) -> MultiValueDict:
    """What the page shows for the draft now, as posted data: the base a restored stash is laid over."""
    data = MultiValueDict()
    members = [form] if form is not None else []
    if formset is not None:
        members += [formset.management_form, *formset.forms]
    for member in members:
        for field in member:
            value = field.value()
            widget = field.field.widget
            if isinstance(widget, forms.MultiWidget):  # day, month and year boxes: one posted name each
                parts = value if isinstance(value, list | tuple) else widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=False):
                    data[field.html_name + suffix] = "" if part is None else str(part)
            elif isinstance(value, list | tuple):
                data.setlist(field.html_name, [str(v) for v in value])
            else:
                data[field.html_name] = "" if value is None else value
    return data


def _values(form) -> dict:
    if form is None:
        return {}
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@applicant_required
def section_edit(request, slug, section):
    if section not in FORM_SECTIONS:
        return redirect("awards:apply", slug=slug)
    application, elsewhere = load_draft(request, slug)
    if elsewhere:
        return elsewhere
    # On a POST only the button pressed counts: the page after "Save and add another" is at ?add=1, and its
    # form posts back there, so reading the query string too sent "Save and continue" round in a loop.
    add = "add" in request.POST if request.method == "POST" else "add" in request.GET
    restored = stash_pop(request) if request.method == "GET" else None
    if restored is not None:
        messages.info(request, "Your session had expired, so we kept what you typed. Check it and save.")
        # Only the fields the stash carries change; every other field keeps the draft's value.
        restored = stash_merge(current=_as_data(*_build(section, application, None, add=False)), stashed=restored)
    data = request.POST if request.method == "POST" else restored
    form, formset = _build(section, application, data, add=False)
    stale = None
    if request.method == "POST" and all(x.is_valid() for x in (form, formset) if x is not None):
        try:
            services.application_save_section(
                application=application,
                user=request.user,
                section=section,
                values=_values(form),
                rows=formset.rows() if formset is not None else None,
                rows_version=request.POST.get("rows_version") if formset is not None else None,
            )
        except services.SectionChanged as exc:
            stale = exc.message  # shown with what they typed; the page now carries the current version
    if request.method == "POST" and stale is None and all(x.is_valid() for x in (form, formset) if x is not None):
        messages.success(request, "Your answers have been saved.")
        if add:
            return redirect(reverse("awards:section", args=[slug, section]) + "?add=1")
        if "return" in request.POST:
            return redirect("awards:apply", slug=slug)
        following = rules.SECTIONS[[s.slug for s in rules.SECTIONS].index(section) + 1].slug
        return redirect(_section_url(slug, following))
    if request.method == "GET" and add and restored is None:
        form, formset = _build(section, application, None, add=True)
    context = progress_context(application)
    context.update(
        {
            "section": rules.SECTION_BY_SLUG[section],
            "form": form,
            "formset": formset,
            "errors": ([{"href": f"#id_{section}-0-{FIRST_ROW_FIELD[section]}", "text": stale}] if stale else [])
            + (error_links(form, formset) if data is not None else []),
            "rows_version": services.section_rows_version(application=application, section=section)
            if formset is not None
            else "",
            "number": [s.slug for s in rules.SECTIONS].index(section) + 1,
            "total": rules.costs_total(c.amount for c in application.cost_lines.all()),
            "word_limits": rules.WORD_LIMITS,
        }
    )
    return render(request, f"awards/section_{section}.html", context, status=409 if stale else 200)


def _section_url(slug, section):
    if section == "documents":
        return reverse("awards:documents", args=[slug])
    if section == "check":
        return reverse("awards:check", args=[slug])
    return reverse("awards:section", args=[slug, section])
