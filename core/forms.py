"""The GOV.UK error summary, one for every form of the site (applicant, staff, public).

A page whose form came back with errors answers 200 and puts `error_links` in its context;
base.html shows them at the top of the main area (templates/core/_error_summary.html), each
message a link to the control it is about, and portal/error_summary.js moves the focus there.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext

__all__ = ["ErrorLink", "error_links", "error_summary", "labelled"]


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: the message and the control it is about."""

    text: str
    href: str = ""


def labelled(label: object, message: object) -> str:
    """ "Label: message" as the page's language writes it."""
    return gettext("%(label)s: %(message)s") % {"label": label, "message": message}


def error_links(form: forms.BaseForm, *, section: str = "") -> list[ErrorLink]:
    """The errors of `form`, each linked to its field's first control (GOV.UK error summary).
    `section` prefixes the label when several forms share a page (the utility's name)."""
    links = [ErrorLink(str(message)) for message in form.non_field_errors()]
    for bound in form:
        if not bound.errors:
            continue
        target = bound.id_for_label or f"{bound.auto_id}_0"  # radio/tick groups: the first
        label = f"{section} · {bound.label}" if section else str(bound.label)
        links += [ErrorLink(labelled(label, message), f"#{target}") for message in bound.errors]
    return links


def error_summary(
    *forms_: forms.BaseForm | None, messages: Iterable[object] = (), href: str = ""
) -> list[ErrorLink]:
    """The summary of a page that came back with errors: each form's errors linked to their
    fields, then `messages` the page shows elsewhere (linked to `href`, where given)."""
    links = [link for form in forms_ if form is not None for link in error_links(form)]
    return links + [ErrorLink(str(m), href) for m in messages if m]
