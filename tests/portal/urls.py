"""The project's URLs plus two test-only views: one that fails, one that starts a task."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns
from tests.portal.echo_task import echo_request_id

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest):
    raise RuntimeError("a test view that always fails")


def start_task(request: HttpRequest) -> JsonResponse:
    echo_request_id.apply_async(args=[request.GET["key"]], queue=request.GET["queue"])
    return JsonResponse({"started": True})


urlpatterns = [
    path("test-boom", boom, name="test-boom"),
    path("test-start-task", start_task, name="test-start-task"),
    *urlpatterns,
]
