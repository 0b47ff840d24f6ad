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
    CommitmentEvent,
    CommitmentText,
    Document,
    DocumentLink,
    LicenceReview,
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
from .fees import (
    FeePayment,
)
from .joint_works import (
    JointWorksEvent,
    JointWorksParticipant,
    JointWorksPlan,
    RoadWorksPlan,
)
from .object_permissions import (
    CombinedApplicationGroupObjectPermission,
    CombinedApplicationUserObjectPermission,
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    JointWorksPlanGroupObjectPermission,
    JointWorksPlanUserObjectPermission,
    PermitRequestGroupObjectPermission,
    PermitRequestUserObjectPermission,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    ServiceApplicationGroupObjectPermission,
    ServiceApplicationUserObjectPermission,
)
from .packages import (
    DecisionPackage,
)
from .permits import (
    PermitRequest,
)
from .requests import (
    CombinedApplication,
    Project,
    ProjectClaimEvent,
)
from .service import (
    WITHDRAWABLE,
    ServiceApplication,
)

__all__ = [
    "BAD_RATINGS",
    "CombinedApplication",
    "CombinedApplicationGroupObjectPermission",
    "CombinedApplicationUserObjectPermission",
    "Commitment",
    "CommitmentEvent",
    "CommitmentText",
    "DecisionPackage",
    "Document",
    "DocumentGroupObjectPermission",
    "DocumentLink",
    "DocumentUserObjectPermission",
    "Draft",
    "Escalation",
    "EscalationEvent",
    "FeePayment",
    "JointWorksEvent",
    "JointWorksParticipant",
    "JointWorksPlan",
    "JointWorksPlanGroupObjectPermission",
    "JointWorksPlanUserObjectPermission",
    "LicenceReview",
    "PermitRequest",
    "PermitRequestGroupObjectPermission",
    "PermitRequestUserObjectPermission",
    "Project",
    "ProjectClaimEvent",
    "ProjectGroupObjectPermission",
    "ProjectUserObjectPermission",
    "Rating",
    "RoadWorksPlan",
    "RatingLevel",
    "ServiceApplication",
    "ServiceApplicationGroupObjectPermission",
    "ServiceApplicationUserObjectPermission",
    "StateChange",
    "WITHDRAWABLE",
    "WorkItemLease",
]
