"""The operator reads the escalations of its own work items in the API (issue 14 item 3): the
case's missed deadlines and its referrals up by the workgroup, in a list that costs the same
number of queries whatever it holds."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Escalation, ServiceApplication
from applications.services import sla_sweep
from coordination.models import ItemEscalation
from coordination.services import case_refer_up
from tests.factories import staff_of

pytestmark = pytest.mark.django_db

REASON = "外线需穿越市政道路，多部门审批意见不一，需市级统筹。"


@pytest.fixture
def case(submit):
    combined = submit(["electricity", "water"])
    return combined, {sa.utility: sa for sa in combined.services.all()}


def staff(code):
    return staff_of(code, username=f"api-{code}")


def test_the_operator_api_lists_both_kinds_of_escalation(case, make_token, bearer):
    _, services = case
    sa = services["electricity"]
    api = bearer(make_token("csg-zhongshan"))
    url = f"/api/v1/work-items/{sa.uuid}/"
    api.get(url)  # first use of the token is noted
    with CaptureQueriesContext(connection) as none_yet:
        assert api.get(url).json()["escalations"] == []

    case_refer_up(actor=staff("ndrc"), service_application=sa, reason=REASON)
    ServiceApplication.objects.filter(pk=sa.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    sla_sweep()
    referral = ItemEscalation.objects.get()
    deadline = Escalation.objects.get(service_application=sa)
    with CaptureQueriesContext(connection) as both:
        body = api.get(url).json()
    assert len(both) == len(none_yet)  # the list costs the same whatever it holds
    rows = {row["uuid"]: row for row in body["escalations"]}
    assert set(rows) == {str(referral.uuid), str(deadline.uuid)}
    assert rows[str(referral.uuid)]["origin"] == "referral"
    assert rows[str(referral.uuid)]["reason"] == REASON
    assert rows[str(referral.uuid)]["tier"] == 2
    assert rows[str(deadline.uuid)]["origin"] == "deadline"
    assert rows[str(deadline.uuid)]["breached_due_at"] is not None
    # Another operator's case is not found, escalations and all.
    other = bearer(make_token(services["water"].operator.code))
    assert other.get(url).status_code == 404
    water = other.get(f"/api/v1/work-items/{services['water'].uuid}/").json()
    assert water["escalations"] == []
