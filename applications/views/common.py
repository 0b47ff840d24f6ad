"""Shared view helpers: the applicant context."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..selectors.applicant import applicant_organization


def applicant_required(view: Callable) -> Callable:
    """Signed in and acting for an applicant organisation (staff use the staff site)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        organization = applicant_organization(user=request.user)
        if organization is None:
            return render(request, "applications/not_applicant.html", status=403)
        request.applicant = organization
        return view(request, *args, **kwargs)

    return wrapper
