"""Company identity: who holds a 统一社会信用代码 (unified social credit code), how it is proven.

An applicant company registers with a credit code; that alone proves nothing (anyone can type
one). It becomes *verified* either
- by the company registry's data: the market regulator (市场监督管理局, the organisation with
  `keeps_company_registry`) pushes credit code, name and legal representative over the API; a
  company holding that code whose registered name matches (after normalising spaces and
  full-width characters) is verified at once; a push before the company registers is kept and
  verifies it when it registers with a matching name; or
- by staff review of its business licence (the registry's staff, or an administrator).
A second registration of a code already held opens a dispute for those staff instead of a
silent refusal: the second account gets its own company, unverified and disputed, and staff
decide which one holds the code; both are told (notifications reads the identity events).

Only verified companies claim projects departments pushed (免证办) and receive the documents
shared with them (applications/services/claims.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workflow import apply, apply_many

from .constants import DisputeSide, DisputeStatus, OrganizationKind, VerificationStatus
from .models import (
    CompanyDispute,
    CompanyIdentity,
    CompanyIdentityEvent,
    CompanyRegistryRecord,
    Membership,
    Organization,
    PersonIdentity,
    User,
)
from .validators import (
    normalize_resident_id,
    normalize_uscc,
    validate_resident_id,
    validate_uscc,
)
from .workflow import (
    COMPANY,
    DISPUTE,
    DISPUTE_KEPT,
    DISPUTE_OPENED,
    REASON_MAX_LENGTH,
    identity_event,
    may_review_identities,
)

V = VerificationStatus

__all__ = [
    "RegistryOutcome",
    "RegistryPush",
    "company_dispute_decide",
    "company_dispute_open",
    "company_identity_of",
    "company_identity_start",
    "company_is_verified",
    "company_registry_push",
    "company_review_accept",
    "company_review_refuse",
    "company_review_request",
    "company_name_key",
    "person_id_number_set",
    "person_identity_of",
    "may_review_identities",
]


def company_name_key(name: str) -> str:
    """A company name as compared with the registry's: full-width forms folded (NFKC turns
    （）ＡＢＣ１２３ and the ideographic space into their ASCII forms) and every space removed.
    Nothing else is forgiven: a different character is a different name."""
    folded = unicodedata.normalize("NFKC", name or "")
    return "".join(folded.split())


def company_identity_of(organization: Organization | None) -> CompanyIdentity | None:
    """The company's identity row (None for a one-person organisation and non-applicants)."""
    if organization is None or organization.kind != OrganizationKind.APPLICANT_COMPANY:
        return None
    return CompanyIdentity.objects.filter(organization=organization).first()


def company_is_verified(organization: Organization | None) -> bool:
    return (
        organization is not None
        and CompanyIdentity.objects.filter(organization=organization, status=V.VERIFIED).exists()
    )


def _registry_match(identity: CompanyIdentity, name: str) -> CompanyRegistryRecord | None:
    record = CompanyRegistryRecord.objects.filter(credit_code=identity.credit_code).first()
    if record is not None and company_name_key(record.name) == company_name_key(name):
        return record
    return None


@transaction.atomic
def company_identity_start(
    *, organization: Organization, credit_code: str, match_registry: bool = True
) -> CompanyIdentity:
    """The identity of a newly registered company: verified at once when the registry's data
    for its code, pushed earlier, names it; unverified otherwise."""
    identity, _created = CompanyIdentity.objects.get_or_create(
        organization=organization, defaults={"credit_code": credit_code}
    )
    if match_registry and identity.status == V.UNVERIFIED:
        record = _registry_match(identity, organization.name_zh)
        if record is not None:
            identity = apply(
                COMPANY, identity, "match_registry", actor=None, data={"record": record.pk}
            )
    return identity


