"""Early demand notices (关口前移): one per operator serving the expected utilities there."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.errors import IllegalTransition, NotFound
from notifications.constants import Channel, EventType, NoticeStatus
from notifications.models import Delivery, DemandNotice, WebhookEndpoint
from notifications.services import (
    demand_notice_acknowledge,
    demand_notices_remind,
    demand_signal_record,
)
from tests.factories import staff_of
from workgroups.models import Organization, Town

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def land_sale(reference):
    def record(town="xiaolan", utilities=("electricity", "gas", "network")):
        return demand_signal_record(
            source_organization=Organization.objects.get(code="natural-resources"),
            kind="land_sale",
            title="小榄镇工业用地挂牌出让 XL2026-17",
            town=Town.objects.get(code=town),
            expected_utilities=list(utilities),
            expected_loads={"electricity": "约 2000 kVA"},
            expected_date=dt.date(2027, 3, 1),
        )

    return record


def test_a_signal_reaches_every_operator_serving_that_town(land_sale):
    signal = land_sale()
    notices = {n.operator.code: n.utilities for n in signal.notices.select_related("operator")}
    assert notices == {
        "csg-zhongshan": ["electricity"],
        "crgas-zs": ["gas"],  # 小榄 is China Resources Gas's franchise, not Towngas's
        "telecom-zs": ["network"],
        "mobile-zs": ["network"],
        "unicom-zs": ["network"],
        "tower-zs": ["network"],
    }
    inbox = Delivery.objects.filter(channel=Channel.IN_APP, event_type=EventType.DEMAND_NOTICE)
    assert inbox.count() == 6
    assert "小榄镇" in inbox.filter(recipient_organization__code="crgas-zs").get().body


def test_webhooks_and_emails_go_where_configured(land_sale):
    power = Organization.objects.get(code="csg-zhongshan")
    WebhookEndpoint.objects.create(organization=power, url="https://csg.example/hook", secret="s")
    staff_of("csg-zhongshan", email="dispatch@csg.example")
    land_sale(utilities=["electricity"])
    channels = sorted(
        Delivery.objects.filter(recipient_organization=power).values_list("channel", flat=True)
    )
    assert channels == [Channel.EMAIL, Channel.IN_APP, Channel.WEBHOOK]


def test_bad_signals_are_refused_with_field_errors(reference):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        demand_signal_record(
            source_organization=Organization.objects.get(code="investment"),
            kind="rumour",
            title=" ",
            town=Town.objects.get(code="shiqi"),
            expected_utilities=["steam"],
        )
    assert set(caught.value.message_dict) == {"kind", "title", "expected_utilities"}
    assert DemandNotice.objects.count() == 0


def test_an_operator_acknowledges_only_its_own_notice_once(land_sale):
    signal = land_sale(utilities=["electricity", "water"])
    notice = signal.notices.get(operator__code="csg-zhongshan")
    with pytest.raises(NotFound):
        demand_notice_acknowledge(actor=staff_of("zs-water"), notice=notice)
    power = staff_of("csg-zhongshan")
    demand_notice_acknowledge(actor=power, notice=notice)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ACKNOWLEDGED
    with pytest.raises(IllegalTransition):
        demand_notice_acknowledge(actor=power, notice=notice)


def test_unacknowledged_notices_get_one_reminder_after_a_working_day(land_sale):
    with time_machine.travel(dt.datetime(2025, 9, 30, 10, tzinfo=CST), tick=False):
        signal = land_sale(utilities=["electricity", "water"])
    demand_notice_acknowledge(
        actor=staff_of("zs-water"), notice=signal.notices.get(operator__code="zs-water")
    )
    # 1-8 October are holidays: a working day has not passed yet on the 8th.
    assert demand_notices_remind(now=dt.datetime(2025, 10, 8, 23, tzinfo=CST)) == 0
    assert demand_notices_remind(now=dt.datetime(2025, 10, 9, 9, tzinfo=CST)) == 1
    assert demand_notices_remind(now=dt.datetime(2025, 10, 20, 9, tzinfo=CST)) == 0
    reminders = Delivery.objects.filter(event_type=EventType.DEMAND_REMINDER)
    assert list(reminders.values_list("recipient_organization__code", flat=True)) == [
        "csg-zhongshan"
    ]
