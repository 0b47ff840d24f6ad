"""The public service guides (办事指南): one per utility, generated from the data the request
form and the submission service use (applications/registry.py: documents, commitment and
shared-data rules, stage plans; applications/sharing.py: the conditions under which the portal
fetches a document itself) and from the reference data staff maintain (the workgroup's lead
agencies and operators, the SLA per stage, the permit agencies). A change in any of them
changes the guide; nothing here restates a rule.

There is one guide per utility and business type (every BusinessType the request form
offers). The registry has one document list and stage plan per utility whatever the business
type, so the generated parts of a utility's guides agree; what differs is the prose the
workgroup's lead agency writes for each (GuideText, versioned: the guide shows the version in
force, its number and date).
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from applications.constants import BusinessType, DocumentType, Utility
from applications.models import CommitmentText
from applications.registry import (
    DOCUMENT_DESCRIPTIONS,
    DOCUMENT_RULES,
    SERVICE_DESCRIPTIONS,
    UTILITIES,
)
from applications.selectors.commitments import commitment_text_current
from applications.sharing import shared_data_condition
from workgroups.constants import PermitType, SlaVariant, Stage, WorkgroupRole
from workgroups.models import Organization, PermitAuthority, SlaPolicy, WorkgroupMembership

from .models import GuideText
from .selectors.guides import guide_text_current

# The city's government service hotline (12345政务服务便民热线) answers for every workgroup.
HOTLINE = "12345"
# The authorisation letter template is offered where this document is asked.
TEMPLATE_DOCUMENT = DocumentType.AUTHORISATION

_STAGES = list(Stage.values)
_VARIANTS = list(SlaVariant.values)


@dataclass
class GuideDocument:
    doc_type: str
    label: str
    description: str | Promise
    commitment_allowed: bool
    commitment_text: str
    shared_from: str
    shared_condition: str | Promise
    has_template: bool


@dataclass
class GuideStage:
    stage: str
    label: str
    variant: str
    variant_label: str
    working_days: int


@dataclass
class ServiceGuide:
    utility: str
    label: str
    summary: str | Promise
    fees: str | Promise
    fast_track: str | Promise
    business_types: list[Any]
    leads: list[Organization]
    operators: list[Organization]
    permits: list[tuple[str, Organization, int]]
    documents: list[GuideDocument]
    stages: list[GuideStage]
    total_working_days: int
    hotline: str = HOTLINE
    details: list[Any] = field(default_factory=list)
    business_type: str = ""
    business_type_label: str = ""
    # The lead agency's prose in force (None: not written yet) and its words in the page's
    # language ({"intro", "notes", "contacts"}).
    text: GuideText | None = None
    prose: dict[str, str] = field(default_factory=dict)


def guide_documents(utility: str) -> list[GuideDocument]:
    """The documents a request for `utility` needs, with the registry's rules and the
    commitment wording in force (the text an applicant signs instead of a document)."""
    try:
        wording: CommitmentText | None = commitment_text_current()
    except CommitmentText.DoesNotExist:
        wording = None
    rows = []
    for doc_type in UTILITIES[utility].documents:
        rule = DOCUMENT_RULES[doc_type]
        rows.append(
            GuideDocument(
                doc_type=doc_type,
                label=str(DocumentType(doc_type).label),
                description=DOCUMENT_DESCRIPTIONS.get(doc_type, ""),
                commitment_allowed=rule.commitment_allowed,
                commitment_text=(
                    wording.statement(DocumentType(doc_type).label)
                    if wording is not None and rule.commitment_allowed
                    else ""
                ),
                shared_from=rule.shared_from,
                shared_condition=shared_data_condition(doc_type),
                has_template=doc_type == TEMPLATE_DOCUMENT,
            )
        )
    return rows


def guide_stages(utility: str) -> list[GuideStage]:
    """The workgroup's time limit per stage (the SLA policy staff maintain), in case order."""
    rows = SlaPolicy.objects.filter(workgroup__code=utility).values(
        "stage", "variant", "working_days"
    )
    stages = [
        GuideStage(
            stage=r["stage"],
            label=str(Stage(r["stage"]).label) if r["stage"] in _STAGES else r["stage"],
            variant=r["variant"],
            variant_label=str(SlaVariant(r["variant"]).label) if r["variant"] else "",
            working_days=r["working_days"],
        )
        for r in rows
    ]
    stages.sort(
        key=lambda s: (
            _STAGES.index(s.stage) if s.stage in _STAGES else len(_STAGES),
            _VARIANTS.index(s.variant) if s.variant in _VARIANTS else len(_VARIANTS),
        )
    )
    return stages


def default_business_type() -> str:
    return str(BusinessType.values[0])


def service_guide(
    utility: str, business_type: str | None = None, *, zh: bool = True
) -> ServiceGuide:
    """The whole guide of one utility and business type (five queries)."""
    business_type = business_type or default_business_type()
    if utility not in UTILITIES or business_type not in BusinessType.values:
        raise KeyError(utility)
    text = guide_text_current(utility=utility, business_type=business_type)
    members = WorkgroupMembership.objects.filter(
        workgroup__code=utility, role__in=[WorkgroupRole.LEAD, WorkgroupRole.OPERATOR]
    ).select_related("organization")
    leads = [m.organization for m in members if m.role == WorkgroupRole.LEAD]
    operators = [m.organization for m in members if m.role == WorkgroupRole.OPERATOR]
    leads.sort(key=lambda o: o.code)
    operators.sort(key=lambda o: o.code)
    permits = [
        (str(PermitType(a.permit_type).label), a.agency, a.working_days)
        for a in PermitAuthority.objects.select_related("agency").order_by("permit_type")
    ]
    stages = guide_stages(utility)
    standard = [s for s in stages if s.variant == SlaVariant.STANDARD]
    description = SERVICE_DESCRIPTIONS[utility]
    return ServiceGuide(
        utility=utility,
        label=str(Utility(utility).label),
        summary=description.summary,
        fees=description.fees,
        fast_track=description.fast_track,
        business_types=list(BusinessType.choices),
        leads=leads,
        operators=operators,
        permits=permits,
        documents=guide_documents(utility),
        stages=stages,
        total_working_days=sum(s.working_days for s in standard),
        details=[f.label for f in UTILITIES[utility].details_form.base_fields.values()],
        business_type=business_type,
        business_type_label=str(BusinessType(business_type).label),
        text=text,
        prose=text.localised(zh) if text is not None else {},
    )


def guide_index() -> list[tuple[str, str]]:
    return [(u, str(Utility(u).label)) for u in UTILITIES]


def guide_business_types() -> list[tuple[str, str]]:
    """Every business type the request form offers, each with its own guide."""
    return [(str(code), str(label)) for code, label in BusinessType.choices]


__all__ = [
    "HOTLINE",
    "default_business_type",
    "guide_business_types",
    "guide_documents",
    "guide_index",
    "service_guide",
]