@transaction.atomic
def company_dispute_open(
    *, holder: Organization, claimant: Organization, claimant_user: User | None, credit_code: str
) -> CompanyDispute:
    """A second registration of `credit_code`: the claimant's company waits, disputed, and so
    does the holder unless it is verified already (a verified holder keeps working: anybody
    could otherwise freeze a verified company by typing its code)."""
    holder_identity, _ = CompanyIdentity.objects.get_or_create(
        organization=holder, defaults={"credit_code": credit_code}
    )
    claimant_identity, _ = CompanyIdentity.objects.get_or_create(
        organization=claimant, defaults={"credit_code": credit_code}
    )
    identities = {
        i.pk: i
        for i in CompanyIdentity.objects.select_for_update().filter(
            pk__in=[holder_identity.pk, claimant_identity.pk]
        )
    }
    holder_identity, claimant_identity = (
        identities[holder_identity.pk],
        identities[claimant_identity.pk],
    )
    dispute = CompanyDispute.objects.create(
        credit_code=credit_code, holder=holder, claimant=claimant, claimant_user=claimant_user
    )
    now = timezone.now()
    extra = {"dispute": dispute}
    apply_many(COMPANY, [claimant_identity], "open_dispute", actor=None, now=now, extra=extra)
    if holder_identity.status in (V.UNVERIFIED, V.AWAITING_REVIEW):
        apply_many(COMPANY, [holder_identity], "open_dispute", actor=None, now=now, extra=extra)
    else:
        identity_event(
            holder_identity,
            DISPUTE_OPENED,
            from_state=holder_identity.status,
            actor=None,
            at=now,
            dispute=dispute,
        ).save()
    return dispute


@transaction.atomic
def company_dispute_decide(
    *, actor: User, dispute: CompanyDispute, side: str, reason: str
) -> CompanyDispute:
    """Staff decide which company holds the code. The winner is verified (or, verified
    already, keeps it); the loser is detached from the code and stays unverified. Both are
    told, with the reason."""
    if side not in DisputeSide.values:
        raise ValidationError({"side": _("Choose which company holds the code.")})
    reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    dispute = apply(
        DISPUTE,
        dispute,
        f"decide_for_{side}",
        actor=actor,
        data={"reason": reason},
    )
    winner_org, loser_org = (
        (dispute.holder, dispute.claimant)
        if side == DisputeSide.HOLDER
        else (dispute.claimant, dispute.holder)
    )
    rows = {
        i.organization_id: i
        for i in CompanyIdentity.objects.select_for_update().filter(
            organization__in=[winner_org, loser_org]
        )
    }
    winner, loser = rows[winner_org.pk], rows[loser_org.pk]
    now = dispute.decided_at or timezone.now()
    extra = {"dispute": dispute}
    data = {"reason": reason}
    # Whoever else holds the code now (a dispute decided before this one) frees it too.
    others = list(
        CompanyIdentity.objects.select_for_update()
        .filter(organization__unified_social_credit_code=dispute.credit_code)
        .exclude(pk__in=[winner.pk, loser.pk])
    )
    for identity in [loser, *others]:
        if identity.credit_code == dispute.credit_code:
            apply_many(COMPANY, [identity], "detach", actor=actor, now=now, data=data, extra=extra)
    winner.credit_code = dispute.credit_code
    if winner.status == V.VERIFIED:
        identity_event(
            winner,
            DISPUTE_KEPT,
            from_state=winner.status,
            actor=actor,
            at=now,
            reason=reason,
            dispute=dispute,
        ).save()
        winner.save(update_fields=["credit_code"])
        Organization.objects.filter(pk=winner.organization_id).update(
            unified_social_credit_code=dispute.credit_code
        )
    else:
        if winner.status != V.DISPUTED:
            apply_many(COMPANY, [winner], "open_dispute", actor=None, now=now, extra=extra)
        apply_many(COMPANY, [winner], "settle", actor=actor, now=now, data=data, extra=extra)
    return dispute


@transaction.atomic
def company_review_request(*, actor: User, organization: Organization) -> CompanyIdentity:
    """A manager of the company asks staff to check its business licence (the licence itself
    is the applicant's document: applications/services/identity.py)."""
    identity = company_identity_of(organization)
    if identity is None:
        raise PermissionDenied(_("Only an applicant company is verified."))
    if not identity.credit_code:
        raise ValidationError(
            _("Your company is not linked to a credit code any more: contact the market regulator.")
        )
    return apply(COMPANY, identity, "request_review", actor=actor)


@transaction.atomic
def company_review_accept(*, actor: User, identity: CompanyIdentity) -> CompanyIdentity:
    return apply(COMPANY, identity, "accept_review", actor=actor)


@transaction.atomic
def company_review_refuse(
    *, actor: User, identity: CompanyIdentity, reason: str
) -> CompanyIdentity:
    return apply(
        COMPANY,
        identity,
        "refuse_review",
        actor=actor,
        data={"reason": (reason or "").strip()[:REASON_MAX_LENGTH]},
    )


class RegistryOutcome:
    """What a registry push did for the company that registered in the portal with the code."""

    VERIFIED = "verified"  # its name matches: verified now
    ALREADY_VERIFIED = "already_verified"
    NAME_DIFFERS = "name_differs"  # left unverified: staff review its licence
    DISPUTED = "disputed"  # two registrations: staff decide, with this data beside them
    NOT_REGISTERED = "not_registered"  # kept: verifies the company when it registers


