"""One combined request for any of the five utilities, saved whole or not at all."""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import PermissionDenied, ValidationError
from core.workflow import apply_many
from workgroups.constants import NetworkCarrier
from workgroups.models import Organization, User, Workgroup
from workgroups.selectors import operators_by_utility
from workgroups.services import ensure_member

from ..constants import CONNECTION_BUSINESS_TYPES, BusinessType, Utility
from ..models import (
    WITHDRAWABLE,
    CombinedApplication,
    Commitment,
    CommitmentText,
    Document,
    DocumentLink,
    Project,
    ServiceApplication,
)
from ..permissions import grant_submission
from ..registry import UTILITIES, clean_details, document_unmet, documents_required
from ..selectors.commitments import commitment_text_current
from ..sharing import copies_not_standing, shared_document_sources
from ..workflow import SERVICE, permissions_of
from .commitments import commitment_terms
from .transitions import service_application_transition

# Choosing "payment" for a connection request: where fees are paid and questioned instead.
PAYMENT_IS_NO_REQUEST = gettext_lazy(
    "Choose new connection, change or relocation. Fees are paid to each operator against its "
    "quote on your request's page; a question about a fee is asked as a question (theme: "
    "Payment) about that request."
)


@dataclass
class SubmissionInput:
    """What the applicant sends: utility details keyed by utility, documents or commitments
    keyed by document type (each document once, whatever number of utilities need it)."""

    business_type: str
    utilities: dict[str, dict]
    documents: dict[str, Document] = field(default_factory=dict)
    commitments: dict[str, str] = field(default_factory=dict)  # doc type -> signed statement
    joint_outside_works: bool = False
    client_token: uuid.UUID | None = None
    # The wording version the commitments were signed under (default: the one in force).
    commitment_wording: CommitmentText | None = None


def _validate(
    data: SubmissionInput, applicant: Organization, project: Project
) -> tuple[dict[str, dict], list[str], dict]:
    """Clean every part and collect ALL errors, keyed `utility.field` / `documents.type`.

    What the portal fetches itself (`shared_document_sources`) is required of nobody: a
    department's pushed copy is linked whatever the input said, and the registry's data stands
    for the business licence, so an upload of it is not kept."""
    errors: dict[str, list] = {}
    if data.business_type not in CONNECTION_BUSINESS_TYPES:
        errors["business_type"] = [
            str(PAYMENT_IS_NO_REQUEST)
            if data.business_type == BusinessType.PAYMENT
            else _("Choose a business type.")
        ]
    if not data.utilities:
        errors["utilities"] = [_("Choose at least one utility.")]
    cleaned: dict[str, dict] = {}
    for utility, raw in data.utilities.items():
        if utility not in UTILITIES:
            errors["utilities"] = [_("Unknown utility: %s") % utility]
            continue
        try:
            cleaned[utility] = clean_details(utility, raw or {})
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"{utility}.{name}"] = messages

    required = documents_required(cleaned)
    shared_types = set()
    registry_licence: dict = {}
    for doc_type, shared in shared_document_sources(applicant, project).items():
        shared_types.add(doc_type)
        record = shared.registry_record
        if record is not None and doc_type in required:
            registry_licence = {
                "credit_code": record.credit_code,
                "name": record.name,
                "legal_representative": record.legal_representative,
                "pushed_at": record.pushed_at.isoformat(),
            }
        data.commitments.pop(doc_type, None)
        if shared.document is not None:
            data.documents[doc_type] = shared.document
        else:
            data.documents.pop(doc_type, None)
    revoked = copies_not_standing(data.documents.values())
    for doc_type in required:
        if doc_type in shared_types:
            continue
        document = data.documents.get(doc_type)
        key = f"documents.{doc_type}"
        if document is not None:
            if document.owner_id != applicant.pk or document.doc_type != doc_type:
                errors[key] = [_("This document does not belong to this request.")]
            elif document.pk in revoked:
                errors[key] = [
                    _(
                        "This shared document is no longer yours: the department reassigned "
                        "its project, or your company is not verified."
                    )
                ]
            continue
        committed = bool((data.commitments.get(doc_type) or "").strip())
        unmet = document_unmet(doc_type, uploaded=False, committed=committed)
        if unmet:
            errors[key] = [unmet]
    if errors:
        raise ValidationError(errors)
    return cleaned, required, registry_licence


