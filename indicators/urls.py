"""Pages of the indicators, composed by portal/urls.py into the namespaces their links use:
the staff pages into "staff" (mounted at /staff/), the public page into "applications"."""

from django.urls import path

from .views import kpi, scorecards, transparency

staff_urlpatterns = [
    path("kpi/", kpi.kpi, name="kpi"),
    path("scorecards/", scorecards.scorecards, name="scorecards"),
]

public_urlpatterns = [
    path("transparency/", transparency.transparency, name="transparency"),
]
