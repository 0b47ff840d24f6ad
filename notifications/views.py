"""The in-portal inbox (every message sent to the organisations the user acts for), and the
account page that confirms a mobile number with a code sent by SMS."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import error_summary
from workgroups.mobile import mobile_code_confirm
from workgroups.selectors import is_staff_member

from .inbox import inbox_lines, message_links, message_text, notice_read_from_inbox
from .selectors import inbox_for, inbox_message, mobile_code_pending
from .services import inbox_mark_read
from .services.accounts import mobile_code_send
from .tasks import dispatch

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "lines": inbox_lines(list(page.object_list))},
    )


@login_required
@require_http_methods(["GET"])
def inbox_detail(request: HttpRequest, uuid) -> HttpResponse:
    """One message on its own page, in the reader's language, with links to what it is about."""
    message = inbox_message(user=request.user, uuid=uuid)
    if message is None:
        raise Http404
    notice_read_from_inbox(request.user, message)
    return render(
        request,
        "notifications/message.html",
        {
            "message": message,
            "text": message_text(message),
            "links": message_links(message, staff=is_staff_member(request.user)),
        },
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark the messages named (`delivery`, several) read, or every unread one (`all`)."""
    if request.POST.get("all"):
        count = inbox_mark_read(user=request.user)
    else:
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        ids = [int(v) for v in request.POST.getlist("delivery") if v.isdecimal()]
        count = inbox_mark_read(user=request.user, delivery_ids=[i for i in ids if i < 2**63])
    if count:
        messages.success(
            request,
            ngettext("%(n)s message marked as read.", "%(n)s messages marked as read.", count)
            % {"n": count},
        )
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return redirect(back)
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_detail_read(request: HttpRequest, uuid) -> HttpResponse:
    message = inbox_message(user=request.user, uuid=uuid)
    if message is None:
        raise Http404
    inbox_mark_read(user=request.user, delivery_ids=[message.pk])
    return redirect("notifications:message", uuid=message.uuid)


class MobileCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def mobile_confirm(request: HttpRequest) -> HttpResponse:
    """Send a code to the account's mobile number (action=send), or type the code received."""
    user = request.user
    form = MobileCodeForm()
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            mobile_code_send(user=user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            # The outbox row is committed: hand it to a worker now rather than at the next
            # dispatch (a lost enqueue is picked up by that dispatch anyway).
            transaction.on_commit(lambda: dispatch.delay(), robust=True)
            messages.success(request, _("A code is on its way to your mobile number."))
        return redirect("mobile_confirm")
    if request.method == "POST":
        form = MobileCodeForm(request.POST)
        if form.is_valid():
            result = mobile_code_confirm(user=user, code=form.cleaned_data["code"])
            if result.confirmed:
                messages.success(request, _("Your mobile number is confirmed."))
                return redirect("mobile_confirm")
            form.add_error("code", result.message)
    return render(
        request,
        "accounts/mobile.html",
        {
            "form": form,
            "pending": mobile_code_pending(user=user),
            "error_links": error_summary(form),
        },
    )