def _operators_for(utility: str, details: dict, serving: list[Organization]) -> list[Organization]:
    """The operators that get a work item: one, or for network the serving operators of each
    chosen carrier (and China Tower when a tower is needed), as their `carrier` says."""
    if utility != Utility.NETWORK:
        return serving[:1]
    wanted = list(details["preferred_carriers"])
    if details.get("tower_needed"):
        wanted.append(NetworkCarrier.TOWER)
    return [org for carrier in wanted for org in serving if org.carrier == carrier]


@transaction.atomic
def combined_application_submit(
    *,
    actor: User,
    applicant: Organization,
    project: Project,
    data: SubmissionInput,
    now: dt.datetime | None = None,
) -> CombinedApplication:
    """Validate everything, then create the request, one application per operator, the
    document links, commitments, audit rows and permissions in one transaction.

    The number of queries does not depend on the number of utilities or documents. A repeated
    `client_token` returns the request created the first time and creates nothing.
    """
    ensure_member(actor, applicant)
    if project.owner_id != applicant.pk:
        raise PermissionDenied(_("This project belongs to another applicant."))
    if data.client_token is not None:
        existing = CombinedApplication.objects.filter(client_token=data.client_token).first()
        if existing is not None:
            if existing.applicant_id != applicant.pk:
                raise PermissionDenied(_("This submission token is already used."))
            return existing
    cleaned, required_docs, registry_licence = _validate(data, applicant, project)

    serving = operators_by_utility(utilities=cleaned, town=project.town)
    targets: list[tuple[str, Organization]] = []
    for utility, details in cleaned.items():
        operators = _operators_for(utility, details, serving[utility])
        if not operators:
            raise ValidationError(
                {utility: _("No operator serves this utility in %s.") % project.town}
            )
        targets += [(utility, operator) for operator in operators]

    workgroups = {wg.code: wg for wg in Workgroup.objects.filter(code__in=cleaned)}
    now = now or timezone.now()
    try:
        with transaction.atomic():
            combined = CombinedApplication.objects.create(
                project=project,
                applicant=applicant,
                business_type=data.business_type,
                joint_outside_works=data.joint_outside_works,
                submitted_by=actor,
                submitted_at=now,
                client_token=data.client_token,
                registry_licence=registry_licence,
            )
    except IntegrityError:
        # A concurrent duplicate with the same token won the race: answer with its request.
        return CombinedApplication.objects.get(client_token=data.client_token)
    combined.reference = f"ZS{now:%Y}{combined.pk:07d}"
    CombinedApplication.objects.filter(pk=combined.pk).update(reference=combined.reference)

    signed = {
        doc_type: statement
        for doc_type, statement in data.commitments.items()
        if doc_type in required_docs and doc_type not in data.documents and statement.strip()
    }
    services = ServiceApplication.objects.bulk_create(
        [
            ServiceApplication(
                combined=combined,
                utility=utility,
                workgroup=workgroups[utility],
                operator=operator,
                details=cleaned[utility],
                unverified_commitments=len(signed.keys() & set(UTILITIES[utility].documents)),
                **UTILITIES[utility].stage_plan(cleaned[utility]).fields(),
            )
            for utility, operator in targets
        ]
    )

    links = [
        DocumentLink(service_application=sa, document=data.documents[doc_type], doc_type=doc_type)
        for sa in services
        for doc_type in UTILITIES[sa.utility].documents
        if doc_type in data.documents
    ]
    DocumentLink.objects.bulk_create(links)
    if signed:
        wording = data.commitment_wording or commitment_text_current(at=now)
        terms = commitment_terms(signed, signed_at=now)
        Commitment.objects.bulk_create(
            [
                Commitment(
                    combined=combined,
                    doc_type=doc_type,
                    statement=statement,
                    wording=wording,
                    signed_by=actor,
                    signed_at=now,
                    **terms.get(doc_type, {}),
                )
                for doc_type, statement in signed.items()
            ]
        )
    grant_submission(combined, services)
    perms = permissions_of(actor, services)
    apply_many(
        SERVICE,
        services,
        "submit",
        actor=actor,
        perms=perms,
        now=now,
        extra={"organization": applicant},
    )
    return combined


@transaction.atomic
def combined_application_withdraw(
    *, actor: User, combined: CombinedApplication, reason: str = ""
) -> list[ServiceApplication]:
    """Withdraw every utility of the request that may still be withdrawn."""
    if not actor.has_perm("applications.view_combinedapplication", combined):
        raise PermissionDenied(_("You may not withdraw this request."))
    withdrawn = []
    for sa in combined.services.order_by("pk"):
        if sa.status in WITHDRAWABLE:
            withdrawn.append(
                service_application_transition(
                    actor=actor,
                    service_application=sa,
                    transition="withdraw",
                    data={"reason": reason},
                )
            )
    return withdrawn
