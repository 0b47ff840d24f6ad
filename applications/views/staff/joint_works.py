"""Joint works plans on the staff site: the list, one plan with the actions the caller may
perform, and the lead agency's proposal from a case page (docs/joint-works.md)."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import error_summary
from core.web import errors_to_form

from ...constants import JointWorksStatus
from ...selectors.joint_works import (
    joint_works_candidates_for_project,
    joint_works_for_user,
    joint_works_history,
    joint_works_overlapping,
)
from ...selectors.staff import case_for_staff
from ...services.joint_works import PlanInput, joint_works_plan_act, joint_works_plan_propose
from ...transition_inputs import MAX_WINDOW_WORKING_DAYS
from ...workflow import COMMENT_MAX_LENGTH, JOINT_WORKS, transitions_available
from .case import _unprefixed
from .common import staff_errors, staff_required


def _plan_url(request: HttpRequest, uuid, **kwargs) -> str:
    return reverse("staff:joint_work", args=[uuid])


@require_http_methods(["GET"])
@staff_required
def joint_works(request: HttpRequest) -> HttpResponse:
    plans = list(joint_works_for_user(user=request.user)[:200])
    return render(
        request,
        "staff/joint_works.html",
        {"plans": plans, "staff_section": "joint_works"},
    )


def _plan_or_404(request: HttpRequest, uuid):
    plan = joint_works_for_user(user=request.user).filter(uuid=uuid).first()
    if plan is None:
        raise Http404
    return plan


def _render_plan(request, uuid, *, failed=None, error: str = ""):
    plan = _plan_or_404(request, uuid)
    actions = []
    for name in transitions_available(actor=request.user, obj=plan):
        if failed and failed[0] == name:
            form = failed[1]
        else:
            form = JOINT_WORKS.form(name, plan, prefix=f"jw-{name}")
        actions.append((name, JOINT_WORKS[name].button, form))
    return render(
        request,
        "staff/joint_work.html",
        {
            "plan": plan,
            "participants": list(plan.participants.all()),
            "permits": list(plan.permits.all()),
            "history": [
                (event, JOINT_WORKS.history_label(event.transition))
                for event in joint_works_history(plan=plan)
            ],
            "overlapping": joint_works_overlapping(plan=plan)
            if plan.status in (JointWorksStatus.PROPOSED, JointWorksStatus.CONFIRMED)
            else [],
            "actions": actions,
            "route_json": json.dumps(plan.route, ensure_ascii=False) if plan.route else "",
            "error": error,
            "error_links": error_summary(failed[1] if failed else None, messages=[error]),
            "staff_section": "joint_works",
        },
    )


@require_http_methods(["GET"])
@staff_required
def joint_work(request: HttpRequest, uuid) -> HttpResponse:
    return _render_plan(request, uuid)


@require_POST
@staff_required
@staff_errors(back=_plan_url)
def joint_work_act(request: HttpRequest, uuid, name: str) -> HttpResponse:
    plan = _plan_or_404(request, uuid)
    if name not in JOINT_WORKS or JOINT_WORKS[name].system_only:
        raise Http404
    prefix = f"jw-{name}"
    try:
        joint_works_plan_act(
            actor=request.user,
            plan=plan,
            action=name,
            # One value per field (the service takes a plain dict: a QueryDict's lists
            # would reach the forms as lists, e.g. a restore date as ["2026-11-30"]).
            data=_unprefixed(request.POST, prefix).dict(),
            comment=request.POST.get(f"{prefix}-comment", "")[:COMMENT_MAX_LENGTH],
        )
    except ValidationError as exc:
        form = JOINT_WORKS.form(name, plan, data=request.POST, prefix=prefix)
        if form is None:
            return _render_plan(request, uuid, error=" ".join(exc.messages))
        rest = errors_to_form(form, exc) if form.is_valid() else {}
        error = " ".join(message for messages in rest.values() for message in messages)
        return _render_plan(request, uuid, failed=(name, form), error=error)
    messages.success(request, _("%(action)s: done.") % {"action": JOINT_WORKS[name].button})
    return redirect("staff:joint_work", uuid=uuid)


class ProposeForm(forms.Form):
    service_applications = forms.MultipleChoiceField(
        label=gettext_lazy("Applications digging together"), widget=forms.CheckboxSelectMultiple
    )
    lead_operator = forms.ChoiceField(
        label=gettext_lazy("Lead operator"),
        required=False,
        help_text=gettext_lazy("Empty: the operator with the largest works (highest fee quote)."),
    )
    road_name = forms.CharField(label=gettext_lazy("Road"), max_length=100)
    road_segment = forms.CharField(
        label=gettext_lazy("Road segment"), max_length=100, required=False
    )
    route_description = forms.CharField(
        label=gettext_lazy("Route"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    route = forms.CharField(
        label=gettext_lazy("Route line (GeoJSON)"),
        required=False,
        max_length=60000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Optional: a GeoJSON LineString in WGS84, longitude first."),
    )
    window_start = forms.DateField(
        label=gettext_lazy("Excavation starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    window_working_days = forms.IntegerField(
        label=gettext_lazy("Working days"), min_value=1, max_value=MAX_WINDOW_WORKING_DAYS
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_applications"].choices = [
            (
                str(sa.uuid),
                f"{sa.get_utility_display()} · {sa.operator.name_zh} · {sa.combined.reference}",
            )
            for sa in candidates
        ]
        operators = {sa.operator.code: sa.operator.name_zh for sa in candidates}
        self.fields["lead_operator"].choices = [("", "—"), *sorted(operators.items())]

    def clean_route(self):
        text = self.cleaned_data["route"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None


@require_http_methods(["GET", "POST"])
@staff_required
@staff_errors(back=lambda request, uuid, **kw: reverse("staff:case", args=[uuid]))
def joint_works_new(request: HttpRequest, uuid) -> HttpResponse:
    combined = case_for_staff(user=request.user, scope=request.staff_scope, uuid=uuid)
    if combined is None:
        raise Http404
    candidates = joint_works_candidates_for_project(project=combined.project)
    form = ProposeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["service_applications"])
        data = {k: v for k, v in form.cleaned_data.items() if k != "service_applications"}
        data["window_start"] = data["window_start"].isoformat()
        try:
            plan = joint_works_plan_propose(
                actor=request.user,
                service_applications=[sa for sa in candidates if str(sa.uuid) in chosen],
                data=PlanInput(**data),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Joint works plan proposed: each operator confirms it."))
            return redirect("staff:joint_work", uuid=plan.uuid)
    return render(
        request,
        "staff/joint_works_new.html",
        {
            "combined": combined,
            "form": form,
            "candidates": candidates,
            "staff_section": "joint_works",
            "error_links": error_summary(form),
        },
    )
