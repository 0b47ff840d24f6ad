"""Writes of the service guides' prose: each save is a new version."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from applications.constants import BusinessType
from applications.registry import UTILITIES
from core.errors import NotFound, PermissionDenied
from workgroups.models import User, Workgroup

from ..models import GuideText
from ..selectors.guides import guide_editable_utilities


@dataclass(frozen=True)
class GuideTextInput:
    intro_zh: str
    intro_en: str = ""
    notes_zh: str = ""
    notes_en: str = ""
    contacts_zh: str = ""
    contacts_en: str = ""


@transaction.atomic
def guide_text_save(
    *, actor: User, utility: str, business_type: str, data: GuideTextInput
) -> GuideText:
    """Save the prose of a guide as its next version (the row is the audit record: who, when,
    what). Only the lead agency of the utility's workgroup may."""
    if utility not in UTILITIES or business_type not in BusinessType.values:
        raise NotFound(_("There is no such service guide."))
    if utility not in guide_editable_utilities(user=actor):
        raise PermissionDenied(_("Only the workgroup's lead agency edits its service guides."))
    # Two saves at once: the workgroup's row serialises them, so each gets its own number.
    Workgroup.objects.select_for_update().filter(code=utility).first()
    last = GuideText.objects.filter(utility=utility, business_type=business_type).aggregate(
        n=Max("version")
    )["n"]
    return GuideText.objects.create(
        utility=utility,
        business_type=business_type,
        version=(last or 0) + 1,
        author=actor,
        intro_zh=data.intro_zh.strip(),
        intro_en=data.intro_en.strip(),
        notes_zh=data.notes_zh.strip(),
        notes_en=data.notes_en.strip(),
        contacts_zh=data.contacts_zh.strip(),
        contacts_en=data.contacts_en.strip(),
    )
