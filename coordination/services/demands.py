"""Demands and suggestions: submission (routing, checks, deadlines, permissions) and every move
of one through the transition table (coordination/workflow.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.constants import ServiceStatus
from applications.models import ServiceApplication
from applications.selectors.applicant import applicant_organization
from applications.services.documents import sanitize_filename, upload_checked
from core.errors import NotFound, ValidationError
from core.workflow import apply
from workgroups.calendar import local_date
from workgroups.models import Town, User, Workgroup
from workgroups.validators import normalize_mobile, validate_mobile

from ..access import LinkHolder, LinkPermissions, demand_access_valid
from ..clock import deadline, enter_state
from ..constants import DemandKind, DemandStatus, DemandTheme, Utility
from ..models import Demand, DemandAttachment, DemandHistory
from ..permissions import grant_demand
from ..registry import (
    ADDRESS_MAX_LENGTH,
    ATTACHMENTS_MAX,
    DEMAND_LIMITS,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from ..workflow import COMMENT_MAX_LENGTH, DEMAND

CONTACT_NAME_MAX_LENGTH = 60


@dataclass(frozen=True)
class DemandInput:
    """What a person submits (the public form's cleaned data, or a test's)."""

    kind: str
    theme: str
    utility: str
    town: Town | None
    title: str
    description: str
    address: str = ""
    service_application: ServiceApplication | None = None
    contact_name: str = ""
    contact_mobile: str = ""
    contact_email: str = ""
    attachments: Sequence[UploadedFile] = field(default_factory=tuple)


def _check_text(data: DemandInput, errors: dict[str, list[str]]) -> None:
    for name, value, limit, required in (
        ("title", data.title, TITLE_MAX_LENGTH, True),
        ("description", data.description, DESCRIPTION_MAX_LENGTH, True),
        ("address", data.address, ADDRESS_MAX_LENGTH, False),
    ):
        if "\x00" in value:
            errors[name] = [_("Null characters are not allowed.")]
        elif required and not value.strip():
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %s characters.") % limit]
    for name, choices in (("kind", DemandKind), ("theme", DemandTheme), ("utility", Utility)):
        if getattr(data, name) not in choices.values:
            errors[name] = [_("Choose one of the listed options.")]
    if data.town is None:
        errors["town"] = [_("Choose the town or sub-district it concerns.")]


def _contact(data: DemandInput, actor: User | None, errors: dict[str, list[str]]) -> dict:
    """The contact staff may call back: given on the form, or the account's own details."""
    name = data.contact_name.strip()
    mobile = normalize_mobile(data.contact_mobile)
    email = data.contact_email.strip()
    if actor is not None:
        name = name or actor.get_full_name() or actor.username
        mobile = mobile or actor.mobile
        email = email or actor.email
    elif not name:
        errors["contact_name"] = [_("Tell us your name, so that we can answer you.")]
    if actor is None and not (mobile or email):
        errors["contact_mobile"] = [_("Give a mobile number or an e-mail address.")]
    if mobile:
        try:
            validate_mobile(mobile)
        except ValidationError as exc:
            errors["contact_mobile"] = list(exc.messages)
    return {
        "contact_name": name[:CONTACT_NAME_MAX_LENGTH],
        "contact_mobile": mobile,
        "contact_email": email,
    }


def _case(
    data: DemandInput, organization_id: int | None, errors: dict[str, list[str]]
) -> ServiceApplication | None:
    """The submitter's own case the demand is about, never another organisation's."""
    case = data.service_application
    if case is None:
        return None
    own = (
        organization_id is not None
        and ServiceApplication.objects.filter(pk=case.pk, combined__applicant_id=organization_id)
        .exclude(status=ServiceStatus.DRAFT)
        .exists()
    )
    if not own:
        errors["case"] = [_("Choose one of your own applications.")]
        return None
    if case.utility != data.utility:
        errors["case"] = [
            _("This application is for %(utility)s.") % {"utility": case.get_utility_display()}
        ]
    return case


