"""The in-portal inbox: every message sent to the organisations the user acts for."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .selectors import inbox_for
from .services import inbox_mark_read

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    ids = [int(v) for v in request.POST.getlist("delivery") if v.isdecimal()]
    inbox_mark_read(user=request.user, delivery_ids=ids)
    return redirect("notifications:inbox")
