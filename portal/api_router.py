"""The one router of the REST API, mounted at /api/v1/ (namespace "api")."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from applications.api.documents import DocumentDownloadView
from applications.api.joint_works import JointWorksViewSet, RoadWorksViewSet
from applications.api.permits import PermitViewSet
from applications.api.project_documents import ProjectDocumentsView
from applications.api.projects import ProjectViewSet
from applications.api.work_items import WorkItemViewSet
from indicators.api.stats import StatsView
from notifications.api.demand import DemandNoticeViewSet, DemandSignalViewSet
from notifications.api.webhooks import WebhookViewSet
from workgroups.api.companies import CompanyRegistryViewSet

router = SimpleRouter()
router.register("work-items", WorkItemViewSet, basename="work-item")
router.register("permits", PermitViewSet, basename="permit")
router.register("projects", ProjectViewSet, basename="project")
router.register("joint-works", JointWorksViewSet, basename="joint-works")
router.register("road-works", RoadWorksViewSet, basename="road-works")
router.register("demand-notices", DemandNoticeViewSet, basename="demand-notice")
router.register("demand-signals", DemandSignalViewSet, basename="demand-signal")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("companies", CompanyRegistryViewSet, basename="company")

urlpatterns = [
    *router.urls,
    path(
        "documents/<uuid:uuid>/download/",
        DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path(
        "projects/<uuid:uuid>/documents/",
        ProjectDocumentsView.as_view(),
        name="project-documents",
    ),
    path("stats/", StatsView.as_view(), name="stats"),
]
