from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import services
from .models import OutboundEmail, PriorityArea, Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ("interests",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "sector", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "profile__sector")
    search_fields = ("email", "profile__full_name", "profile__organisation")
    list_select_related = ("profile",)
    inlines = [ProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description="Name", ordering="profile__full_name")
    def full_name(self, obj):
        return getattr(getattr(obj, "profile", None), "full_name", "")

    @admin.display(description="Sector", ordering="profile__sector")
    def sector(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_sector_display() if profile else ""


@admin.register(PriorityArea)
class PriorityAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "created_at")
    search_fields = ("to", "subject", "idempotency_key")
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields if f.name != "id"]
    fieldsets = (
        (None, {"fields": ("to", "user", "subject", "status", "attempts", "last_error")}),
        ("Timing", {"fields": ("created_at", "next_attempt_at", "claimed_at", "sent_at")}),
        ("Content", {"fields": ("body_text", "body_html", "attachments")}),
        ("Technical", {"classes": ("collapse",), "fields": ("idempotency_key", "message_id")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Resend selected failed emails", permissions=["change"])
    def resend(self, request, queryset):
        count = services.email_resend(emails=queryset)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} failed email(s) queued to send again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} email(s) were not failed and were left alone.", messages.WARNING)
