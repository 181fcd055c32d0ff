"""Reviewers' admin: the applications assigned to them, their reviews and conflicts; assigning reviewers;
criteria per call; the ranked panel list.

Who sees what is decided in `awards.review.permissions` and `awards.review.selectors`; every write goes
through `awards.review.services`. This module only asks, shows and reports.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..forms import error_links
from ..models import Application, ApplicationToReview, AwardCall
from ..review import selectors, services
from ..review.forms import AssignOneReviewerForm, AssignReviewersForm, ConflictForm, ReviewForm
from ..review.models import ReviewCriterion, ReviewerAssignment
from ..review.permissions import can_open_review_admin, is_programme_staff
from ..rules import format_uk
from .applications import ApplicationAdmin
from .calls import AwardCallAdmin

# --- Criteria, edited on the call --------------------------------------------------------------------------


class ReviewCriterionInline(admin.TabularInline):
    """A call's criteria. One that has been scored cannot be deleted (the admin says why)."""

    model = ReviewCriterion
    extra = 0
    fields = ["order", "title", "description"]
    verbose_name_plural = "review criteria (scored 1–5 by each reviewer; the four defaults are added when empty)"


AwardCallAdmin.inlines = [*AwardCallAdmin.inlines, ReviewCriterionInline]


# --- Staff: "Assign reviewers" on the application list ---------------------------------------------------


def _plan_rows(plan, applications):
    by_app = {a.pk: {"application": a, "planned": [], "flagged": [], "short": ""} for a in applications}
    for application, reviewer in plan.planned:
        by_app[application.pk]["planned"].append(reviewer)
    for application, reviewer, reason in plan.flagged:
        by_app[application.pk]["flagged"].append((reviewer, reason))
    for application, reason in plan.short:
        by_app[application.pk]["short"] = reason
    return list(by_app.values())


@admin.action(description="Assign reviewers", permissions=["change"])
def assign_reviewers(modeladmin, request, queryset):
    """Choose reviewers and N, preview the plan with likely conflicts flagged, then confirm."""
    step = request.POST.get("_assign_step")
    form = AssignReviewersForm(request.POST if step else None)
    selected = list(Application.objects.filter(pk__in=queryset.values("pk")).order_by("submitted_at", "pk"))
    plan = rows = None
    if step and form.is_valid():
        reviewers = list(form.cleaned_data["reviewers"])
        per_application = form.cleaned_data["per_application"]
        if step == "confirm":
            result = services.reviewers_assign_evenly(
                applications=selected, reviewers=reviewers, per_application=per_application, actor=request.user
            )
            count = len(result.assigned)
            modeladmin.message_user(
                request,
                f"{count} assignment{'s' if count != 1 else ''} made; each reviewer was emailed a link.",
                messages.SUCCESS,
            )
            for application, reason in result.not_assigned:
                prefix = f"{application}: " if application is not None else ""
                modeladmin.message_user(request, f"Not assigned: {prefix}{reason}", messages.WARNING)
            for application, reviewer, reason in result.flagged:
                modeladmin.message_user(
                    request, f"Skipped {reviewer.get_full_name() or reviewer} on {application}: {reason}", messages.INFO
                )
            return None
        plan = services.reviewers_assign_plan(
            applications=selected, reviewers=reviewers, per_application=per_application
        )
        rows = _plan_rows(plan, selected)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Assign reviewers to {len(selected)} application{'s' if len(selected) != 1 else ''}",
        "opts": modeladmin.model._meta,
        "form": form,
        "errors": error_links(form) if form.is_bound else [],
        "selected": selected,
        "plan": plan,
        "rows": rows,
        "loads": [(r, plan.loads.get(r.pk, 0)) for r in form.cleaned_data["reviewers"]] if plan else [],
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    status = 400 if form.is_bound and form.errors else 200
    return TemplateResponse(request, "admin/awards/review/assign_reviewers.html", context, status=status)


ApplicationAdmin.actions = [*(ApplicationAdmin.actions or []), assign_reviewers]


# --- Staff: one reviewer from the application page -----------------------------------------------------------


