"""Enumerations of messages and their delivery."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-portal inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Signed webhook")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed (parked)")


class EventType(models.TextChoices):
    WORK_ITEM_ASSIGNED = "work_item.assigned", _("Work item assigned")
    STATE_CHANGED = "service_application.state_changed", _("Application state changed")
    PERMIT_ISSUED = "permit.issued", _("Permit request issued")
    DEMAND_NOTICE = "demand_notice.created", _("Early demand notice")
    DEMAND_REMINDER = "demand_notice.reminder", _("Early demand notice reminder")
    ESCALATION = "escalation.changed", _("Escalation")
    DEMAND_RECEIVED = "demand.received", _("Demand or suggestion received")
    DEMAND_ACKNOWLEDGED = "demand.acknowledged", _("Demand or suggestion acknowledged")
    DEMAND_ANSWERED = "demand.answered", _("Demand or suggestion answered")
    DEMAND_REOPENED = "demand.reopened", _("Demand or suggestion reopened")
    RATING_INVITATION = "rating.invitation", _("Invitation to rate the service")
    FOLLOW_UP_OPENED = "follow_up.opened", _("Follow-up of a bad rating opened")
    FOLLOW_UP_ANSWERED = "follow_up.answered", _("Follow-up of a bad rating answered")
    ACTION_ITEM_ASSIGNED = "action_item.assigned", _("Meeting action item assigned")
    ACTION_ITEM_DONE = "action_item.done", _("Meeting action item done")
    WEBHOOK_PAUSED = "webhook_endpoint.paused", _("Webhook endpoint paused")
    WEBHOOK_RESUMED = "webhook_endpoint.resumed", _("Webhook endpoint resumed")
    COMPANY_IDENTITY = "company.identity", _("Company verification")
    MOBILE_CODE = "account.mobile_code", _("Mobile confirmation code")
    PROJECT_SHARED = "project.shared", _("Project shared with the company")
    PROJECT_CLAIMED = "project.claimed", _("Pushed project claimed")
    PROJECT_REASSIGNED = "project.reassigned", _("Pushed project reassigned")
    POLICY_NOTICE = "policy_notice.published", _("Policy notice published")
    JOINT_WORKS = "joint_works.changed", _("Joint works plan changed")


class SignalKind(models.TextChoices):
    LAND_SALE = "land_sale", _("Land sale")
    INVESTMENT = "investment", _("Investment deal")
    PROJECT_APPROVAL = "project_approval", _("Project approval")
    ROAD_EXCAVATION = "road_excavation", _("Road excavation plan")
    NEW_PROJECT = "new_project", _("New project recorded")


class NoticeStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("notice status", "New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class WebhookAuditAction(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    CHANGED = "changed", _("Changed by staff")
    PAUSED = "paused", _("Paused after failures")
    RESUMED = "resumed", _("Resumed after a probe")
    PROBE_REQUESTED = "probe_requested", _("Probe requested by staff")


class CircuitState(models.TextChoices):
    """A webhook endpoint's circuit breaker: closed (delivering), open (paused), half-open."""

    DELIVERING = "delivering", _("Delivering")
    PAUSED = "paused", _("Paused (failing)")
    PROBING = "probing", _("Probing")


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    HTTP_ERROR = "http_error", _("Error status")
    TIMEOUT = "timeout", _("Timed out")
    CONNECTION_ERROR = "connection_error", _("Connection failed")
    REFUSED = "refused", _("Address refused")
    UNDELIVERABLE = "undeliverable", _("Nowhere to deliver")


# Outcomes that say the receiver is unwell: they count towards pausing its endpoint. An
# undeliverable message (endpoint removed, no email address) says nothing about the receiver.
RECEIVER_FAILURES = frozenset(
    {
        AttemptOutcome.HTTP_ERROR,
        AttemptOutcome.TIMEOUT,
        AttemptOutcome.CONNECTION_ERROR,
        AttemptOutcome.REFUSED,
    }
)
