from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from hubs.permissions import hubs_managed_by, is_hub_organiser

from . import selectors, services
from .exports import attendees_csv_response
from .forms import AttendeeEmailForm
from .models import Booking, Event
from .permissions import bookings_managed_by, events_managed_by


def _csv_response(bookings, filename: str) -> HttpResponse:
    return attendees_csv_response(bookings, filename=filename)


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    can_delete = False
    fields = (
        "user",
        "status",
        "sector",
        "dietary_requirements",
        "access_requirements",
        "attendee_list_consent",
        "created_at",
        "attended_at",
    )
    # Staff record attendance here; everything the attendee gave stays as they gave it.
    readonly_fields = tuple(f for f in fields if f != "attended_at")
    ordering = ("status", "created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user__profile")

    def has_add_permission(self, request, obj=None):
        return False  # bookings go through the booking rules (capacity, waiting list, emails)


class ManagedHubFilter(admin.SimpleListFilter):
    """Hubs to filter by: only those the person manages (a hub organiser never sees other hubs' names)."""

    title = "hub"
    parameter_name = "hub"
    field = "hub"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in hubs_managed_by(request.user).values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(**{f"{self.field}__in": hubs_managed_by(request.user).filter(pk=self.value())})
        return queryset


class BookingHubFilter(ManagedHubFilter):
    field = "event__hub"


