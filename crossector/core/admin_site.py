"""The portal's admin site: Django's admin behind the two-factor gate in `crossector.core.mfa`.

Why a site subclass rather than a middleware for `/admin/` paths: `AdminSite.admin_view` already wraps
every admin page (and any view added with it, like the programme dashboard), so the gate sits exactly
where Django checks admin permission, follows the admin wherever it is mounted, and `has_permission`
agrees with it for the admin's own templates. It is installed as the default site through
`PortalAdminConfig`, so `admin.site` and every `admin.site.register(...)`/`@admin.register(...)` in the
apps keep working unchanged.
"""

from functools import update_wrapper

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

# The admin home in the order programme staff work: programme apps first, then people and accounts. Plumbing
# (celery-beat's schedules: crontabs, clocked, solar events) is only for superusers, last, under "Technical".
APP_ORDER = ("awards", "events", "hubs", "core", "auth", "account", "mfa")
TECHNICAL_APPS = {"django_celery_beat": "Technical: scheduled tasks (Celery beat)"}


class PortalAdminSite(AdminSite):
    site_header = "Cross-Sector Programme staff admin"
    site_title = "Cross-Sector Programme admin"
    index_title = "Programme administration"
    index_template = "admin/portal_index.html"

    def has_permission(self, request):
        from crossector.core.mfa import AdminAccess, admin_access_check

        return admin_access_check(request=request) is AdminAccess.ALLOWED

    def admin_view(self, view, cacheable=False):
        """Every admin page: only for staff past both factors; everyone else to the step they lack."""

        def inner(request, *args, **kwargs):
            from crossector.core.mfa import AdminAccess, admin_access_check, admin_refusal_response

            access = admin_access_check(request=request)
            if access is not AdminAccess.ALLOWED:
                return admin_refusal_response(request=request, access=access)
            return view(request, *args, **kwargs)

        if not cacheable:
            inner = never_cache(inner)
        if not getattr(view, "csrf_exempt", False):
            inner = csrf_protect(inner)
        return update_wrapper(inner, view)

    def login(self, request, extra_context=None):
        """One sign-in for the whole portal: the admin's own form hands over to allauth's, with 2FA."""
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            return HttpResponseRedirect(next_url)  # the gate on that page says what is missing
        from crossector.core.mfa import url_with_next

        return HttpResponseRedirect(url_with_next(reverse("account_login"), next_url))

    def get_urls(self):
        from crossector.dashboard.views import dashboard

        return [path("dashboard/", self.admin_view(dashboard), name="dashboard"), *super().get_urls()]

    def index(self, request, extra_context=None):
        """The admin home says when emails have failed, so staff can read the error and resend them."""
        extra_context = extra_context or {}
        if request.user.has_perm("core.view_outboundemail"):
            from crossector.core.models import OutboundEmail

            extra_context["failed_emails"] = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count()
        return super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Programme apps first (APP_ORDER); technical apps hidden from everyone but superusers, who find
        them last under a "Technical" name. The sidebar and the app pages use this list too, so a
        non-superuser's `/admin/django_celery_beat/` is a 404."""
        apps = super().get_app_list(request, app_label)
        shown = []
        for app in apps:
            if app["app_label"] in TECHNICAL_APPS:
                if not request.user.is_superuser:
                    continue
                app = {**app, "name": TECHNICAL_APPS[app["app_label"]]}
            shown.append(app)

        def place(app):
            label = app["app_label"]
            if label in TECHNICAL_APPS:
                return (2, 0)
            return (0, APP_ORDER.index(label)) if label in APP_ORDER else (1, 0)

        return sorted(shown, key=place)  # stable: apps not named keep Django's order between the two groups

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin registered here (ours, Django's, allauth's, celery-beat's) edits under the text
        rule: its form, add form, inline forms and changelist form get `TextRuleMixin`."""
        super().register(model_or_iterable, permission_first(text_rule_admin(admin_class or ModelAdmin)), **options)


class TextRuleAdminMixin:
    """The per-request admin forms: inline forms and the changelist (list_editable) form."""

    def get_inline_instances(self, request, obj=None):
        from crossector.core.text import with_text_rule

        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            inline.form = with_text_rule(inline.form)
        return inlines

    def get_changelist_form(self, request, **kwargs):
        from django import forms

        from crossector.core.text import with_text_rule

        kwargs["form"] = with_text_rule(kwargs.get("form") or forms.ModelForm)
        return super().get_changelist_form(request, **kwargs)


def text_rule_admin(admin_class: type) -> type:
    """`admin_class` with the text rule on every form it builds (a subclass; the original is left alone)."""
    if "_text_rule_of" in vars(admin_class):  # already one of these (registered on a second site)
        return admin_class
    from crossector.core.text import with_text_rule

    attrs = {
        "__module__": admin_class.__module__,
        "__qualname__": admin_class.__qualname__,
        "form": with_text_rule(admin_class.form),
        "_text_rule_of": admin_class,
    }
    if getattr(admin_class, "add_form", None) is not None:
        attrs["add_form"] = with_text_rule(admin_class.add_form)
    return type(admin_class.__name__, (TextRuleAdminMixin, admin_class), attrs)


class PermissionFirstAdminMixin:
    """Django's history page looks the object up before asking for permission, so staff without permission
    for a model (a reviewer, a hub organiser) got 403 for an id that exists and a redirect for one that does
    not: a way to learn who has an account. Asking for the model permission first answers both with 403
    (docs/security.md, "Nothing tells a stranger who has an account")."""

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


def permission_first(admin_class: type) -> type:
    """`admin_class` asking for permission before looking an object up (a subclass; idempotent)."""
    if issubclass(admin_class, PermissionFirstAdminMixin):
        return admin_class
    attrs = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
    return type(admin_class.__name__, (PermissionFirstAdminMixin, admin_class), attrs)


class PortalAdminConfig(AdminConfig):
    default_site = "crossector.core.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()
        from allauth.mfa.signals import authenticator_added

        from crossector.core.mfa import record_mfa_on_activation

        authenticator_added.connect(record_mfa_on_activation, dispatch_uid="admin-gate-mfa-on-activation")
