"""Top-level URL map."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

import applications.staff_urls
import applications.urls
import coordination.urls
import indicators.urls
import workgroups.urls
from core.api import error_views
from core.api.schema_view import LocalizedSchemaView
from notifications import signup as signup_views
from notifications import views as notification_views
from portal import api_router, personal_data_views, views

# The staff site and the public site keep one URL namespace each ("staff", "applications"),
# gathering the pages of every app that serves them.
staff_urlpatterns = [
    *applications.staff_urls.urlpatterns,
    *coordination.urls.staff_urlpatterns,
    *indicators.urls.staff_urlpatterns,
    *workgroups.urls.staff_urlpatterns,
]
public_urlpatterns = [
    *applications.urls.urlpatterns,
    *coordination.urls.public_urlpatterns,
    *indicators.urls.public_urlpatterns,
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Probes: answered by portal.observability.middleware.ProbeMiddleware ahead of the stack.
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    # Content-Security-Policy violation reports (settings.CONTENT_SECURITY_POLICY's report-uri).
    path("csp-report/", views.csp_report, name="csp_report"),
    # REST API (docs/api.md): JSON errors under /api/ via the handlers below.
    path("api/v1/", include((api_router.urlpatterns, "api"), namespace="api")),
    path("api/schema/", LocalizedSchemaView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other /api/ path: the JSON 404 here, so not even DEBUG's HTML 404 page answers it.
    re_path(r"^api/", error_views.endpoint_not_found),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("staff/", include((staff_urlpatterns, "staff"), namespace="staff")),
    # Applicant portal: accounts (sign-up, rate-limited login, password reset) and cases.
    path("accounts/mobile/", notification_views.mobile_confirm, name="mobile_confirm"),
    # Sign-up ends on the code sent by SMS, the same page whatever the number.
    path("accounts/signup/", signup_views.signup_company, name="signup"),
    path("accounts/signup/person/", signup_views.signup_person, name="signup_person"),
    path("accounts/signup/confirm/", signup_views.signup_confirm, name="signup_confirm"),
    # PIPL art. 45: the company downloads everything the portal holds about it.
    path("accounts/my-data/", personal_data_views.personal_data, name="personal_data"),
    path("accounts/", include("workgroups.urls")),
    path("inbox/", include("notifications.urls")),
    path("", include((public_urlpatterns, "applications"), namespace="applications")),
    prefix_default_language=False,
)

# JSON problems under /api/, Django's normal pages elsewhere.
handler400 = "core.api.error_views.bad_request"
handler403 = "core.api.error_views.permission_denied"
handler404 = "core.api.error_views.page_not_found"
handler500 = "core.api.error_views.server_error"
