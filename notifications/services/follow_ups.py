"""Turning the follow-up facts into messages (回访):

- A rating invitation (RatingInvitation, three working days after connection): the applicant
  organisation's inbox, and the person who submitted the request by e-mail and by SMS to a
  confirmed number, with the link to the request's tracking page where the rating form is.
- A follow-up opened (FollowUpHistory "open"): the workgroup's lead agencies (inbox, e-mail).
- A follow-up answered (cause and fix): the applicant organisation's inbox and the submitting
  person's e-mail, with the link to rate again.
- Escalations of a follow-up's missed deadline: notifications/services/coordination.py.
Messages are written in Chinese, the portal's first language. No contact details go out by
webhook: these messages have none.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from coordination.models import FollowUp, FollowUpHistory, RatingInvitation
from coordination.workflow import (
    NOTICE_FOLLOW_UP_ANSWERED,
    NOTICE_FOLLOW_UP_OPENED,
    follow_up_notice_of,
)
from workgroups.calendar import last_day_of
from workgroups.selectors import escalation_holders

from ..constants import EventType
from ..models import Delivery
from .recipients import Audience, save_deliveries, to_person


class _Message(TypedDict):
    event_type: str
    subject: str
    body: str
    payload: dict


def _url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


def handle_rating_invitations(invitations: list[RatingInvitation]) -> int:
    invitations = list(
        RatingInvitation.objects.filter(pk__in=[i.pk for i in invitations])
        .select_related(
            "service_application__combined__submitted_by", "service_application__operator"
        )
        .order_by("pk")
    )
    audience = Audience({i.organization_id for i in invitations})
    rows: list[Delivery] = []
    for invitation in invitations:
        sa = invitation.service_application
        combined = sa.combined
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"rating-invitation-{invitation.pk}")
        with override("zh-hans"):
            utility = sa.get_utility_display()
            subject = _("How was your %(utility)s connection? Rate the service") % {
                "utility": utility
            }
            body = "\n".join(
                [
                    _(
                        "%(utility)s was connected. Tell us how satisfied you are with the "
                        "service; a dissatisfied rating is followed up by the workgroup."
                    )
                    % {"utility": utility},
                    _url(reverse("applications:request_detail", args=[combined.uuid])),
                ]
            )
        message: _Message = {
            "event_type": EventType.RATING_INVITATION,
            "subject": subject,
            "body": body,
            "payload": {"service_application": str(sa.uuid), "utility": sa.utility},
        }
        rows += audience.to_organization(
            invitation.organization_id,
            event_id=event_id,
            email=False,
            webhook=False,
            **message,
        )
        rows += to_person(
            combined.submitted_by,
            organization_id=invitation.organization_id,
            event_id=uuid.uuid5(event_id, "submitter"),
            sms=True,
            **message,
        )
    return save_deliveries(rows)


def _payload(follow_up: FollowUp, entry: FollowUpHistory) -> dict:
    return {
        "follow_up": str(follow_up.uuid),
        "service_application": str(follow_up.service_application.uuid),
        "utility": follow_up.service_application.utility,
        "transition": entry.transition,
        "to": entry.to_state,
        "at": entry.at.isoformat(),
        "due_at": follow_up.due_at.isoformat() if follow_up.due_at else None,
    }


def handle_follow_up_history(entries: list[FollowUpHistory]) -> int:
    entries = list(
        FollowUpHistory.objects.filter(pk__in=[e.pk for e in entries])
        .select_related(
            "follow_up__service_application__combined__submitted_by",
            "follow_up__rating",
        )
        .order_by("pk")
    )
    holders = escalation_holders()
    orgs: set[int] = set()
    for entry in entries:
        orgs |= set(holders.leads.get(entry.follow_up.workgroup_id, frozenset()))
        orgs.add(entry.follow_up.organization_id)
    audience = Audience(orgs)
    rows: list[Delivery] = []
    for entry in entries:
        follow_up = entry.follow_up
        sa = follow_up.service_application
        notice = follow_up_notice_of(entry)
        payload = _payload(follow_up, entry)
        with override("zh-hans"):
            values = {
                "utility": sa.get_utility_display(),
                "level": follow_up.rating.get_level_display(),
            }
            if notice == NOTICE_FOLLOW_UP_OPENED:
                subject = _("Follow-up: %(utility)s rated “%(level)s”") % values
                due = last_day_of(follow_up.due_at) if follow_up.due_at else None
                body = "\n".join(
                    p
                    for p in (
                        follow_up.rating.comment[:500],
                        _("Call the applicant and answer by %(day)s.")
                        % {"day": f"{due:%Y-%m-%d}" if due else "—"},
                        _url(reverse("staff:follow_up", args=[follow_up.uuid])),
                    )
                    if p
                )
                for org_id in sorted(holders.leads.get(follow_up.workgroup_id, frozenset())):
                    rows += audience.to_organization(
                        org_id,
                        event_id=uuid.uuid5(entry.uuid, f"staff-{org_id}"),
                        event_type=EventType.FOLLOW_UP_OPENED,
                        subject=subject,
                        body=body,
                        payload=payload,
                        webhook=False,
                    )
            elif notice == NOTICE_FOLLOW_UP_ANSWERED:
                subject = _("Your rating of %(utility)s: what we found and fixed") % values
                body = "\n\n".join(
                    [
                        _("Cause: %(cause)s") % {"cause": follow_up.cause},
                        _("Fix: %(fix)s") % {"fix": follow_up.fix},
                        _("You may rate the service again:"),
                        _url(reverse("applications:request_detail", args=[sa.combined.uuid])),
                    ]
                )
                message: _Message = {
                    "event_type": EventType.FOLLOW_UP_ANSWERED,
                    "subject": subject,
                    "body": body,
                    "payload": payload,
                }
                rows += audience.to_organization(
                    follow_up.organization_id,
                    event_id=uuid.uuid5(entry.uuid, "applicant"),
                    email=False,
                    webhook=False,
                    **message,
                )
                rows += to_person(
                    sa.combined.submitted_by,
                    organization_id=follow_up.organization_id,
                    event_id=uuid.uuid5(entry.uuid, "submitter"),
                    **message,
                )
    return save_deliveries(rows)
