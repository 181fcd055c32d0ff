"""Calls in the admin: dates, FAQ, "tell me when it opens" requests, and each call's outcome email wording."""

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from crossector.core.text import TextRuleMixin

from .. import outcomes, rules
from ..models import Application, AwardCall, CallFAQ, CallOpenNoticeRequest, OutcomeEmailTemplate


class CallFAQInline(admin.TabularInline):
    model = CallFAQ
    extra = 1


@admin.register(AwardCall)
class AwardCallAdmin(admin.ModelAdmin):
    list_display = ["name", "opens_uk", "closes_uk", "state", "max_award", "restricted_to_hub"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["priority_areas"]
    inlines = [CallFAQInline]
    search_fields = ["name"]
    readonly_fields = ["outcome_emails"]

    @admin.display(description="opens (UK time)")
    def opens_uk(self, obj):
        return rules.format_uk(obj.opens_at)

    @admin.display(description="deadline (UK time)")
    def closes_uk(self, obj):
        return rules.format_uk(obj.closes_at)

    @admin.display(description="state")
    def state(self, obj):
        return obj.state()

    @admin.display(description="outcome emails")
    def outcome_emails(self, obj):
        if not obj.pk:
            return "Save the call first; then write its outcome emails or keep the default wording."
        own = {t.outcome: t for t in obj.outcome_templates.all()}
        rows = []
        for outcome, label in OutcomeEmailTemplate.Outcome.choices:
            if outcome in own:
                url = reverse("admin:awards_outcomeemailtemplate_change", args=[own[outcome].pk])
                rows.append((label, "this call's own wording", url, "Edit and preview"))
            else:
                url = reverse("admin:awards_outcomeemailtemplate_add") + f"?call={obj.pk}&outcome={outcome}"
                rows.append((label, "the default wording", url, "Write this call's own"))
        return format_html("<ul>{}</ul>", format_html_join("", '<li>{}: {} (<a href="{}">{}</a>)</li>', rows))


@admin.register(CallOpenNoticeRequest)
class CallOpenNoticeRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "notified_call", "notified_at"]


class OutcomeEmailTemplateForm(TextRuleMixin, forms.ModelForm):
    class Meta:
        model = OutcomeEmailTemplate
        fields = ["call", "outcome", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "cols": 90})}

    def clean(self):
        cleaned = super().clean()
        subject, body = cleaned.get("subject"), cleaned.get("body")
        if subject and body and (problem := outcomes.wording_problem(subject=subject, body=body)):
            self.add_error("subject" if problem.startswith("The subject") else "body", problem)
        return cleaned


@admin.register(OutcomeEmailTemplate)
class OutcomeEmailTemplateAdmin(admin.ModelAdmin):
    """Per-call wording of the ineligible / awarded / not awarded emails, checked on save and previewed."""

    form = OutcomeEmailTemplateForm
    list_display = ["call", "outcome", "subject", "updated_at"]
    list_filter = ["outcome", "call"]
    list_select_related = ["call"]
    readonly_fields = ["placeholders", "preview"]
    fieldsets = [
        (None, {"fields": ["call", "outcome", "subject", "body", "placeholders"]}),
        ("Preview", {"fields": ["preview"], "description": "Save and continue editing to refresh the preview."}),
    ]

    def get_changeform_initial_data(self, request):
        """Adding wording starts from the default text for the chosen outcome."""
        initial = super().get_changeform_initial_data(request)
        outcome = initial.get("outcome")
        if outcome in OutcomeEmailTemplate.Outcome.values:
            default = outcomes.default_wording(outcome)
            initial.setdefault("subject", default.subject)
            initial.setdefault("body", default.body)
        return initial

    @admin.display(description="you can use")
    def placeholders(self, obj):
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><code>{{{{ {} }}}}</code>: {}</li>", outcomes.CONTEXT_VARIABLES.items()),
        )

    @admin.display(description="the email")
    def preview(self, obj):
        if not obj or not obj.pk:
            return "Save to see the email filled in for an application of this call."
        sample = (
            Application.objects.filter(call=obj.call, submitted_at__isnull=False)
            .select_related("call", "applicant__profile")
            .order_by("-submitted_at")
            .first()
        )
        try:
            if sample is not None:
                rendered = outcomes.outcome_email_preview(application=sample, outcome=obj.outcome)
                source = f"Filled in for {sample} ({sample.applicant.get_full_name()})."
            else:
                context = outcomes.sample_context()
                rendered = outcomes.outcome_render(subject=obj.subject, body=obj.body, context=context)
                source = "Filled in with sample values: this call has no submitted application yet."
        except outcomes.OutcomeTemplateError as exc:
            return format_html('<p class="refused-reason">{}</p>', exc.message)
        html = render_to_string("admin/awards/includes/email_preview.html", {"email": rendered, "source": source})
        return mark_safe(html)  # noqa: S308 - the template autoescapes every value
