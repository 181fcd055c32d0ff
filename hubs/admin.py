from django.contrib import admin
from django.db.models import Count

from crossector.core.models import User

from .models import Contact, Hub, HubFollow, Partner
from .permissions import ORGANISERS_GROUP, hubs_managed_by


class PartnerInline(admin.StackedInline):
    model = Partner
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "launched_on", "is_active", "followers")
    list_filter = ("is_active", "region")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organisers",)
    inlines = [PartnerInline, ContactInline]

    def get_queryset(self, request):
        return hubs_managed_by(request.user).annotate(follower_count=Count("follows"))

    @admin.display(description="Followers", ordering="follower_count")
    def followers(self, obj):
        return obj.follower_count

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "organisers":
            # As the help text says: members of the group (reviewers and other staff are not offered).
            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True, groups__name=ORGANISERS_GROUP)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(HubFollow)
class HubFollowAdmin(admin.ModelAdmin):
    list_display = ("user", "hub", "created_at")
    list_filter = ("hub",)
    search_fields = ("user__email",)
    list_select_related = ("user", "hub")