class BookingEventFilter(admin.SimpleListFilter):
    """Events to filter bookings by: only the events the person manages, newest first."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        events = events_managed_by(request.user).order_by("-starts_at", "pk").values_list("pk", "title")
        return [(str(pk), title) for pk, title in events]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(event__in=events_managed_by(request.user).filter(pk=self.value()))
        return queryset


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "hub", "starts_at", "status", "confirmed", "waiting", "capacity_display")
    list_filter = ("status", "format", ManagedHubFilter)
    search_fields = ("title", "venue_name")
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("priority_areas",)
    list_select_related = ("hub",)
    readonly_fields = ("status", "published_at", "cancelled_at", "sector_mix")
    inlines = [BookingInline]
    actions = ["publish", "cancel_events", "export_attendees", "email_attendees"]
    fieldsets = (
        (None, {"fields": ("title", "slug", "hub", "summary", "description", "priority_areas", "status")}),
        ("Time and place", {"fields": ("format", "starts_at", "ends_at", "venue_name", "address", "online_url")}),
        ("Booking", {"fields": ("booking_opens_at", "booking_closes_at", "capacity", "waiting_list_enabled")}),
        ("Who is coming", {"fields": ("sector_mix", "published_at", "cancelled_at")}),
    )

    def get_queryset(self, request):
        return (
            events_managed_by(request.user)
            .select_related("hub")
            .annotate(
                confirmed_count=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
                waiting_count=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)),
            )
        )

    @admin.display(description="Confirmed", ordering="confirmed_count")
    def confirmed(self, obj):
        return obj.confirmed_count

    @admin.display(description="Waiting", ordering="waiting_count")
    def waiting(self, obj):
        return obj.waiting_count

    @admin.display(description="Capacity", ordering="capacity")
    def capacity_display(self, obj):
        return "Unlimited" if obj.capacity is None else obj.capacity

    @admin.display(description="Sector mix of confirmed attendees")
    def sector_mix(self, obj):
        if not obj.pk:
            return "-"
        # The template autoescapes every value, so its output is safe to mark as such.
        html = render_to_string("events/admin/sector_mix.html", {"rows": selectors.sector_mix(event=obj)})
        return mark_safe(html)  # noqa: S308

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "hub":
            kwargs["queryset"] = hubs_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if is_hub_organiser(request.user) and "hub" in form.base_fields:
            form.base_fields["hub"].required = True  # organisers cannot create Academy-wide events
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            told = services.event_update_notify(event=obj, changed_fields=form.changed_data)
            if told:
                messages.info(request, f"{told} people booked on this event were emailed the new details.")

    @admin.action(description="Publish selected events (emails hub followers)", permissions=["change"])
    def publish(self, request, queryset):
        published = 0
        for event in queryset.filter(status=Event.Status.DRAFT):
            services.event_publish(event=event)
            published += 1
        self.message_user(request, f"{published} event(s) published.")

    @admin.action(description="Cancel selected events (emails everyone booked or waiting)", permissions=["change"])
    def cancel_events(self, request, queryset):
        told = sum(services.event_cancel(event=event) for event in queryset)
        self.message_user(request, f"Events cancelled; {told} people were emailed.", messages.WARNING)

    @admin.action(description="Export attendees as CSV", permissions=["view"])
    def export_attendees(self, request, queryset):
        bookings = (
            bookings_managed_by(request.user)
            .filter(event__in=queryset.values("pk"))
            .exclude(status=Booking.Status.CANCELLED)
            .select_related("user__profile", "event")
            .order_by("event__starts_at", "status", "created_at")
        )
        return _csv_response(bookings, f"attendees-{timezone.localdate():%Y-%m-%d}.csv")

    @admin.action(description="Email confirmed attendees", permissions=["change"])
    def email_attendees(self, request, queryset):
        events = list(queryset)
        form = AttendeeEmailForm(request.POST if "send" in request.POST else None)
        if form.is_valid():
            sent = sum(services.attendees_email(event=event, **form.cleaned_data) for event in events)
            self.message_user(request, f"{sent} email(s) queued in the outbox.")
            return None
        return render(
            request,
            "events/admin/email_attendees.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Email attendees of {events[0].title}"
                if len(events) == 1
                else f"Email attendees of {len(events)} events",
                "events": events,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


class StatusFilter(admin.SimpleListFilter):
    title = "checked in"
    parameter_name = "attended"

    def lookups(self, request, model_admin):
        return [("yes", "Checked in"), ("no", "Not checked in")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(attended_at__isnull=self.value() == "no")
        return queryset


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("person", "email", "event", "status", "sector", "created_at", "attended_at")
    list_filter = ("status", StatusFilter, "sector", BookingHubFilter, BookingEventFilter)
    search_fields = ("user__email", "user__profile__full_name", "user__profile__organisation", "event__title")
    list_select_related = ("user__profile", "event")
    # What the attendee told us and agreed to is theirs to give, change or withdraw (Requirements and consents,
    # events.services.requirements_fields): staff see it but cannot set it, so no consent is ever recorded
    # without a time and the person's own act. Staff record attendance.
    readonly_fields = (
        "event",
        "user",
        "status",
        "sector",
        "dietary_requirements",
        "access_requirements",
        "access_requirements_consent_at",
        "attendee_list_consent",
        "attendee_list_consent_at",
        "created_at",
        "promoted_at",
        "cancelled_at",
        "reminder_sent_at",
    )
    fields = (
        "event",
        "user",
        "status",
        "sector",
        "dietary_requirements",
        "access_requirements",
        "access_requirements_consent_at",
        "attendee_list_consent",
        "attendee_list_consent_at",
        "created_at",
        "promoted_at",
        "cancelled_at",
        "reminder_sent_at",
        "attended_at",
    )
    actions = ["mark_attended", "mark_not_attended", "export_csv", "cancel_bookings"]

    def get_queryset(self, request):
        return bookings_managed_by(request.user).select_related("user__profile", "event")

    def has_add_permission(self, request):
        return False

    def _swap_user(self, request, names):
        """Django links a read-only person to their account page whether or not the viewer may open it; a hub
        organiser may not, so they see the name instead of a link that answers 403."""
        user_admin = self.admin_site._registry.get(Booking._meta.get_field("user").related_model)
        if user_admin is not None and user_admin.has_view_permission(request):
            return names
        return tuple("person" if name == "user" else name for name in names)

    def get_fields(self, request, obj=None):
        return self._swap_user(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._swap_user(request, super().get_readonly_fields(request, obj))

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead, so the waiting list moves up

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            kwargs["queryset"] = events_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Name", ordering="user__profile__full_name")
    def person(self, obj):
        return obj.user.get_full_name() if obj.user else "(account deleted)"

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email if obj.user else ""

    @admin.action(description="Mark as attended", permissions=["change"])
    def mark_attended(self, request, queryset):
        self.message_user(request, f"{services.attendance_mark(bookings=queryset, attended=True)} marked as attended.")

    @admin.action(description="Mark as not attended", permissions=["change"])
    def mark_not_attended(self, request, queryset):
        n = services.attendance_mark(bookings=queryset, attended=False)
        self.message_user(request, f"{n} marked as not attended.")

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return _csv_response(
            queryset.order_by("event__starts_at", "created_at"), f"bookings-{timezone.localdate():%Y-%m-%d}.csv"
        )

    @admin.action(description="Cancel selected bookings (promotes the waiting list)", permissions=["change"])
    def cancel_bookings(self, request, queryset):
        cancelled = 0
        for booking in queryset.exclude(status=Booking.Status.CANCELLED):
            try:
                services.booking_cancel(booking=booking)
                cancelled += 1
            except services.BookingError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.ERROR)
        self.message_user(request, f"{cancelled} booking(s) cancelled.")
