"""Demand signals pushed by data-providing departments (关口前移), e.g. through the REST API.

Resolves what the department names by code (town, project), checks what only the database
knows (a project announced twice), then records the signal with `demand_signal_record`, which
fans it out to the operators. Every error names its field.
"""

import datetime as dt
from typing import cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications.models import Project
from core.errors import PermissionDenied, ValidationError
from workgroups.constants import OrganizationKind
from workgroups.models import Membership, Organization, Town, User

from ..constants import SignalKind
from ..models import DemandSignal
from .demand import demand_signal_record

# `new_project` signals come from the portal itself (a project recorded or pushed there).
PUSHABLE_KINDS = tuple(kind for kind in SignalKind.values if kind != SignalKind.NEW_PROJECT)
LOCATION_MAX_LENGTH = cast(int, DemandSignal._meta.get_field("location").max_length)


def _announced_twice(kind: str) -> dict[str, list[str]]:
    return {
        "project_code": [
            _("A %(kind)s signal was already recorded for this project.")
            % {"kind": SignalKind(kind).label}
        ]
    }


@transaction.atomic
def demand_signal_push(
    *,
    actor: User,
    source_organization: Organization,
    kind: str,
    title: str,
    town_code: str,
    expected_utilities: list[str],
    location: str = "",
    project_code: str | None = None,
    expected_loads: dict | None = None,
    expected_date: dt.date | None = None,
) -> DemandSignal:
    """A department tells the operators early of a land sale, investment deal, project approval
    or road-excavation plan; one DemandNotice per operator serving each utility in the town."""
    if not Membership.objects.filter(user=actor, organization=source_organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))
    if not (
        source_organization.provides_data
        or source_organization.kind == OrganizationKind.DATA_PROVIDER
    ):
        raise PermissionDenied(_("Only a data-providing department pushes demand signals."))
    errors: dict[str, list[str]] = {}
    if kind not in PUSHABLE_KINDS:
        errors["kind"] = [_("Name one of: %s") % ", ".join(PUSHABLE_KINDS)]
    town = Town.objects.filter(code=(town_code or "").strip()).first()
    if town is None:
        errors["town"] = [_("Unknown town code: %s") % town_code]
    project = None
    if project_code:
        project = Project.objects.filter(code=project_code.strip()).first()
        if project is None:
            errors["project_code"] = [_("No project with this code.")]
        elif kind in PUSHABLE_KINDS and project.demand_signals.filter(kind=kind).exists():
            errors.update(_announced_twice(kind))
    if len(location) > LOCATION_MAX_LENGTH:
        errors["location"] = [_("At most %s characters.") % LOCATION_MAX_LENGTH]
    loads = expected_loads or {}
    if stray := sorted(set(loads) - set(expected_utilities)):
        errors["expected_loads"] = [
            _("Give loads only for the expected utilities, not for: %s") % ", ".join(stray)
        ]
    if errors or town is None:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return demand_signal_record(
                source_organization=source_organization,
                kind=kind,
                title=title,
                town=town,
                expected_utilities=list(expected_utilities),
                location=location,
                project=project,
                expected_loads=loads,
                expected_date=expected_date,
            )
    except IntegrityError as exc:  # the same project and kind pushed concurrently
        raise ValidationError(_announced_twice(kind)) from exc
