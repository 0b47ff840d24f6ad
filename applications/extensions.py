"""Where the layers above add to the applicant's pages without this layer knowing them.

Layers import downwards only (docs/architecture.md), so the tracking page cannot ask the
coordination layer for a rated utility's follow-up; instead that layer registers a panel
provider here when its app is ready, and the page shows what the providers return.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import ServiceApplication

# (request, the request's utilities) -> {service application id: rendered HTML}
TrackingPanel = Callable[[HttpRequest, list[ServiceApplication]], dict[int, str]]
_tracking_panels: list[TrackingPanel] = []


def register_tracking_panel(provider: TrackingPanel) -> TrackingPanel:
    if provider not in _tracking_panels:
        _tracking_panels.append(provider)
    return provider


def tracking_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, list]:
    """Every provider's panels per utility, in registration order (already-escaped HTML from
    the providers' own templates)."""
    panels: dict[int, list] = {}
    for provider in _tracking_panels:
        for sa_id, html in provider(request, services).items():
            panels.setdefault(sa_id, []).append(SafeString(html))
    return panels
