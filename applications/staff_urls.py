"""Staff site URLs (mounted at /staff/ inside i18n_patterns), beside the Django admin."""

from django.contrib import admin
from django.urls import path

from .views import staff
from .views.staff import commitments as commitment_views
from .views.staff import joint_works as joint_works_views

app_name = "staff"

urlpatterns = [
    path("", staff.home, name="home"),
    path("queue/", staff.queue, name="queue"),
    path("queue/bulk/", staff.queue_bulk, name="queue_bulk"),
    path("cases/<uuid:uuid>/", staff.case, name="case"),
    path("cases/<uuid:uuid>/<uuid:sa_uuid>/payments/", staff.case_payment, name="case_payment"),
    path(
        "cases/<uuid:uuid>/<uuid:sa_uuid>/<str:name>/",
        staff.case_transition,
        name="case_transition",
    ),
    path("permits/<uuid:uuid>/<str:decision>/", staff.permit_decide, name="permit_decide"),
    path("escalations/", staff.escalations, name="escalations"),
    path("commitments/", commitment_views.commitments, name="commitments"),
    path(
        "commitments/<uuid:uuid>/<str:decision>/",
        commitment_views.commitment_decide,
        name="commitment_decide",
    ),
    path("joint-works/", joint_works_views.joint_works, name="joint_works"),
    path("joint-works/<uuid:uuid>/", joint_works_views.joint_work, name="joint_work"),
    path(
        "joint-works/<uuid:uuid>/<str:name>/",
        joint_works_views.joint_work_act,
        name="joint_work_act",
    ),
    path(
        "cases/<uuid:uuid>/joint-works/new/",
        joint_works_views.joint_works_new,
        name="joint_works_new",
    ),
    path("calendar/", staff.calendar, name="calendar"),
    path("api-tokens/", staff.api_tokens, name="api_tokens"),
    path("api-tokens/<uuid:uuid>/rotate/", staff.api_token_rotate_view, name="api_token_rotate"),
    path("api-tokens/<uuid:uuid>/revoke/", staff.api_token_revoke_view, name="api_token_revoke"),
    path("companies/", staff.companies, name="companies"),
    path("companies/<uuid:uuid>/<str:decision>/", staff.company_decide, name="company_decide"),
    path("disputes/", staff.disputes, name="disputes"),
    path("disputes/<uuid:uuid>/decide/", staff.dispute_decide, name="dispute_decide"),
    path("projects/", staff.projects, name="projects"),
    path("projects/<uuid:uuid>/", staff.project, name="project"),
    path(
        "escalations/<uuid:uuid>/acknowledge/",
        staff.escalation_ack,
        name="escalation_acknowledge",
    ),
    path("escalations/<uuid:uuid>/resolve/", staff.escalation_res, name="escalation_resolve"),
]

# One coherent staff site: the admin index links to these pages (the template extends the
# admin's own index). Set here, where the staff site is wired in, so admin.py stays untouched.
admin.site.index_template = "staff/admin_index.html"
