"""Presentation helpers: a utility's details as label/value pairs, the stage timeline."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..constants import APPLICANT_HOLDS, FINAL_STATES, PermitStatus, ServiceStatus
from ..models import ServiceApplication
from ..registry import UTILITIES, planned_stages

S = ServiceStatus


def details_display(utility: str, details: dict) -> list[tuple[str, str]]:
    """Each details field with its label and the chosen value as the user reads it."""
    rows = []
    for name, form_field in UTILITIES[utility].details_form().fields.items():
        value = details.get(name)
        if isinstance(form_field, forms.BooleanField):
            shown = _("Yes") if value else _("No")
        elif value in (None, "", []):
            continue
        elif isinstance(form_field, forms.ChoiceField):
            labels = {str(k): v for k, v in form_field.choices}
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(str(labels.get(str(v), v)) for v in values)
        else:
            shown = str(value)
        rows.append((str(form_field.label), str(shown)))
    return rows


@dataclass
class Step:
    status: str
    label: str
    state: str  # done | current | todo


def stage_steps(sa: ServiceApplication) -> list[Step]:
    """The stages this application goes through (its own stage plan), marked done/current."""
    plan = planned_stages(sa)
    position = _position(sa, plan)
    return [
        Step(
            status=status,
            label=str(S(status).label),
            state="done" if i < position else "current" if i == position else "todo",
        )
        for i, status in enumerate(plan)
    ]


def _position(sa: ServiceApplication, plan: list[str]) -> int:
    status = sa.status
    if status == S.RETURNED:
        status = sa.returned_from or S.SUBMITTED
    if status == S.SUSPENDED:
        status = sa.suspended_from or S.SUBMITTED
    if status in (S.REJECTED, S.WITHDRAWN):
        # Where it stopped: the state it left in its last transition.
        history = list(sa.history.all())
        status = history[-1].from_state if history else S.SUBMITTED
        status = S.SUBMITTED if status in (S.RETURNED, S.DRAFT) else status
    if status == S.CLOSED:
        return len(plan)
    return plan.index(status) if status in plan else 0


def holder(sa: ServiceApplication) -> tuple[str, str]:
    """Who holds the case now, and a short kind for the colour: applicant/operator/agency."""
    if sa.status in APPLICANT_HOLDS:
        return str(_("You (the applicant)")), "applicant"
    if sa.status in FINAL_STATES:
        return "", "none"
    if sa.status == S.PERMITTING:
        agencies = [_name(p.agency) for p in sa.permits.all() if p.status == PermitStatus.PENDING]
        return ", ".join(dict.fromkeys(agencies)) or str(_("Permit agencies")), "agency"
    return _name(sa.operator), "operator"


def _name(organization) -> str:
    english = not (get_language() or "").startswith("zh")
    return (organization.name_en if english else "") or organization.name_zh


STATUS_TONE = {
    S.SUBMITTED: "info",
    S.ACCEPTED: "info",
    S.SURVEYING: "info",
    S.PERMITTING: "info",
    S.CONSTRUCTING: "info",
    S.INSPECTING: "info",
    S.RETURNED: "warning",
    S.PLAN_ISSUED: "warning",
    S.CONNECTED: "success",
    S.CLOSED: "success",
    S.REJECTED: "danger",
    S.WITHDRAWN: "muted",
    S.SUSPENDED: "danger",
    S.DRAFT: "muted",
}

COMBINED_TONE = {
    "action_needed": "warning",
    "in_progress": "info",
    "completed": "success",
    "rejected": "danger",
    "withdrawn": "muted",
}
