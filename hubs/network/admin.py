from django.contrib import admin, messages

from . import services
from .models import AbuseReport, Block, ConnectionRequest


@admin.register(AbuseReport)
class AbuseReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reported", "reporter", "status", "handled_by", "handled_at")
    list_filter = ("status",)
    search_fields = ("reported__email", "reporter__email", "reported__profile__full_name", "reason")
    readonly_fields = (
        "reporter",
        "reported",
        "connection_request",
        "reason",
        "created_at",
        "handled_at",
        "handled_by",
        "status",
    )
    fields = (
        "status",
        "reported",
        "reporter",
        "reason",
        "connection_request",
        "created_at",
        "handled_by",
        "handled_at",
        "staff_notes",
    )
    actions = ["mark_handled"]
    list_select_related = ("reported", "reporter", "handled_by")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark the selected reports as handled")
    def mark_handled(self, request, queryset):
        count = services.abuse_reports_mark_handled(reports=queryset, by=request.user)
        self.message_user(request, f"{count} report(s) marked as handled.", messages.SUCCESS)


@admin.register(ConnectionRequest)
class ConnectionRequestAdmin(admin.ModelAdmin):
    """Read-only record, for staff looking into a report."""

    list_display = ("created_at", "sender", "recipient", "status", "responded_at")
    list_filter = ("status",)
    search_fields = ("sender__email", "recipient__email")
    list_select_related = ("sender", "recipient")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("created_at", "blocker", "blocked")
    search_fields = ("blocker__email", "blocked__email")
    list_select_related = ("blocker", "blocked")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
