"""Enumerations of who is who (policy section 三 and 四)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Utility(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    WATER = "water", _("Water")
    GAS = "gas", _("Gas")
    NETWORK = "network", _("Network")
    CABLE_TV = "cable_tv", _("Cable TV")


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", _("Government agency")
    OPERATOR = "operator", _("Utility operator")
    AREA = "area", _("Area committee, town or sub-district")
    LEADERSHIP_OFFICE = "leadership_office", _("Leadership office")
    LEADING_GROUP = "leading_group", _("Leading group")
    DATA_PROVIDER = "data_provider", _("Data-providing department")
    APPLICANT_COMPANY = "applicant_company", _("Applicant company")


# Members of these organisations work on the staff site (/staff/).
STAFF_KINDS = frozenset(
    {
        OrganizationKind.AGENCY,
        OrganizationKind.OPERATOR,
        OrganizationKind.LEADERSHIP_OFFICE,
        OrganizationKind.LEADING_GROUP,
        # A department that pushes projects sees who claimed them (staff:projects).
        OrganizationKind.DATA_PROVIDER,
        # A town, sub-district or development zone reads the cases in its area and answers the
        # demands routed to it (docs/coordination.md).
        OrganizationKind.AREA,
    }
)


class WorkgroupRole(models.TextChoices):
    """The part an organisation plays in one of the five workgroups."""

    LEAD = "lead", _("Lead agency")
    MEMBER = "member", _("Member")
    OPERATOR = "operator", _("Operator")


class MemberRole(models.TextChoices):
    """The part a person plays inside their organisation."""

    STAFF = "staff", _("Staff")
    MANAGER = "manager", _("Manager")


class ApiTokenAction(models.TextChoices):
    """What was done to an API token (its audit trail)."""

    CREATED = "created", _("Created")
    ROTATED = "rotated", _("Rotated")
    REVOKED = "revoked", _("Revoked")


class ApiTokenChannel(models.TextChoices):
    """Where a token was created, rotated or revoked."""

    STAFF_SITE = "staff_site", _("Staff site")
    ADMIN = "admin", _("Administration")
    COMMAND = "command", _("Command line")


class Role(models.TextChoices):
    """Django groups for roles (DESIGN 6); a user's role follows from their organisation."""

    APPLICANT = "applicant", _("Applicant")
    OPERATOR = "operator", _("Operator staff")
    LEAD_AGENCY = "lead_agency", _("Workgroup lead agency staff")
    PERMIT_AGENCY = "permit_agency", _("Permit agency staff")
    AGENCY = "agency", _("Agency staff")
    LEADERSHIP_OFFICE = "leadership_office", _("Leadership office")
    LEADING_GROUP = "leading_group", _("Leading group")
    DATA_PROVIDER = "data_provider", _("Data provider")
    AREA = "area", _("Area committee or town staff")
    # The organisation that keeps the company registry (市场监督管理局): its pushes verify
    # applicant companies (workgroups/identity.py).
    COMPANY_REGISTRY = "company_registry", _("Company registry")


class Carrier(models.TextChoices):
    """Telecom carriers an applicant may prefer for network access."""

    TELECOM = "telecom", _("China Telecom")
    MOBILE = "mobile", _("China Mobile")
    UNICOM = "unicom", _("China Unicom")


class NetworkCarrier(models.TextChoices):
    """Which network carrier an operator organisation is: the carriers an applicant may prefer
    (`Carrier`) and China Tower, which builds shared towers and indoor systems."""

    TELECOM = Carrier.TELECOM.value, Carrier.TELECOM.label
    MOBILE = Carrier.MOBILE.value, Carrier.MOBILE.label
    UNICOM = Carrier.UNICOM.value, Carrier.UNICOM.label
    TOWER = "tower", _("China Tower")


class Stage(models.TextChoices):
    """Stages that carry a working-day SLA; values equal ServiceApplication states."""

    SUBMITTED = "submitted", _("Acceptance")
    ACCEPTED = "accepted", _("Site survey")
    SURVEYING = "surveying", _("Plan reply")
    PERMITTING = "permitting", _("Outside-line permits")
    CONSTRUCTING = "constructing", _("Outside-line construction")
    INSPECTING = "inspecting", _("Completion inspection and connection")


class SlaVariant(models.TextChoices):
    """A stage's SLA may differ by the size of the connection (DOMAIN: plan reply)."""

    STANDARD = "", _("Standard")
    LOW_VOLTAGE = "low_voltage", _("Low voltage")
    DUAL_SOURCE = "dual_source", _("Dual power source")


class PermitType(models.TextChoices):
    """Outside-line works permits (外线工程行政审批), decided in parallel."""

    PLANNING = "planning", _("Construction planning permit for lines")
    ROAD_EXCAVATION = "road_excavation", _("Urban road excavation permit")
    ROAD_OCCUPATION = "road_occupation", _("Road occupation traffic safety review")
    HIGHWAY = "highway", _("Highway administration permit")
    GREENING = "greening", _("Green space occupation and tree removal permit")


class VerificationStatus(models.TextChoices):
    """How far an applicant company has proven that it holds its 统一社会信用代码."""

    UNVERIFIED = "unverified", _("Not verified")
    AWAITING_REVIEW = "awaiting_review", _("Business licence awaiting review")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")


class VerifiedVia(models.TextChoices):
    """What proved a company's identity."""

    REGISTRY = "registry", _("Company registry data")
    REVIEW = "review", _("Business licence reviewed by staff")
    DISPUTE = "dispute", _("Dispute decided by staff")


class DisputeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("dispute status", "Open")
    DECIDED = "decided", _("Decided")


class DisputeSide(models.TextChoices):
    """Which side of a credit-code dispute staff found to hold the code."""

    HOLDER = "holder", _("The company that registered the code first")
    CLAIMANT = "claimant", _("The company that registered it second")


class AccessDoor(models.TextChoices):
    """Through which part of the portal personal data or a document was read (access log)."""

    STAFF_SITE = "staff_site", _("Staff site")
    API = "api", _("REST API")
    ADMIN = "admin", _("System administration")
    PORTAL = "portal", _("Portal pages (shared with applicants)")


class AccessKind(models.TextChoices):
    """What was read (access log): the kinds of personal data the portal holds."""

    CASE = "case", _("Case personal data")
    DOCUMENT = "document", _("Document")
    DECISION_PACKAGE = "decision_package", _("Decision package")
    DEMAND_CONTACT = "demand_contact", _("Demand contact data")
    DEMAND_ATTACHMENT = "demand_attachment", _("Demand attachment")
    COMPANY_IDENTITY = "company_identity", _("Company identity")
    PERSON_IDENTITY = "person_identity", _("Person identity")
