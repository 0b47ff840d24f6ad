"""The workgroups' own work: demands and suggestions, and the escalations of its deadlines."""

from .demands import Demand, DemandAttachment, DemandHistory
from .escalations import ItemEscalation, ItemEscalationEvent
from .follow_ups import FollowUp, FollowUpHistory, RatingInvitation
from .object_permissions import DemandGroupObjectPermission, DemandUserObjectPermission

__all__ = [
    "Demand",
    "DemandAttachment",
    "DemandGroupObjectPermission",
    "DemandHistory",
    "DemandUserObjectPermission",
    "FollowUp",
    "FollowUpHistory",
    "ItemEscalation",
    "ItemEscalationEvent",
    "RatingInvitation",
]