def assign_one_reviewer(modeladmin, request, object_id):
    """Assign the chosen reviewer through `services.reviewer_assign`, which refuses non-reviewers, the applicant,
    a second assignment, a closed application and (without an override and a note) a likely conflict. A
    refusal shows the application page again with the reason at the field and what was typed kept."""
    application = modeladmin.get_object(request, str(object_id))
    if application is None:
        raise Http404
    if not modeladmin.has_change_permission(request, application):
        raise PermissionDenied
    change_url = reverse("admin:awards_application_change", args=[application.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    form = AssignOneReviewerForm(request.POST, application=application)
    if form.is_valid():
        reviewer = form.cleaned_data["reviewer"]
        try:
            services.reviewer_assign(
                application=application,
                reviewer=reviewer,
                actor=request.user,
                override=form.cleaned_data["override"],
                note=form.cleaned_data["note"],
            )
        except services.ReviewError as exc:
            form.add_error("reviewer", exc.message)
        else:
            name = reviewer.get_full_name() or reviewer.email
            messages.success(request, f"{name} is assigned to {application} and was emailed a link to it.")
            return HttpResponseRedirect(change_url + "#app-reviews")
    request.method = "GET"  # show the page again (the admin's change view reads a POST as its own form)
    response = modeladmin.change_view(request, str(object_id), extra_context={"assign_form": form})
    response.status_code = 400
    return response


# --- Reviewers: the applications assigned to them --------------------------------------------------------


@admin.register(ApplicationToReview)
class ApplicationToReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title", "call", "sectors", "review_state"]
    list_display_links = ["__str__"]
    search_fields = ["reference", "title"]
    actions = ["declare_conflict"]
    change_list_template = "admin/awards/review/change_list.html"

    def get_queryset(self, request):
        return selectors.reviewer_queue(user=request.user, queryset=super().get_queryset(request))

    def has_module_permission(self, request):
        return can_open_review_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return can_open_review_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="employing sector → partner sectors")
    def sectors(self, obj):
        partners = ", ".join(p.get_sector_display() for p in obj.partners.all() if p.sector) or "no partner"
        return f"{obj.get_organisation_sector_display() or 'Not given'} → {partners}"

    @admin.display(description="your review")
    def review_state(self, obj):
        if obj.own_review_submitted_at:
            return f"Submitted {format_uk(obj.own_review_submitted_at)}"
        if obj.own_review_started:
            return "Draft saved"
        return "Not started"

    @admin.action(description="Declare a conflict of interest")
    def declare_conflict(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one application to declare a conflict on.", messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:awards_applicationtoreview_conflict", args=[queryset.get().pk]))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("panel/", wrap(self.panel_view), name="awards_applicationtoreview_panel"),
            path("<int:object_id>/conflict/", wrap(self.conflict_view), name="awards_applicationtoreview_conflict"),
            path("<int:object_id>/change/", wrap(self.change_view), name="awards_applicationtoreview_change"),
            path("", wrap(self.changelist_view), name="awards_applicationtoreview_changelist"),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "is_programme_staff": is_programme_staff(request.user)}
        return super().changelist_view(request, extra_context)

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The application as readable sections, the reviewer's own review form, and the other reviews once
        theirs is submitted. An application the user may not open is a 404, whoever asks."""
        page = selectors.review_page(application_id=int(object_id), user=request.user)
        if page is None:
            raise Http404("No application to review here.")
        can_write = page.assignment is not None and page.application.status in services.REVIEWABLE_STATUSES
        form = None
        if request.method == "POST":
            if not can_write:
                raise PermissionDenied
            submitting = "_submit" in request.POST or page.submitted
            form = ReviewForm(request.POST, criteria=page.criteria, submitting=submitting)
            if form.is_valid():
                try:
                    services.review_save(
                        assignment=page.assignment,
                        actor=request.user,
                        scores=form.scores(),
                        recommendation=form.cleaned_data["recommendation"],
                        comments=form.cleaned_data["comments"],
                        submit=submitting,
                    )
                except services.ReviewError as exc:
                    for name, message in exc.problems or [(None, exc.message)]:
                        form.add_error(name if name in form.fields else None, message)
                else:
                    done = "Your review has been submitted." if submitting else "Your draft has been saved."
                    if page.submitted:
                        done = "Your review has been updated."
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        elif can_write:
            initial = {f"score_{k}": str(v) for k, v in page.own_scores.items()}
            if page.review:
                initial.update(recommendation=page.review.recommendation, comments=page.review.comments)
            form = ReviewForm(initial=initial, criteria=page.criteria)
        errors = error_links(form) if form is not None and form.is_bound else []
        context = self._context(
            request,
            title=f"{page.application.reference}: {page.application.title}",
            page=page,
            form=form,
            errors=errors,
            staff_view=is_programme_staff(request.user),
        )
        return TemplateResponse(request, "admin/awards/review/review.html", context, status=400 if errors else 200)

    def conflict_view(self, request, object_id):
        """The reviewer declares a conflict: their access ends as soon as it is saved."""
        assignment = (
            ReviewerAssignment.objects.filter(application_id=object_id, reviewer=request.user)
            .select_related("application")
            .first()
        )
        if assignment is None or not can_open_review_admin(request.user):
            raise Http404("No application to review here.")
        if assignment.has_conflict:  # declared already: a repeat (double-click, second tab) is told so
            if request.method != "POST":
                raise Http404("No application to review here.")
            self.message_user(
                request, f"You had already declared a conflict of interest on {assignment.application}.", messages.INFO
            )
            return HttpResponseRedirect(reverse("admin:awards_applicationtoreview_changelist"))
        form = ConflictForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.conflict_declare(assignment=assignment, reason=form.cleaned_data["reason"], actor=request.user)
            self.message_user(
                request,
                f"You declared a conflict of interest on {assignment.application}. It has been taken off your list "
                "and programme staff have the reason.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:awards_applicationtoreview_changelist"))
        errors = error_links(form) if form.is_bound else []
        context = self._context(
            request,
            title=f"Declare a conflict of interest on {assignment.application}",  # one title per application
            application=assignment.application,
            form=form,
            errors=errors,
        )
        return TemplateResponse(request, "admin/awards/review/conflict.html", context, status=400 if errors else 200)

    def panel_view(self, request):
        """Staff only: a call's applications ranked by mean score."""
        if not is_programme_staff(request.user):
            raise PermissionDenied
        calls = list(AwardCall.objects.order_by("-closes_at"))
        chosen = request.GET.get("call", "")
        call = next((c for c in calls if str(c.pk) == chosen), None)
        if call is None and chosen:
            raise Http404("No such call.")
        call = call or next((c for c in calls if c.state() == "closed"), calls[0] if calls else None)
        criteria, rows = selectors.panel_list(call=call) if call else ([], [])
        title = f"Panel list: {call.name}" if call else "Panel list"  # each call's list is its own page
        context = self._context(request, title=title, calls=calls, call=call, criteria=criteria, rows=rows)
        return TemplateResponse(request, "admin/awards/review/panel.html", context)

    def history_view(self, request, object_id, extra_context=None):
        raise Http404

    def delete_view(self, request, object_id, extra_context=None):
        raise Http404
