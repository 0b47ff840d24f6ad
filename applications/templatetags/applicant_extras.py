"""Small template helpers for the applicant pages."""

from django import template
from django.utils.translation import get_language

from .. import workflow

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
