"""Small template helpers for the applicant pages."""

from django import template
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext

from core.forms import error_links as form_error_links
from workgroups.calendar import last_day_of, next_year_missing
from workgroups.constants import OrganizationKind
from workgroups.models import Membership
from workgroups.selectors import token_organizations_for
from workgroups.workflow import may_review_identities

from .. import dates, workflow
from ..constants import Party

register = template.Library()


@register.filter
def localname(obj) -> str:
    """An organisation's or town's name in the page's language (Chinese when no English)."""
    if obj is None:
        return ""
    english = getattr(obj, "name_en", "")
    if english and not (get_language() or "").startswith("zh"):
        return english
    return getattr(obj, "name_zh", str(obj))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def history_label(change) -> str:
    """How the history names a recorded transition (from the transition table)."""
    return workflow.history_label(change)


_MACHINES = {
    "service": workflow.SERVICE,
    "permit": workflow.PERMIT,
    "escalation": workflow.ESCALATION,
}


@register.simple_tag
def input_max_length(machine: str, name: str) -> int | None:
    """The `maxlength` of a transition's input (`comment` included), from the transition table."""
    return workflow.input_max_length(_MACHINES[machine], name)


@register.simple_tag
def clock_line(clock, operator, viewer: str = "applicant") -> str:
    """One utility's clock in a sentence: "14 working days: government 3, <operator> 9, you 2;
    2 procedures; fee ¥…" (the applicant reads "you", staff "applicant")."""
    total = (
        ngettext("%(days)s working day so far", "%(days)s working days so far", clock.working_days)
        if clock.running
        else ngettext("%(days)s working day", "%(days)s working days", clock.working_days)
    )
    parts = []
    for party, label, days, _percent in clock.parts:
        if party == Party.OPERATOR and operator is not None:
            who = localname(operator)
        elif party == Party.APPLICANT and viewer == "applicant":
            who = gettext("you")
        else:
            who = label.lower() if (get_language() or "").startswith("en") else label
        parts.append(gettext("%(who)s %(days)s") % {"who": who, "days": days})
    values = {
        "total": total % {"days": clock.working_days},
        "parts": gettext(", ").join(parts),
        "procedures": ngettext("%(n)s procedure", "%(n)s procedures", clock.procedures)
        % {"n": clock.procedures},
    }
    if clock.fee_cny is None:
        return gettext("%(total)s: %(parts)s; %(procedures)s") % values
    values["fee"] = gettext("fee ¥%(fee)s") % {"fee": f"{clock.fee_cny:,.2f}"}
    return gettext("%(total)s: %(parts)s; %(procedures)s; %(fee)s") % values


@register.filter
def due_day(deadline):
    """A deadline as people read it: its last working day, not the midnight that ends it."""
    return last_day_of(deadline) if deadline else None


@register.filter
def due_date(deadline) -> str:
    """A deadline as a date with its weekday: the last working day on which it is due."""
    return dates.due_date(deadline)


@register.filter
def date_text(day) -> str:
    """A day with its weekday, in the page's language."""
    return dates.date_text(day)


@register.simple_tag
def calendar_gap() -> int | None:
    """Next year, from 1 November, while the working-day calendar lacks it."""
    return next_year_missing(timezone.localdate())


@register.simple_tag
def manages_api_tokens(user) -> bool:
    """Whether the staff site's API tokens page is the user's: a manager of an organisation
    that uses the API, or a platform administrator."""
    return user.is_authenticated and bool(token_organizations_for(user=user))


@register.simple_tag(takes_context=True)
def staff_links(context) -> dict[str, bool]:
    """Which of the staff site's own pages the caller's organisations use: company
    verification (the company registry's staff) and pushed projects (departments)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"companies": False, "projects": False, "commitments": False}
    scope = getattr(request, "staff_scope", None)
    return {
        "companies": may_review_identities(user),
        "projects": bool(scope and (scope.oversight or pushes_projects(user))),
        # The agencies that verify documents promised under 承诺制.
        "commitments": bool(scope and scope.agency_ids),
    }


def pushes_projects(user) -> bool:
    return Membership.objects.filter(
        Q(organization__provides_data=True) | Q(organization__kind=OrganizationKind.DATA_PROVIDER),
        user=user,
    ).exists()


@register.filter
def commitment_statement(wording, document_label) -> str:
    """A commitment wording's text for one document, in the page's language."""
    return wording.statement(document_label) if wording is not None else ""


@register.filter
def error_links(form) -> list:
    """A form's errors for the error summary, each linked to its field."""
    return form_error_links(form)
