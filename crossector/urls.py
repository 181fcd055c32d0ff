from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from crossector.core import metrics, privacy_views, site_files
from crossector.core import views as core_views

handler400 = "crossector.core.views.bad_request"
handler404 = "crossector.core.views.page_not_found"
handler500 = "crossector.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("accessibility/", core_views.accessibility, name="accessibility"),
    path("health/", core_views.health_view, name="health"),
    path("favicon.ico", site_files.favicon, name="favicon"),
    path("robots.txt", site_files.robots_txt, name="robots_txt"),
    path("metrics/", metrics.metrics_view, name="metrics"),  # token or staff with 2FA (docs/deployment.md)
    path("accounts/profile/", core_views.profile, name="profile"),
    path("accounts/data/", privacy_views.data, name="privacy_data"),
    path("accounts/delete/", privacy_views.delete, name="privacy_delete"),
    path("accounts/deleted/", privacy_views.deleted, name="privacy_account_deleted"),
    # Before allauth's: its two-factor set-up and email pages behind the emailed-link rule (docs/security.md).
    path("accounts/", include("crossector.core.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("hubs/", include("events.urls_hubs")),  # hub pages list events; hubs must not import events
    path("events/", include("events.urls")),
    path("awards/", include("awards.urls")),
    path("network/", include("hubs.network.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_BASELINE:  # the benchmarks' reference view (docs/performance.md); off by default
    urlpatterns.append(path("bench/", include("bench.urls")))