def _attachments(uploads: Sequence[UploadedFile], errors: dict[str, list[str]]) -> list[tuple]:
    if len(uploads) > ATTACHMENTS_MAX:
        errors["attachments"] = [_("At most %s files.") % ATTACHMENTS_MAX]
        return []
    checked, seen = [], set()
    for upload in uploads:
        try:
            sha256, content_type, extension, size = upload_checked(upload, field="attachments")
        except ValidationError as exc:
            name = sanitize_filename(upload.name or "")
            errors.setdefault("attachments", []).extend(f"{name}: {m}" for m in exc.messages)
            continue
        if sha256 not in seen:
            seen.add(sha256)
            checked.append((upload, sha256, content_type, extension, size))
    return checked


@transaction.atomic
def demand_submit(
    *, actor: User | None, data: DemandInput, now: dt.datetime | None = None
) -> Demand:
    """Record a demand from a signed-in person (for their applicant organisation) or from
    someone without an account (with a contact), route it to its utility's workgroup and its
    town, stamp its deadlines and record the fact. Field-keyed errors, or CalendarMissing when
    the working-day calendar cannot give its deadlines."""
    now = now or timezone.now()
    actor = actor if actor is not None and actor.is_authenticated else None
    organization = applicant_organization(user=actor) if actor is not None else None
    errors: dict[str, list[str]] = {}
    _check_text(data, errors)
    contact = _contact(data, actor, errors)
    case = _case(data, organization.pk if organization else None, errors)
    files = _attachments(data.attachments, errors)
    if errors:
        raise ValidationError(errors)
    demand = Demand(
        kind=data.kind,
        theme=data.theme,
        utility=data.utility,
        workgroup=Workgroup.objects.get(code=data.utility),
        town=data.town,
        address=data.address.strip(),
        title=data.title.strip(),
        description=data.description.strip(),
        service_application=case,
        organization=organization,
        submitted_by=actor,
        submitted_at=now,
        **contact,
    )
    enter_state(DEMAND_LIMITS, demand, now=now, state=DemandStatus.SUBMITTED)
    acknowledge_due = demand.due_at
    answer_due = deadline(DEMAND_LIMITS, demand, DemandStatus.ACKNOWLEDGED)
    # The registry gives both a limit.
    assert acknowledge_due is not None and answer_due is not None  # noqa: S101
    demand.acknowledge_due_at, demand.answer_due_at = acknowledge_due, answer_due
    demand.save()
    demand.reference = f"SQ{local_date(now):%Y}{demand.pk:07d}"
    Demand.objects.filter(pk=demand.pk).update(reference=demand.reference)
    for upload, sha256, content_type, extension, size in files:
        attachment = DemandAttachment(
            demand=demand,
            original_name=sanitize_filename(upload.name or ""),
            content_type=content_type,
            extension=extension,
            size_bytes=size,
            sha256=sha256,
        )
        attachment.file.save(f"{sha256}{extension}", upload, save=False)
        attachment.save()
    DemandHistory.objects.create(
        demand=demand,
        transition="submit",
        from_state="",
        to_state=demand.status,
        actor=actor,
        actor_organization=organization,
        actor_label="" if actor is not None else demand.contact_name,
        at=now,
        due_at=demand.due_at,
    )
    grant_demand(demand)
    return demand


def demand_transition(
    *,
    actor: User,
    demand: Demand,
    transition: str,
    data: dict | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Demand:
    """A person moves a demand: staff acknowledge, answer, close; the submitter says whether
    the answer solved it."""
    if "\x00" in (comment or ""):
        raise ValidationError({"comment": _("Null characters are not allowed.")})
    return apply(
        DEMAND,
        demand,
        transition,
        actor=actor,
        data=data,
        comment=(comment or "")[:COMMENT_MAX_LENGTH],
        now=now,
    )


def demand_transition_by_link(
    *, demand: Demand, token: str, transition: str, data: dict | None = None
) -> Demand:
    """The submitter without an account, through their private link: only the submitter's
    own steps on this one demand."""
    if not demand_access_valid(demand, token):
        raise NotFound(str(DEMAND.not_found))
    holder = LinkHolder(demand.contact_name or _("Submitter"))
    return apply(
        DEMAND,
        demand,
        transition,
        actor=holder,
        data=data,
        perms=LinkPermissions(demand, holder),
    )
