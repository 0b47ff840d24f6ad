"""What staff read of coordination meetings and action items, each read scoped to the caller.

Who sees a meeting (guardian rows granted when it is scheduled, coordination/permissions.py):
the convening organisation, the workgroup's lead agencies and every invited organisation
(operators and towns included, read-only); the leadership bodies see every meeting. Anybody
else asking for a meeting by its id is told it does not exist.

Who sees an action item: its owner organisation (its queue), its workgroup's lead agencies,
whoever sees its meeting, and the leadership bodies (every workgroup's).

The agenda's pre-fill (`agenda_prefill`) is the one read that decides what a new meeting
discusses: the workgroup's open matters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from applications.constants import CLOCKED_STATES, EscalationStatus, ServiceStatus
from applications.models import Escalation, RatingLevel, ServiceApplication
from workgroups.constants import OrganizationKind, WorkgroupRole
from workgroups.models import Membership, Organization, WorkgroupMembership

from ..constants import (
    OPEN_DEMAND_STATES,
    OPEN_FOLLOW_UP_STATES,
    ActionItemStatus,
    AgendaKind,
    MeetingStatus,
    Utility,
)
from ..models import (
    ActionItem,
    ActionItemHistory,
    AgendaItem,
    Demand,
    FollowUp,
    ItemEscalation,
    ItemEscalationEvent,
    Meeting,
    MeetingGroupObjectPermission,
    MeetingHistory,
)
from ..models.meetings import AGENDA_TEXT_MAX_LENGTH

OVERSIGHT_KINDS = frozenset({OrganizationKind.LEADERSHIP_OFFICE, OrganizationKind.LEADING_GROUP})


@dataclass(frozen=True)
class MeetingScope:
    """The caller's organisations and what they make of the caller for meetings."""

    org_ids: frozenset[int] = frozenset()
    lead_workgroup_ids: frozenset[int] = frozenset()  # the workgroups they lead
    oversight: bool = False
    # The leadership office convenes meetings across workgroups.
    office_ids: frozenset[int] = frozenset()
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.org_ids) or self.superuser

    @property
    def may_convene(self) -> bool:
        return bool(self.lead_workgroup_ids or self.office_ids) or self.superuser


def meeting_scope(*, user) -> MeetingScope:
    """Two queries: the caller's memberships (applicant companies aside) and the workgroups
    they lead."""
    if not user.is_authenticated:
        return MeetingScope()
    if user.is_superuser:
        return MeetingScope(oversight=True, superuser=True)
    rows = list(
        Membership.objects.filter(user=user)
        .exclude(organization__kind=OrganizationKind.APPLICANT_COMPANY)
        .values_list("organization_id", "organization__kind")
    )
    if not rows:
        return MeetingScope()
    org_ids = frozenset(pk for pk, _kind in rows)
    return MeetingScope(
        org_ids=org_ids,
        lead_workgroup_ids=frozenset(
            WorkgroupMembership.objects.filter(
                organization_id__in=org_ids, role=WorkgroupRole.LEAD
            ).values_list("workgroup_id", flat=True)
        ),
        oversight=any(kind in OVERSIGHT_KINDS for _pk, kind in rows),
        office_ids=frozenset(pk for pk, kind in rows if kind == OrganizationKind.LEADERSHIP_OFFICE),
    )


def _viewable_meeting_ids(user) -> QuerySet:
    return MeetingGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="view_meeting"
    ).values("content_object_id")


def visible_meetings(*, user, scope: MeetingScope) -> QuerySet:
    if scope.oversight:
        return Meeting.objects.all()
    if not scope.is_staff:
        return Meeting.objects.none()
    return Meeting.objects.filter(pk__in=_viewable_meeting_ids(user))


def managed_meeting_ids(*, user, meeting_ids) -> set[int]:
    """Which of `meeting_ids` the caller manages, in one query (for a list's buttons)."""
    if user.is_superuser:
        return set(meeting_ids)
    return set(
        MeetingGroupObjectPermission.objects.filter(
            group__user=user,
            permission__codename="manage_meeting",
            content_object_id__in=list(meeting_ids),
        ).values_list("content_object_id", flat=True)
    )


