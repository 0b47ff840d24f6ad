"""The working-day calendar: which years it holds, and a new year's official arrangement."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.forms import error_summary
from core.web import errors_to_form
from workgroups.calendar import next_year_missing
from workgroups.selectors import calendar_years
from workgroups.services import calendar_notice_parse, calendar_year_enter, may_enter_calendar

from .common import staff_required

NOTICE_MAX_CHARS = 20_000


class NoticeForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    notice = forms.CharField(
        label=gettext_lazy("Holidays and make-up working days"),
        help_text=gettext_lazy(
            "One day per line: date,working,name — working is 0 for a holiday and 1 for a "
            "make-up working day, e.g. 2027-02-08,0,春节 or 2027-02-06,1,春节调休. Every "
            "other day follows Monday to Friday."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=NOTICE_MAX_CHARS,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def calendar(request: HttpRequest) -> HttpResponse:
    allowed = may_enter_calendar(request.user)
    gap = next_year_missing(timezone.localdate())
    form = NoticeForm(initial={"year": gap or timezone.localdate().year + 1})
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        form = NoticeForm(request.POST)
        if form.is_valid():
            year = form.cleaned_data["year"]
            try:
                exceptions = calendar_notice_parse(form.cleaned_data["notice"], year=year)
                days = calendar_year_enter(actor=request.user, year=year, exceptions=exceptions)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("%(year)s entered: %(days)s days, %(n)s of them from the notice.")
                    % {"year": year, "days": days, "n": len(exceptions)},
                )
                return redirect("staff:calendar")
    return render(
        request,
        "staff/calendar.html",
        {
            "years": calendar_years(),
            "gap": gap,
            "form": form,
            "allowed": allowed,
            "staff_section": "calendar",
            "error_links": error_summary(form),
        },
    )
