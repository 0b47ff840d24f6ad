"""Applicant portal URLs (mounted inside i18n_patterns, so /en/... serves English)."""

from django.urls import path, re_path

from .views import documents, identity, packages, projects, requests, tracking

app_name = "applications"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/find/", projects.project_find, name="project_find"),
    path("company/", identity.company, name="company"),
    path("company/id-number/", identity.person_id_number, name="person_id_number"),
    path("projects/<uuid:uuid>/edit/", projects.project_edit, name="project_edit"),
    path("requests/", requests.dashboard, name="dashboard"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/drafts/<uuid:uuid>/", requests.draft_edit, name="draft_edit"),
    path("requests/drafts/<uuid:uuid>/review/", requests.draft_review, name="draft_review"),
    path("requests/drafts/<uuid:uuid>/delete/", requests.draft_discard, name="draft_delete"),
    path("requests/<uuid:uuid>/", tracking.request_detail, name="request_detail"),
    path("requests/<uuid:uuid>/withdraw/", tracking.request_withdraw, name="request_withdraw"),
    path(
        "requests/<uuid:uuid>/commitments/<uuid:commitment_uuid>/upload/",
        tracking.commitment_upload,
        name="commitment_upload",
    ),
    path(
        "requests/<uuid:uuid>/<uuid:sa_uuid>/correct/",
        tracking.service_correct,
        name="service_correct",
    ),
    path("requests/<uuid:uuid>/<uuid:sa_uuid>/rate/", tracking.service_rate, name="service_rate"),
    path(
        "requests/<uuid:uuid>/<uuid:sa_uuid>/<str:action>/",
        tracking.service_action,
        name="service_action",
    ),
    path("requests/<uuid:uuid>/package.pdf", packages.package_pdf, name="package_pdf"),
    path("requests/<uuid:uuid>/package.json", packages.package_json, name="package_json"),
    path("verify/", packages.verify_start, name="package_verify_start"),
    re_path(
        r"^verify/(?P<code>[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4})/$",
        packages.verify,
        name="package_verify",
    ),
    path("documents/", tracking.documents_library, name="documents"),
    path("documents/<uuid:uuid>/", documents.document_download, name="document_download"),
    path("documents/<uuid:uuid>/view/", documents.document_inline, name="document_inline"),
]