def meeting_list(*, user, scope: MeetingScope, state: str = "upcoming") -> QuerySet:
    """The caller's meetings: upcoming (scheduled) soonest first, or past ones latest first,
    with their workgroup and convening organisation and the number of open action items."""
    qs = visible_meetings(user=user, scope=scope).select_related("workgroup", "organizer")
    if state == "upcoming":
        return qs.filter(status=MeetingStatus.SCHEDULED).order_by("starts_at", "pk")
    if state == "past":
        qs = qs.exclude(status=MeetingStatus.SCHEDULED)
    return qs.order_by("-starts_at", "-pk")


def meeting_for_staff(*, user, scope: MeetingScope, uuid) -> Meeting | None:
    """One meeting the caller may open, with its agenda, invitations, action items and
    history, or None."""
    return (
        visible_meetings(user=user, scope=scope)
        .filter(uuid=uuid)
        .select_related("workgroup", "organizer", "created_by")
        .prefetch_related(
            Prefetch("agenda", queryset=AgendaItem.objects.order_by("position", "pk")),
            Prefetch("invited", queryset=Organization.objects.order_by("kind", "code")),
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("owner", "workgroup").order_by(
                    "due_day", "pk"
                ),
            ),
            Prefetch("history", queryset=MeetingHistory.objects.select_related("actor")),
        )
        .first()
    )


def last_meeting_held(*, workgroup_id: int | None, before: dt.datetime) -> dt.datetime | None:
    """When the workgroup's (or, for None, the cross-workgroup) last meeting was held before
    `before`: the agenda's new demands are those received since."""
    which = Q(workgroup__isnull=True) if workgroup_id is None else Q(workgroup_id=workgroup_id)
    return Meeting.objects.filter(
        which,
        status__in=(MeetingStatus.HELD, MeetingStatus.PUBLISHED),
        held_at__lt=before,
    ).aggregate(last=Max("held_at"))["last"]


# --- The agenda's pre-fill ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    """One open matter proposed for a meeting's agenda: its kind, the row it is about (the
    foreign key's name and value on AgendaItem) and how the agenda reads it."""

    kind: str
    field: str
    pk: int
    text: str


def _clip(text: str) -> str:
    return text[:AGENDA_TEXT_MAX_LENGTH]


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def agenda_prefill(
    *, workgroup_id: int | None, since: dt.datetime | None, now: dt.datetime
) -> list[AgendaEntry]:
    """The workgroup's open matters a meeting should discuss, in this order, each list oldest
    first, in five queries whatever their number:

    1. unresolved escalations of its cases (applications.Escalation);
    2. unresolved escalations and referrals of its demands, follow-ups and action items
       (ItemEscalation);
    3. its overdue cases (a running clock past its deadline);
    4. its open follow-ups of bad ratings;
    5. its open demands and suggestions received after `since` (its last meeting; all open
       ones when it never met).
    A meeting across workgroups (`workgroup_id` None) takes every workgroup's matters.
    """
    wg = Q() if workgroup_id is None else Q(workgroup_id=workgroup_id)
    entries: list[AgendaEntry] = []

    case_wg = Q() if workgroup_id is None else Q(service_application__workgroup_id=workgroup_id)
    for pk, ref, utility, stage, tier in (
        Escalation.objects.filter(case_wg)
        .exclude(status=EscalationStatus.RESOLVED)
        .order_by("opened_at", "pk")
        .values_list(
            "pk",
            "service_application__combined__reference",
            "service_application__utility",
            "stage",
            "tier",
        )
    ):
        text = _("Escalated case %(ref)s (%(utility)s, %(stage)s, tier %(tier)s)") % {
            "ref": ref or "—",
            "utility": _label(Utility, utility),
            "stage": _label(ServiceStatus, stage),
            "tier": tier,
        }
        entries.append(AgendaEntry(AgendaKind.ESCALATION, "escalation", pk, _clip(text)))

    for escalation in (
        ItemEscalation.objects.filter(wg)
        .exclude(status=EscalationStatus.RESOLVED)
        .select_related("demand", "follow_up", "action_item")
        .order_by("opened_at", "pk")
    ):
        item = escalation.item
        subject = (
            escalation.demand.title
            if escalation.demand
            else str(item)
            if item is not None
            else escalation.stage
        )
        text = _("%(kind)s: %(subject)s (%(origin)s, tier %(tier)s)") % {
            "kind": escalation.get_item_kind_display(),
            "subject": subject,
            "origin": escalation.get_origin_display(),
            "tier": escalation.tier,
        }
        entries.append(
            AgendaEntry(AgendaKind.ITEM_ESCALATION, "item_escalation", escalation.pk, _clip(text))
        )

    for pk, ref, utility, status in (
        ServiceApplication.objects.filter(wg, status__in=CLOCKED_STATES, due_at__lt=now)
        .order_by("due_at", "pk")
        .values_list("pk", "combined__reference", "utility", "status")
    ):
        text = _("Overdue case %(ref)s (%(utility)s, %(status)s)") % {
            "ref": ref or "—",
            "utility": _label(Utility, utility),
            "status": _label(ServiceStatus, status),
        }
        entries.append(AgendaEntry(AgendaKind.OVERDUE_CASE, "service_application", pk, _clip(text)))

    for pk, ref, utility, level in (
        FollowUp.objects.filter(wg, status__in=OPEN_FOLLOW_UP_STATES)
        .order_by(F("due_at").asc(nulls_last=True), "pk")
        .values_list(
            "pk",
            "service_application__combined__reference",
            "service_application__utility",
            "rating__level",
        )
    ):
        text = _("Follow-up of %(ref)s (%(utility)s rated %(level)s)") % {
            "ref": ref or "—",
            "utility": _label(Utility, utility),
            "level": _label(RatingLevel, level),
        }
        entries.append(AgendaEntry(AgendaKind.FOLLOW_UP, "follow_up", pk, _clip(text)))

    demands = Demand.objects.filter(wg, status__in=OPEN_DEMAND_STATES)
    if since is not None:
        demands = demands.filter(submitted_at__gt=since)
    for pk, reference, title in demands.order_by("submitted_at", "pk").values_list(
        "pk", "reference", "title"
    ):
        text = _("New demand %(ref)s: %(title)s") % {"ref": reference, "title": title}
        entries.append(AgendaEntry(AgendaKind.DEMAND, "demand", pk, _clip(text)))
    return entries


