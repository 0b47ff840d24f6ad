"""Enumerations of messages and their delivery."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-portal inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Signed webhook")


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


class SignalKind(models.TextChoices):
    LAND_SALE = "land_sale", _("Land sale")
    INVESTMENT = "investment", _("Investment deal")
    PROJECT_APPROVAL = "project_approval", _("Project approval")
    ROAD_EXCAVATION = "road_excavation", _("Road excavation plan")
    NEW_PROJECT = "new_project", _("New project recorded")


class NoticeStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class WebhookAuditAction(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    CHANGED = "changed", _("Changed by staff")
