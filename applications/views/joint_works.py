"""The applicant's side of joint works: a panel on the tracking page for each utility that
digs in a joint works plan (its road, window, lead operator and state)."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from ..models import ServiceApplication
from ..selectors.joint_works import joint_works_of_services


def tracking_panels(request: HttpRequest, services: list[ServiceApplication]) -> dict[int, str]:
    """{application id: panel HTML}, one query for the whole request."""
    plans = joint_works_of_services(services=services)
    return {
        sa_id: render_to_string(
            "applications/_joint_works_panel.html", {"plan": plan}, request=request
        )
        for sa_id, plan in plans.items()
    }
