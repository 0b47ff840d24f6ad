"""The escalations inbox lists exactly what the escalation machine lets the caller handle: both
ask `workgroups.selectors.escalation_holders`."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import Escalation, ServiceApplication
from applications.services import sla_sweep
from applications.workflow import ESCALATION
from tests.factories import staff_of
from workgroups.models import EscalationTier, Organization

pytestmark = pytest.mark.django_db

CODES = (
    "csg-zhongshan",
    "ndrc",
    "housing",
    "natural-resources",
    "leadership-office",
    "leading-group",
)


@pytest.fixture
def escalation(submit):
    sa = submit(["electricity"]).services.get()
    ServiceApplication.objects.filter(pk=sa.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    sla_sweep()
    return Escalation.objects.get(service_application=sa)


@pytest.fixture
def people(reference):
    return {code: staff_of(code, username=f"inbox-{code}") for code in CODES}


def _listed(user, escalation) -> bool:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("staff:escalations"), {"status": escalation.status})
    assert response.status_code == 200
    return str(escalation.uuid) in re.findall(r'data-escalation="([0-9a-f-]+)"', response.text)


def _may_handle(user, escalation) -> bool:
    escalation = Escalation.objects.select_related("service_application").get(pk=escalation.pk)
    return ESCALATION.may(user, "acknowledge", escalation)


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_the_inbox_lists_an_escalation_to_exactly_those_who_may_handle_it(tier, people, escalation):
    Escalation.objects.filter(pk=escalation.pk).update(tier=tier)
    for code, user in people.items():
        assert _listed(user, escalation) == _may_handle(user, escalation), (code, tier)


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_a_tier_given_to_another_organisation_moves_the_inbox_with_it(tier, people, escalation):
    EscalationTier.objects.filter(level=2).update(
        organization=Organization.objects.get(code="housing")
    )
    Escalation.objects.filter(pk=escalation.pk).update(tier=tier)
    assert _listed(people["housing"], escalation) is (tier >= 2)
    assert _listed(people["leadership-office"], escalation) is False
    for code, user in people.items():
        assert _listed(user, escalation) == _may_handle(user, escalation), (code, tier)
