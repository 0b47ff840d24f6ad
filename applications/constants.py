"""Enumerations of the cases: states, business types, documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workgroups.constants import PermitType, Utility

__all__ = [
    "BreachAction",
    "BusinessType",
    "ClaimAction",
    "ClockEvent",
    "CommitmentStatus",
    "CONNECTION_BUSINESS_TYPES",
    "DocumentSource",
    "DocumentType",
    "FeeStatus",
    "JointWorksStatus",
    "Party",
    "PermitStatus",
    "PermitType",
    "ProjectKind",
    "ProjectSource",
    "PaymentSource",
    "ServiceStatus",
    "SharedFrom",
    "Utility",
    "WorksType",
]


class ServiceStatus(models.TextChoices):
    """States of one utility's application (DESIGN 3)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")
    ACCEPTED = "accepted", _("Accepted")
    SURVEYING = "surveying", _("Site survey")
    PLAN_ISSUED = "plan_issued", _("Plan issued, awaiting confirmation")
    PERMITTING = "permitting", _("Outside-line permits")
    CONSTRUCTING = "constructing", _("Construction")
    INSPECTING = "inspecting", _("Completion inspection")
    CONNECTED = "connected", _("Connected")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # A commitment (承诺制) was broken and its rule pauses the case until the document is in.
    SUSPENDED = "suspended", _("Paused: a commitment was not kept")


class JointWorksStatus(models.TextChoices):
    """States of a joint works plan (联合施工, 同步开挖/安装/回填)."""

    PROPOSED = "proposed", _("Proposed, awaiting confirmations")
    CONFIRMED = "confirmed", _("Confirmed by every operator")
    PERMITTED = "permitted", _("Outside-line permits approved")
    EXCAVATING = "excavating", _("Excavating")
    INSTALLED = "installed", _("Every conduit installed")
    BACKFILLED = "backfilled", _("Backfilled")
    RESTORED = "restored", _("Road restored")
    CANCELLED = "cancelled", _("Cancelled")


# Joint works plans whose trench is still to be dug: others may be offered to join them.
JOINT_WORKS_OPEN = (
    JointWorksStatus.PROPOSED,
    JointWorksStatus.CONFIRMED,
    JointWorksStatus.PERMITTED,
)
# States in which a participant is bound to the plan (its permits and stage follow the plan).
JOINT_WORKS_ACTIVE = (
    JointWorksStatus.PROPOSED,
    JointWorksStatus.CONFIRMED,
    JointWorksStatus.PERMITTED,
    JointWorksStatus.EXCAVATING,
    JointWorksStatus.INSTALLED,
    JointWorksStatus.BACKFILLED,
    JointWorksStatus.RESTORED,
)


class Party(models.TextChoices):
    """Who holds a case while it is in a stage: whose time the days are."""

    GOVERNMENT = "government", _("Government")
    OPERATOR = "operator", _("Utility operator")
    APPLICANT = "applicant", _("Applicant")


# Who holds each open stage (DOMAIN "Stages and default SLAs"): the operator accepts, surveys,
# builds and inspects; the permit agencies decide in parallel; the applicant corrects and
# confirms the plan and fee. The per-case clock and the indicators split time by this table.
STAGE_PARTY = {
    ServiceStatus.SUBMITTED: Party.OPERATOR,
    ServiceStatus.RETURNED: Party.APPLICANT,
    ServiceStatus.ACCEPTED: Party.OPERATOR,
    ServiceStatus.SURVEYING: Party.OPERATOR,
    ServiceStatus.PLAN_ISSUED: Party.APPLICANT,
    ServiceStatus.PERMITTING: Party.GOVERNMENT,
    ServiceStatus.CONSTRUCTING: Party.OPERATOR,
    ServiceStatus.INSPECTING: Party.OPERATOR,
    # Paused on a broken commitment: the applicant owes the document, the clock waits.
    ServiceStatus.SUSPENDED: Party.APPLICANT,
}
# States in which the applicant holds the case: the working-day clock is paused.
APPLICANT_HOLDS = frozenset(s for s, party in STAGE_PARTY.items() if party == Party.APPLICANT)
# States from which nothing moves any more.
FINAL_STATES = frozenset({ServiceStatus.CLOSED, ServiceStatus.REJECTED, ServiceStatus.WITHDRAWN})
# Open states whose clock runs (the SLA sweep looks only at these).
CLOCKED_STATES = frozenset(
    {
        ServiceStatus.SUBMITTED,
        ServiceStatus.ACCEPTED,
        ServiceStatus.SURVEYING,
        ServiceStatus.PERMITTING,
        ServiceStatus.CONSTRUCTING,
        ServiceStatus.INSPECTING,
    }
)


class PermitStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class BusinessType(models.TextChoices):
    """The policy's business types (DESIGN 9). The first three are connection requests; a
    payment (缴费) is settled on the case it belongs to, and a question or dispute about a
    connection charge is a demand of the theme "payment" about that case (coordination)."""

    NEW_CONNECTION = "new_connection", _("New connection")
    CHANGE = "change", _("Change or capacity increase")
    RELOCATION = "relocation", _("Relocation")
    PAYMENT = "payment", _("Payment of connection charges")


# What one files a combined connection request for (the request form and the submission).
CONNECTION_BUSINESS_TYPES = (
    BusinessType.NEW_CONNECTION,
    BusinessType.CHANGE,
    BusinessType.RELOCATION,
)


class PaymentSource(models.TextChoices):
    """Through which door a fee payment was recorded."""

    API = "api", _("Operator's billing system (API)")
    STAFF = "staff", _("Staff, from the receipt")


class FeeStatus(models.TextChoices):
    """Where one utility's connection fee stands, as the pages show it."""

    NONE = "none", _("No fee quoted")
    QUOTED = "quoted", _("Quoted, awaiting your confirmation")
    CONFIRMED = "confirmed", _("Confirmed, not yet paid")
    PART_PAID = "part_paid", _("Partly paid")
    PAID = "paid", _("Paid")


class ProjectKind(models.TextChoices):
    NEW = "new", _("New construction")
    RENOVATION = "renovation", _("Renovation")
    EXPANSION = "expansion", _("Expansion")


class WorksType(models.TextChoices):
    BUILDING = "building", _("Building works")
    MUNICIPAL = "municipal", _("Municipal infrastructure works")


class ProjectSource(models.TextChoices):
    APPLICANT = "applicant", _("Entered by the applicant")
    SHARED_DATA = "shared_data", _("From shared data")


class ClaimAction(models.TextChoices):
    """What happened to who holds a pushed project (免证办)."""

    PUSHED = "pushed", _("Pushed by the department")
    CLAIMED = "claimed", _("Claimed by the company")
    REASSIGNED = "reassigned", _("Reassigned by the department")
    CODE_ISSUED = "code_issued", _("Claim code issued")


class DocumentType(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    AUTHORISATION = "authorisation", _("Legal representative certificate or power of attorney")
    PROPERTY_RIGHT = "property_right", _("Property or land-use right certificate")
    PLANNING_PERMIT = "planning_permit", _("Construction project planning permit")
    CONSTRUCTION_PERMIT = "construction_permit", _("Building construction permit")
    SITE_PLAN = "site_plan", _("Site plan and utility layout")
    ELECTRICAL_EQUIPMENT = "electrical_equipment", _("List of electrical equipment")
    GAS_EQUIPMENT = "gas_equipment", _("List of gas appliances")


class DocumentSource(models.TextChoices):
    UPLOAD = "upload", _("Uploaded")
    SHARED_DATA = "shared_data", _("From shared data")


class SharedFrom(models.TextChoices):
    """Where the portal itself fetches a document (免证办), so the applicant submits nothing."""

    NOWHERE = "", _("Not from shared data")
    COMPANY_REGISTRY = "company_registry", _("The company registry's data")
    PROJECT_PUSH = "project_push", _("A department's push of the project")


class ClockEvent(models.TextChoices):
    NONE = "", _("None")
    PAUSED = "paused", _("Clock paused")
    RESUMED = "resumed", _("Clock resumed")


class CommitmentStatus(models.TextChoices):
    """Where a signed commitment (承诺制) stands: the document promised, supplied, accepted by
    the agency that verifies it, or the promise broken."""

    PENDING = "pending", _("Document not yet supplied")
    SUBMITTED = "submitted", _("Document supplied, awaiting verification")
    VERIFIED = "verified", _("Kept: document verified")
    BREACHED = "breached", _("Broken")


class BreachAction(models.TextChoices):
    """What a broken commitment does to the applications that relied on it."""

    PAUSE = "pause", _("Pause the application until the document is verified")
    STOP = "stop", _("Stop the application")


class EscalationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("escalation status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class EscalationEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    CLIMBED = "climbed", _("Moved up a tier")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
