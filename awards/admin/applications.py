"""Modest admin for programme staff: calls with their FAQ, applications (read-only once submitted),
documents and signatory requests. Issue 5 adds the review workflow."""

from django.contrib import admin
from django.utils.html import format_html

from ..models import (
    Application,
    CostLine,
    Document,
    PartnerOrganisation,
    ReviewerAssignment,
    SignatoryRequest,
)


class PartnerInline(admin.TabularInline):
    model = PartnerOrganisation
    extra = 0


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = ["kind", "link", "size", "uploaded_at", "uploaded_by_signatory"]
    readonly_fields = fields

    @admin.display(description="file")
    def link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name) if obj.pk else ""


class ReviewerInline(admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    autocomplete_fields = ["reviewer"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "call", "applicant", "status", "submitted_at", "extension_until"]
    list_filter = ["call", "status"]
    search_fields = ["reference", "applicant__email", "title", "organisation"]
    list_select_related = ["call", "applicant"]
    inlines = [PartnerInline, CostLineInline, DocumentInline, ReviewerInline]
    readonly_fields = ["reference", "submitted_at", "withdrawn_at", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            # Submitted applications are the applicant's record: staff may only assign reviewers.
            return [f.name for f in self.model._meta.fields if f.name != "id"] + ["priority_areas"]
        return self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["application", "kind", "original_name", "size", "uploaded_at", "uploaded_by_signatory"]
    list_filter = ["kind", "uploaded_by_signatory"]
    readonly_fields = ["application", "kind", "file", "original_name", "size", "uploaded_at", "uploaded_by_signatory"]
    search_fields = ["application__reference", "original_name"]

    def has_add_permission(self, request):
        return False


@admin.register(SignatoryRequest)
class SignatoryRequestAdmin(admin.ModelAdmin):
    list_display = ["application", "kind", "signatory_name", "signatory_email", "state", "expires_at"]
    list_filter = ["kind"]
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
