"""The admin reads demands only, and only those the caller's organisation may see."""

import pytest
from django.urls import reverse

from coordination.models import Demand

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_lead_its_own_demands_read_only(submit_demand, staff):
    electricity = submit_demand(utility="electricity")
    submit_demand(utility="gas")
    lead = staff("ndrc")
    lead.is_staff = True
    lead.save()
    client = client_for(lead)
    changelist = client.get(reverse("admin:coordination_demand_changelist"))
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [electricity]
    change = reverse("admin:coordination_demand_change", args=[electricity.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"title": "改掉"}).status_code == 403
    assert Demand.objects.get(pk=electricity.pk).title != "改掉"
    page = client.get(change).content.decode()
    assert electricity.access_nonce not in page