@dataclass(frozen=True)
class RegistryPush:
    record: CompanyRegistryRecord
    created: bool
    outcome: str


@transaction.atomic
def company_registry_push(
    *,
    actor: User,
    organization: Organization,
    credit_code: str,
    name: str,
    legal_representative: str,
) -> RegistryPush:
    """The company registry states who holds `credit_code`. The data is kept (the latest push
    wins) with when and by whom; the company holding the code in the portal is verified if
    its name matches. Every invalid field is reported at once."""
    if not organization.keeps_company_registry or not organization.is_active:
        raise PermissionDenied(_("Only the company registry pushes company data."))
    if not Membership.objects.filter(user=actor, organization=organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))
    code = normalize_uscc(credit_code)
    errors: dict[str, list[str]] = {}
    try:
        validate_uscc(code)
    except ValidationError as exc:
        errors["credit_code"] = exc.messages
    name = (name or "").strip()
    legal_representative = (legal_representative or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [_("Give the registered name, at most 200 characters.")]
    if not legal_representative or len(legal_representative) > 100:
        errors["legal_representative"] = [
            _("Give the legal representative's name, at most 100 characters.")
        ]
    if errors:
        raise ValidationError(errors)
    record, created = CompanyRegistryRecord.objects.select_for_update().get_or_create(
        credit_code=code,
        defaults={
            "name": name,
            "legal_representative": legal_representative,
            "pushed_by": actor,
            "pushed_by_organization": organization,
        },
    )
    if not created:
        record.name, record.legal_representative = name, legal_representative
        record.pushed_at, record.pushed_by = timezone.now(), actor
        record.pushed_by_organization = organization
        record.save()
    return RegistryPush(record, created, _verify_holder(actor, record))


def _verify_holder(actor: User, record: CompanyRegistryRecord) -> str:
    identity = (
        CompanyIdentity.objects.select_for_update()
        .filter(
            organization__unified_social_credit_code=record.credit_code,
            organization__kind=OrganizationKind.APPLICANT_COMPANY,
        )
        .select_related("organization")
        .first()
    )
    if identity is None:
        waiting = CompanyIdentity.objects.filter(
            credit_code=record.credit_code, status=V.DISPUTED
        ).exists()
        return RegistryOutcome.DISPUTED if waiting else RegistryOutcome.NOT_REGISTERED
    if (
        identity.status == V.DISPUTED
        or CompanyDispute.objects.filter(
            credit_code=record.credit_code, status=DisputeStatus.OPEN
        ).exists()
    ):
        return RegistryOutcome.DISPUTED
    if identity.status == V.VERIFIED:
        if identity.registry_record_id is None:
            identity.registry_record = record
            identity.save(update_fields=["registry_record", "updated_at"])
        return RegistryOutcome.ALREADY_VERIFIED
    if company_name_key(identity.organization.name_zh) != company_name_key(record.name):
        return RegistryOutcome.NAME_DIFFERS
    apply(
        COMPANY,
        identity,
        "verify_by_registry",
        actor=actor,
        data={"record": record.pk},
        locked=True,
    )
    return RegistryOutcome.VERIFIED


def identity_events(*, identity: CompanyIdentity):
    return CompanyIdentityEvent.objects.filter(identity=identity).select_related("actor")


# A person applying for their own home (a one-person organisation, no company identity).


def _is_person(organization: Organization) -> bool:
    return (
        organization.kind == OrganizationKind.APPLICANT_COMPANY
        and not organization.unified_social_credit_code
        and not CompanyIdentity.objects.filter(organization=organization).exists()
    )


def person_identity_of(organization: Organization | None) -> PersonIdentity | None:
    if organization is None:
        return None
    return PersonIdentity.objects.filter(organization=organization).first()


@transaction.atomic
def person_id_number_set(
    *, actor: User, organization: Organization, id_number: str
) -> PersonIdentity:
    """Record (or correct) the ID-card number of a person applicant, checked by its check
    character and kept encrypted; companies prove themselves by their credit code instead."""
    if not Membership.objects.filter(user=actor, organization=organization).exists():
        raise PermissionDenied(_("You do not act for this organisation."))
    if not _is_person(organization):
        raise PermissionDenied(
            _("Only a person applying for their own home gives an ID-card number.")
        )
    number = normalize_resident_id(id_number)
    try:
        validate_resident_id(number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from exc
    identity, _created = PersonIdentity.objects.update_or_create(
        organization=organization, defaults={"id_number": number, "given_by": actor}
    )
    return identity
