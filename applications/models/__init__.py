"""The cases: projects, combined requests, one application per utility, permits, documents,
the audit trail, escalations, the applicant's drafts and ratings, and API bookkeeping."""

from .api import (
    WorkItemLease,
)
from .audit import (
    StateChange,
)
from .documents import (
    Commitment,
    Document,
    DocumentLink,
)
from .escalations import (
    Escalation,
    EscalationEvent,
)
from .feedback import (
    BAD_RATINGS,
    Draft,
    Rating,
    RatingLevel,
)
from .kpi import KpiRefresh, KpiRollup
from .object_permissions import (
    CombinedApplicationGroupObjectPermission,
    CombinedApplicationUserObjectPermission,
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    PermitRequestGroupObjectPermission,
    PermitRequestUserObjectPermission,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    ServiceApplicationGroupObjectPermission,
    ServiceApplicationUserObjectPermission,
)
from .permits import (
    PermitRequest,
)
from .requests import (
    CombinedApplication,
    Project,
)
from .service import (
    APPLICANT_PERM,
    LEAD_REVIEW_PERM,
    LEAD_REVIEW_TRANSITIONS,
    OPERATOR_PERM,
    SYSTEM_TRANSITIONS,
    TRANSITION_PERMISSIONS,
    WITHDRAWABLE,
    ServiceApplication,
    may_perform,
)

__all__ = [
    "TRANSITION_PERMISSIONS",
    "APPLICANT_PERM",
    "BAD_RATINGS",
    "CombinedApplication",
    "KpiRefresh",
    "KpiRollup",
    "CombinedApplicationGroupObjectPermission",
    "CombinedApplicationUserObjectPermission",
    "Commitment",
    "Document",
    "DocumentGroupObjectPermission",
    "DocumentLink",
    "DocumentUserObjectPermission",
    "Draft",
    "Escalation",
    "EscalationEvent",
    "LEAD_REVIEW_PERM",
    "LEAD_REVIEW_TRANSITIONS",
    "OPERATOR_PERM",
    "PermitRequest",
    "PermitRequestGroupObjectPermission",
    "PermitRequestUserObjectPermission",
    "Project",
    "ProjectGroupObjectPermission",
    "ProjectUserObjectPermission",
    "Rating",
    "RatingLevel",
    "ServiceApplication",
    "ServiceApplicationGroupObjectPermission",
    "ServiceApplicationUserObjectPermission",
    "StateChange",
    "SYSTEM_TRANSITIONS",
    "WITHDRAWABLE",
    "may_perform",
    "WorkItemLease",
]