# --- Action items --------------------------------------------------------------------------------


def visible_action_items(*, user, scope: MeetingScope) -> QuerySet:
    """Their organisation's action items, their workgroups' (as lead agency), those of the
    meetings they see; every one for the leadership bodies."""
    if scope.oversight:
        return ActionItem.objects.all()
    if not scope.is_staff:
        return ActionItem.objects.none()
    return ActionItem.objects.filter(
        Q(owner_id__in=scope.org_ids)
        | Q(workgroup_id__in=scope.lead_workgroup_ids)
        | Q(meeting_id__in=_viewable_meeting_ids(user))
    )


def action_item_queue(*, user, scope: MeetingScope, state: str = "open") -> QuerySet:
    """The caller's action items, soonest due first: `open`, `mine` (open and owned by their
    organisation: the owner's queue), `referred` (open and with the leadership office),
    `closed` (done or dropped) or `all`."""
    qs = visible_action_items(user=user, scope=scope)
    if state == "open":
        qs = qs.filter(status=ActionItemStatus.OPEN)
    elif state == "mine":
        qs = qs.filter(status=ActionItemStatus.OPEN, owner_id__in=scope.org_ids)
    elif state == "referred":
        qs = qs.filter(status=ActionItemStatus.OPEN, referral_open=True)
    elif state == "closed":
        qs = qs.exclude(status=ActionItemStatus.OPEN)
    return qs.select_related("owner", "workgroup", "meeting").order_by(
        F("due_at").asc(nulls_last=True), "pk"
    )


def action_item_for_staff(*, user, scope: MeetingScope, uuid) -> ActionItem | None:
    return (
        visible_action_items(user=user, scope=scope)
        .filter(uuid=uuid)
        .select_related("owner", "workgroup", "meeting__workgroup", "done_by")
        .prefetch_related(
            Prefetch("history", queryset=ActionItemHistory.objects.select_related("actor")),
            Prefetch(
                "escalations",
                queryset=ItemEscalation.objects.select_related(
                    "referred_by", "resolved_by"
                ).prefetch_related(
                    Prefetch(
                        "events",
                        queryset=ItemEscalationEvent.objects.select_related("actor").order_by(
                            "at", "pk"
                        ),
                    )
                ),
            ),
        )
        .first()
    )


def invitable_organizations() -> QuerySet:
    """Whom a meeting may invite: agencies, operators, towns and sub-districts, the leadership
    bodies and data providers (never applicant companies)."""
    return Organization.objects.exclude(kind=OrganizationKind.APPLICANT_COMPANY).order_by(
        "kind", "code"
    )
