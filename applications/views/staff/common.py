"""What every staff page shares: the staff-only guard, pagination and the error page."""

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from core.forms import ErrorLink
from core.web import maps_domain_errors

from ...constants import (
    BusinessType,
    ServiceStatus,
    Utility,
)
from ...selectors.staff import (
    QueueFilters,
    staff_scope,
)

PAGE_SIZES = (25, 50, 100)
# Shown in place on the case page (the document view serves only these inline).
IMAGE_TYPES = ("image/png", "image/jpeg")


def staff_required(view: Callable) -> Callable:
    """Signed in and a member of an agency, operator or leadership body."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scope = staff_scope(user=request.user)
        if not scope.is_staff:
            return render(request, "staff/not_staff.html", status=403)
        request.staff_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def _filters(params: QueryDict) -> QueueFilters:
    def choice(name: str, choices) -> str:
        value = params.get(name, "")
        return value if value in {c for c, _ in choices} else ""

    return QueueFilters(
        utility=choice("utility", Utility.choices),
        status=choice("status", ServiceStatus.choices),
        town=params.get("town", "")[:40],
        business_type=choice("business_type", BusinessType.choices),
        overdue=params.get("overdue") == "1",
        q=params.get("q", "")[:100],
    )


def _page(request: HttpRequest, queryset):
    try:
        size = int(request.GET.get("size", PAGE_SIZES[0]))
    except ValueError:
        size = PAGE_SIZES[0]
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def error_page(request: HttpRequest, message: str, *, back: str, status: int) -> HttpResponse:
    """The staff site's one error page: what went wrong and the way back (409 / 403; 200 for
    input refused without a form to show it on, the message in the error summary, linked to
    the page of the form)."""
    links = [ErrorLink(message, back)] if status == HTTPStatus.OK else []
    context = {"message": message, "back": back, "error_links": links}
    return render(request, "staff/conflict.html", context, status=status)


def staff_errors(back: Callable[..., str]) -> Callable[[Callable], Callable]:
    """`maps_domain_errors` with the staff error page; `back(request, **view_kwargs)` is the
    page the person returns to."""

    def page(request: HttpRequest, message: str, status: int, /, *args, **kwargs) -> HttpResponse:
        return error_page(request, message, back=back(request, *args, **kwargs), status=status)

    return maps_domain_errors(page)
