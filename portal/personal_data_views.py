"""The applicant's page for downloading everything the portal holds about its company
(个人信息保护法 第四十五条); the archive itself is assembled in portal/personal_data.py."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from applications.views.common import applicant_required
from portal.personal_data import (
    EXPORT_INTERVAL_SECONDS,
    personal_data_archive,
    personal_data_export_allowed,
    personal_data_export_slot,
)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def personal_data(request: HttpRequest) -> HttpResponse:
    organization = request.applicant
    allowed = personal_data_export_allowed(user=request.user, organization=organization)
    context = {
        "organization": organization,
        "allowed": allowed,
        "interval_seconds": EXPORT_INTERVAL_SECONDS,
    }
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        if not personal_data_export_slot(organization=organization):
            response = render(
                request, "portal/personal_data.html", {**context, "too_soon": True}, status=429
            )
            response["Retry-After"] = str(EXPORT_INTERVAL_SECONDS)
            return response
        archive = personal_data_archive(organization=organization, requested_by=request.user)
        day = timezone.localdate().isoformat()
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"personal-data-{organization.code}-{day}.zip",
            content_type="application/zip",
        )
    return render(request, "portal/personal_data.html", context)
