"""Shared view helpers: the applicant context and mapping domain errors onto forms."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
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


def apply_errors(form: Form, exc: ValidationError, *, strip: str = "") -> list[str]:
    """Put a service's field-keyed errors next to the form's fields; return the rest."""
    rest: list[str] = []
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return rest
    for key, errors in exc.error_dict.items():
        name = key.removeprefix(strip) if strip else key
        if name in form.fields:
            form.add_error(name, errors)
        elif key in ("__all__", None):
            form.add_error(None, errors)
        else:
            rest += [m for e in errors for m in e.messages]
    return rest


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            key: [m for e in errors for m in e.messages] for key, errors in exc.error_dict.items()
        }
    return {"__all__": list(exc.messages)}
