"""Applications for programme staff: the ranked, filterable list, the readable application with its history,
status moves (single and bulk, with a confirmation and the outcome email previewed), exports, and the audit list.

Every move goes through `awards.workflow`; this module only asks, shows and reports.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from crossector.core.access import Role
from crossector.core.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, attachment
from crossector.core.labels import LabelledFormMixin
from crossector.core.models import PriorityArea
from crossector.core.money import MoneyFormField, format_pounds
from crossector.core.text import TextRuleMixin
from crossector.core.vocabulary import Sector

from .. import exports, outcomes, rules, selectors, services, workflow
from ..access import application_for_role
from ..models import (
    MAX_AWARD,
    Application,
    ApplicationEvent,
    Document,
    PartnerOrganisation,
    ReviewerAssignment,
    SignatoryRequest,
)
from ..review.forms import AssignOneReviewerForm
from ..review.services import REVIEWABLE_STATUSES

Status = Application.Status


# --- List filters --------------------------------------------------------------------------------------------


class PartnerSectorFilter(admin.SimpleListFilter):
    title = "partner sector"
    parameter_name = "partner_sector"

    def lookups(self, request, model_admin):
        return Sector.choices

    def queryset(self, request, queryset):
        if self.value():
            partners = PartnerOrganisation.objects.filter(application=OuterRef("pk"), sector=self.value())
            return queryset.filter(Exists(partners))  # Exists, not a join: no duplicate rows, no DISTINCT
        return queryset


class PriorityAreaFilter(admin.SimpleListFilter):
    title = "priority area"
    parameter_name = "priority_area"

    def lookups(self, request, model_admin):
        return list(PriorityArea.objects.order_by("name").values_list("slug", "name"))

    def queryset(self, request, queryset):
        if self.value():
            through = Application.priority_areas.through.objects.filter(
                application=OuterRef("pk"), priorityarea__slug=self.value()
            )
            return queryset.filter(Exists(through))
        return queryset


# --- Forms ---------------------------------------------------------------------------------------------------


class TransitionForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    to_status = forms.ChoiceField(
        label="Move to",
        choices=Status.choices,
        error_messages={"required": "Choose where to move the application: press one of the buttons."},
    )
    note = forms.CharField(
        label="Note for the history (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    awarded_amount = MoneyFormField(
        label="Amount awarded (optional)",
        required=False,
        max_value=MAX_AWARD,
        what="the amount awarded",
        help_text="In pounds. Leave empty to award the amount requested.",
    )


class BulkNoteForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    note = forms.CharField(
        label="Note for each application's history (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- Bulk moves ----------------------------------------------------------------------------------------------

BULK_TARGETS = (
    (Status.ELIGIBLE, "Mark eligible"),
    (Status.INELIGIBLE, "Mark ineligible (emails the applicants)"),
    (Status.UNDER_REVIEW, "Send to review"),
    (Status.SHORTLISTED, "Shortlist"),
    (Status.AWARDED, "Award the amount requested (emails the applicants)"),
    (Status.NOT_AWARDED, "Mark not awarded (emails the applicants)"),
    (Status.WITHDRAWN, "Withdraw (at the applicant's request)"),
)


def _bulk_action(target: str, description: str):
    def action(modeladmin, request, queryset):
        return modeladmin.bulk_transition(request, queryset, target)

    action.__name__ = f"move_to_{target}"
    return admin.action(description=f"{description}…", permissions=["change"])(action)


# --- The applications admin --------------------------------------------------------------------------------


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "reference_display",
        "applicant_name",
        "sectors",
        "priority_area_names",
        "amount_requested_display",
        "status",
        "submitted_at",
        "review_count_display",
        "mean_score_display",
        "score_spread_display",
    ]
    list_display_links = ["reference_display"]
    list_filter = [
        "call",
        "status",
        ("organisation_sector", admin.ChoicesFieldListFilter),
        PartnerSectorFilter,
        PriorityAreaFilter,
        "region",
    ]
    search_fields = ["reference", "applicant__profile__full_name", "applicant__email", "organisation", "title"]
    search_help_text = "Reference, applicant name or email, employing or partner organisation, title."
    ordering = [F("submitted_at").desc(nulls_last=True), "-pk"]
    list_per_page = 100
    # A filtered list would count every application a second time for "N results (M total)": at 100,000
    # applications that is 18 ms per page view. The admin shows "Show all" instead.
    show_full_result_count = False
    actions = [*(_bulk_action(target, label) for target, label in BULK_TARGETS), "export_csv", "export_xlsx"]
    readonly_fields = []
    change_form_template = "admin/awards/application/change_form.html"
    change_list_template = "admin/awards/application/change_list.html"

    # The list --------------------------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.applications_for_staff()

    def changelist_view(self, request, extra_context=None):
        # The widest list in the admin: without the app sidebar every key column (status, submitted, reviews,
        # mean score, spread) fits a 1280 px window beside the filters. Breadcrumbs still lead back.
        return super().changelist_view(request, {**(extra_context or {}), "is_nav_sidebar_enabled": False})

    def get_search_results(self, request, queryset, search_term):
        """Also finds applications by a partner organisation's name, through Exists (no duplicate rows)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            partners = PartnerOrganisation.objects.filter(application=OuterRef("pk"), name__icontains=term)
            found = found | queryset.filter(Exists(partners))
        return found, may_have_duplicates

    @admin.display(description="reference", ordering="reference")
    def reference_display(self, obj):
        return obj.reference or f"Draft {obj.pk}"

    @admin.display(description="applicant", ordering="applicant__profile__full_name")
    def applicant_name(self, obj):
        return obj.applicant.get_full_name()

    @admin.display(description="employing → partner sector")
    def sectors(self, obj):
        partner = ", ".join(p.get_sector_display() for p in obj.partners.all()) or "no partner"
        return f"{obj.get_organisation_sector_display() or 'not given'} → {partner}"

    @admin.display(description="priority areas")
    def priority_area_names(self, obj):
        return "; ".join(area.name for area in obj.priority_areas.all())

    @admin.display(description="requested (£)", ordering="amount_requested")
    def amount_requested_display(self, obj):
        return format_pounds(obj.amount_requested)

    @admin.display(description="reviews", ordering="review_count")
    def review_count_display(self, obj):
        return obj.review_count

    @admin.display(description="mean score", ordering=F("mean_score").desc(nulls_last=True))
    def mean_score_display(self, obj):
        return "–" if obj.mean_score is None else f"{obj.mean_score:.2f}"

    @admin.display(description="spread", ordering="score_spread")
    def score_spread_display(self, obj):
        return "–" if obj.score_spread is None else f"{obj.score_spread:.2f}"

    # The application page -------------------------------------------------------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        # Submitted content is the applicant's record; staff may only give a draft an extension.
        return ["extension_until"] if obj is not None and obj.is_draft else []

    def get_fieldsets(self, request, obj=None):
        fields = self.get_fields(request, obj)
        return [(None, {"fields": fields})] if fields else []

    def get_inlines(self, request, obj):
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return super().change_view(request, object_id, form_url, extra_context)
        editable = obj.is_draft and self.has_change_permission(request, obj)
        context = {
            **self._page_context(request, obj),
            **(extra_context or {}),  # after: a refused reviewer assignment shows its bound form (reviews.py)
            "editable": editable,
            "show_save": editable,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def _page_context(self, request, obj) -> dict:
        assignments = (
            ReviewerAssignment.objects.filter(application=obj)
            .select_related("reviewer__profile", "review")
            .order_by("assigned_at", "pk")
        )
        history = obj.events.select_related("actor__profile").order_by("created_at", "pk")
        moves = workflow.next_transitions(application=obj, actor=request.user)
        may_assign = obj.status in REVIEWABLE_STATUSES and self.has_change_permission(request, obj)
        return {
            "assign_form": AssignOneReviewerForm(application=obj) if may_assign else None,
            "assign_url": reverse("admin:awards_application_assign_reviewer", args=[obj.pk]),
            "application": application_for_role(obj, Role.STAFF),  # the staff column of the one field rule
            "call": obj.call,
            "assignments": assignments,
            "history": history,
            "transitions": moves,
            "forward_moves": [t for t in moves if t.target not in workflow.DESTRUCTIVE],
            "destructive_moves": [t for t in moves if t.target in workflow.DESTRUCTIVE],
            "transition_form": TransitionForm(),
            "transition_url": reverse("admin:awards_application_transition", args=[obj.pk]),
            "submitted": rules.format_uk(obj.submitted_at) if obj.submitted_at else "",
            "outcome_statuses": workflow.OUTCOMES,
        }

    # Single moves ---------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export.csv", wrap(self.export_view), {"fmt": "csv"}, name="awards_application_export_csv"),
            path("export.xlsx", wrap(self.export_view), {"fmt": "xlsx"}, name="awards_application_export_xlsx"),
            path("<int:object_id>/transition/", wrap(self.transition_view), name="awards_application_transition"),
            path(
                "<int:object_id>/assign-reviewer/",
                wrap(self.assign_reviewer_view),
                name="awards_application_assign_reviewer",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id):
        """POST from the application page. Outcome moves show the email first and act only on confirm."""
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:awards_application_change", args=[obj.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            return self._transition_page(request, obj, form, error="Please correct the errors below.")
        to_status = form.cleaned_data["to_status"]
        allowed, reason = workflow.transition_check(application=obj, to_status=to_status, actor=request.user)
        if not allowed:
            # Already there: a repeat of a move that happened (a double-click, two staff), so not an error.
            level = messages.INFO if obj.status == to_status else messages.ERROR
            messages.add_message(request, level, f"{obj}: {reason}")
            return HttpResponseRedirect(change_url)
        if to_status in workflow.CONFIRM_FIRST and "confirm" not in request.POST:
            return self._transition_page(request, obj, form)
        try:
            workflow.application_transition(
                application=obj,
                to_status=to_status,
                actor=request.user,
                note=form.cleaned_data["note"],
                awarded_amount=form.cleaned_data["awarded_amount"],
            )
        except workflow.TransitionAlreadyMade as exc:  # a repeat sent at the same moment lost the race
            messages.info(request, exc.message)
            return HttpResponseRedirect(change_url)
        except workflow.TransitionError as exc:
            return self._transition_page(request, obj, form, error=exc.message)
        label = Status(to_status).label.lower()
        told = " The applicant's email is in the outbox." if to_status in workflow.OUTCOMES else ""
        messages.success(request, f"{obj} is now {label}.{told}")
        return HttpResponseRedirect(change_url)

    def assign_reviewer_view(self, request, object_id):
        """POST from the application page: one reviewer, through `reviewer_assign` (its checks and email)."""
        from .reviews import assign_one_reviewer

        return assign_one_reviewer(self, request, object_id)

    def _transition_page(self, request, obj, form, error=""):
        to_status = form.data.get("to_status", "")
        preview, preview_error, amount_error = None, "", ""
        amount = form.cleaned_data.get("awarded_amount") if form.is_valid() else None
        if to_status == Status.AWARDED and "awarded_amount" in form.errors:
            amount_error, error = " ".join(form.errors["awarded_amount"]), ""  # not the requested amount instead
        elif to_status == Status.AWARDED and form.is_valid():
            allowed, reason = workflow.award_amount_check(application=obj, amount=amount)
            if not allowed:  # refused at the preview: no email offering more than the call can pay is shown
                amount_error, error = reason, ""  # one message, said once
                form.add_error("awarded_amount", reason)
        if to_status in workflow.OUTCOMES and not amount_error:
            try:
                preview = outcomes.outcome_email_preview(application=obj, outcome=to_status, awarded_amount=amount)
            except outcomes.OutcomeTemplateError as exc:
                preview_error = exc.message
        if to_status == Status.AWARDED and not form.data.get("awarded_amount") and not amount_error:
            form = TransitionForm(
                initial={
                    "to_status": to_status,
                    "note": form.data.get("note", ""),
                    "awarded_amount": workflow.amount_requested(obj),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{obj}: move to {Status(to_status).label.lower() if to_status in Status.values else '…'}",
            "application": obj,
            "form": form,
            "to_status": to_status,
            "to_label": Status(to_status).label if to_status in Status.values else to_status,
            "preview": preview,
            "preview_error": preview_error,
            "amount_error": amount_error,
            "error": error,
            "is_award": to_status == Status.AWARDED,
            "is_destructive": to_status in workflow.DESTRUCTIVE,
            "change_url": reverse("admin:awards_application_change", args=[obj.pk]),
            "transition_url": reverse("admin:awards_application_transition", args=[obj.pk]),
        }
        status = 400 if error or preview_error or amount_error else 200
        return TemplateResponse(request, "admin/awards/application/transition_confirm.html", context, status=status)

    # Bulk moves -------------------------------------------------------------------------------

    def bulk_transition(self, request, queryset, to_status):
        """The confirmation page (who moves, who cannot and why, the email) and, on confirm, the move."""
        applications = list(queryset.order_by("reference", "pk"))
        form = BulkNoteForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            result = workflow.applications_transition_bulk(
                applications=applications, to_status=to_status, actor=request.user, note=form.cleaned_data["note"]
            )
            label = Status(to_status).label.lower()
            if result.moved:
                emailed = " Their applicants' emails are in the outbox." if to_status in workflow.OUTCOMES else ""
                self.message_user(request, f"{len(result.moved)} application(s) moved to {label}.{emailed}")
            if result.refused:
                reasons = "; ".join(f"{a}: {reason}" for a, reason in result.refused)
                self.message_user(
                    request, f"{len(result.refused)} could not move to {label}: {reasons}", messages.WARNING
                )
            return None
        plan = workflow.applications_transition_plan(applications=applications, to_status=to_status, actor=request.user)
        preview, preview_error = None, ""
        if to_status in workflow.OUTCOMES and plan.moved:
            templates = outcomes.outcome_templates_for({a.call_id for a in plan.moved})
            try:
                preview = outcomes.outcome_email_preview(
                    application=plan.moved[0], outcome=to_status, templates=templates
                )
            except outcomes.OutcomeTemplateError as exc:
                preview_error = exc.message
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Move {len(applications)} application(s) to {Status(to_status).label.lower()}",
            "to_label": Status(to_status).label,
            "action_name": request.POST.get("action", f"move_to_{to_status}"),
            "plan": plan,
            "preview": preview,
            "preview_error": preview_error,
            "preview_application": plan.moved[0] if plan.moved else None,
            "calls": sorted({a.call.name for a in plan.moved}),
            "form": form,
            "selected": [a.pk for a in applications],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "is_outcome": to_status in workflow.OUTCOMES,
        }
        return TemplateResponse(request, "admin/awards/application/bulk_confirm.html", context)

    # Exports --------------------------------------------------------------------------------

    def _export_response(self, queryset, fmt: str) -> HttpResponse:
        stamp = timezone.localtime(timezone.now(), rules.UK).strftime("%Y-%m-%d-%H%M")
        filename = f"applications-{stamp}.{fmt}"
        if fmt == "xlsx":
            return attachment(exports.applications_xlsx(queryset), filename=filename, content_type=XLSX_CONTENT_TYPE)
        return attachment(exports.applications_csv(queryset), filename=filename, content_type=CSV_CONTENT_TYPE)

    def export_view(self, request, fmt):
        """The list as filtered, searched and sorted on screen, every page of it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._export_response(changelist.get_queryset(request), fmt)

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export_response(queryset, "csv")

    @admin.action(description="Export selected as Excel", permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export_response(queryset, "xlsx")


# --- The audit history ---------------------------------------------------------------------------------------


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(admin.ModelAdmin):
    """Read-only: rows are written only by the services that make the change."""

    list_display = ["created_at", "application_link", "kind", "actor", "change", "note"]
    list_filter = ["kind", ("actor", admin.RelatedOnlyFieldListFilter), "application__call"]
    search_fields = ["application__reference", "note", "actor__email"]
    list_select_related = ["application", "actor"]
    date_hierarchy = "created_at"
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="application", ordering="application__reference")
    def application_link(self, obj):
        url = reverse("admin:awards_application_change", args=[obj.application_id])
        return format_html('<a href="{}">{}</a>', url, obj.application)

    @admin.display(description="from → to")
    def change(self, obj):
        if obj.from_status or obj.to_status:
            return f"{obj.get_from_status_display() or '–'} → {obj.get_to_status_display() or '–'}"
        return ""


# --- Documents and signatory requests -------------------------------------------------------------------------


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["application", "kind", "original_name", "size", "uploaded_at", "uploaded_by_signatory"]
    list_filter = ["kind", "uploaded_by_signatory"]
    list_select_related = ["application"]
    readonly_fields = ["application", "kind", "file", "original_name", "size", "uploaded_at", "uploaded_by_signatory"]
    search_fields = ["application__reference", "original_name"]

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        services.documents_delete(queryset=Document.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.documents_delete(queryset=queryset)


@admin.register(SignatoryRequest)
class SignatoryRequestAdmin(admin.ModelAdmin):
    list_display = ["application", "kind", "signatory_name", "signatory_email", "state", "expires_at"]
    list_filter = ["kind"]
    list_select_related = ["application"]
    exclude = ["token_hash"]
    readonly_fields = [
        "application",
        "kind",
        "signatory_name",
        "signatory_email",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]

    def has_add_permission(self, request):
        return False
