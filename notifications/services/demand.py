"""Early demand signals (关口前移): one notice per operator serving the expected utilities there."""

import datetime as dt
import uuid
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.constants import Utility
from applications.models import Project
from core.errors import ValidationError
from core.workflow import apply
from workgroups.calendar import working_day_cutoff
from workgroups.models import Organization, Town, User
from workgroups.selectors import operators_by_utility

from ..constants import EventType, NoticeStatus, SignalKind
from ..models import DemandNotice, DemandSignal
from ..texts import compose, names
from ..workflow import NOTICE
from .recipients import Audience, save_deliveries


def _notice_message(signal: DemandSignal, utilities: list[str]) -> tuple[dict, dict]:
    """The notice's catalogue parameters and its payload."""
    params = {
        "title": signal.title,
        "town": names(signal.town),
        "utilities": list(utilities),
    }
    payload = {
        "signal": str(signal.uuid),
        "kind": signal.kind,
        "title": signal.title,
        "town": signal.town.code,
        "location": signal.location,
        "utilities": utilities,
        "expected_loads": signal.expected_loads,
        "expected_date": signal.expected_date.isoformat() if signal.expected_date else None,
        "project_code": signal.project.code if signal.project else None,
    }
    return params, payload


@transaction.atomic
def demand_signal_record(
    *,
    source_organization: Organization,
    kind: str,
    title: str,
    town: Town,
    expected_utilities: list[str],
    location: str = "",
    project: Project | None = None,
    expected_loads: dict | None = None,
    expected_date: dt.date | None = None,
) -> DemandSignal:
    """Record the signal, fan it out to the operators and write their messages, in one go."""
    errors = {}
    if kind not in SignalKind.values:
        errors["kind"] = [_("Unknown kind of signal.")]
    unknown = [u for u in expected_utilities if u not in Utility.values]
    if not expected_utilities or unknown:
        errors["expected_utilities"] = [_("Name one or more of: %s") % ", ".join(Utility.values)]
    if not title.strip():
        errors["title"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    signal = DemandSignal.objects.create(
        kind=kind,
        source_organization=source_organization,
        title=title.strip()[:200],
        town=town,
        location=location,
        project=project,
        expected_utilities=sorted(set(expected_utilities)),
        expected_loads=expected_loads or {},
        expected_date=expected_date,
    )
    serving = operators_by_utility(utilities=signal.expected_utilities, town=town)
    per_operator: dict[Organization, list[str]] = defaultdict(list)
    for utility, operators in serving.items():
        for operator in operators:
            per_operator[operator].append(utility)
    notices = DemandNotice.objects.bulk_create(
        [
            DemandNotice(signal=signal, operator=operator, utilities=sorted(utilities))
            for operator, utilities in per_operator.items()
        ]
    )
    audience = Audience(n.operator_id for n in notices)
    rows = []
    for notice in notices:
        params, payload = _notice_message(signal, notice.utilities)
        payload["notice"] = str(notice.uuid)
        rows += audience.to_organization(
            notice.operator_id,
            event_id=notice.uuid,
            event_type=EventType.DEMAND_NOTICE,
            payload=payload,
            **compose("demand_notice.created", params),
        )
    save_deliveries(rows)
    return signal


def demand_notice_acknowledge(*, actor: User, notice: DemandNotice) -> DemandNotice:
    """The operator confirms it has seen the notice (counted on its scorecard)."""
    return apply(NOTICE, notice, "acknowledge", actor=actor)


@transaction.atomic
def demand_notices_remind(*, now: dt.datetime | None = None) -> int:
    """Remind operators once of notices left unacknowledged for a working day."""
    now = now or timezone.now()
    cutoff = working_day_cutoff(now, 1)
    overdue = list(
        DemandNotice.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=NoticeStatus.NEW, reminded_at__isnull=True, created_at__lt=cutoff)
        .select_related("signal__town", "signal__project")
    )
    audience = Audience(n.operator_id for n in overdue)
    rows = []
    for notice in overdue:
        params, payload = _notice_message(notice.signal, notice.utilities)
        payload["notice"] = str(notice.uuid)
        rows += audience.to_organization(
            notice.operator_id,
            event_id=uuid.uuid5(notice.uuid, "reminder"),
            event_type=EventType.DEMAND_REMINDER,
            payload=payload,
            **compose("demand_notice.reminder", params),
        )
    save_deliveries(rows)
    DemandNotice.objects.filter(pk__in=[n.pk for n in overdue]).update(reminded_at=now)
    return len(overdue)
