"""The project's handler400/403/404/500 and the /api/ catch-all: JSON problems under /api/,
the normal pages elsewhere."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status

from .problems import problem

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(problem(404, "not_found", _("No such endpoint.")), status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt
def endpoint_not_found(request, *args, **kwargs):
    """The URL map's last /api/ route: any method, no session needed (so no CSRF check, as
    for an unmatched URL), the JSON 404, even with DEBUG on."""
    return page_not_found(request)


def server_error(request):
    if _is_api(request):
        body = problem(500, "server_error", _("Something went wrong on our side; it is logged."))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(problem(400, "bad_request", _("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        body = problem(403, "permission_denied", str(exception or "") or _("Permission denied."))
        return JsonResponse(body, status=status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)
