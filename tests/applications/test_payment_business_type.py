"""Payment (缴费) is a business type, but not a connection request: choosing it on the request
form or in a submission gives a field error pointing to where fees are paid and questioned, and
a question about a fee is a demand of the theme "payment" routed to the case's workgroup."""

import pytest
from django.utils import translation

from applications.constants import CONNECTION_BUSINESS_TYPES, BusinessType
from applications.models import CombinedApplication
from applications.services import combined_application_submit
from coordination.constants import DemandTheme
from coordination.services.demands import DemandInput, demand_submit
from core.errors import ValidationError
from tests.factories import submission

pytestmark = pytest.mark.django_db


def test_payment_is_a_business_type_and_a_demand_theme_but_no_connection_request():
    assert BusinessType.PAYMENT == DemandTheme.PAYMENT == "payment"
    assert BusinessType.PAYMENT not in CONNECTION_BUSINESS_TYPES


def test_submitting_payment_as_a_connection_request_is_a_field_error(
    applicant, applicant_org, project
):
    data = submission(applicant, applicant_org, ["water"], business_type=BusinessType.PAYMENT)
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert "question" in refused.value.message_dict["business_type"][0]
    assert not CombinedApplication.objects.exists()


def test_a_fee_question_about_a_case_goes_to_its_workgroup(submit, applicant, reference):
    sa = submit(["water"]).services.get()
    demand = demand_submit(
        actor=applicant,
        data=DemandInput(
            kind="complaint",
            theme=DemandTheme.PAYMENT,
            utility="water",
            town=sa.combined.project.town,
            title="报价有疑问",
            description="外线工程费为何高于指南所列标准?",
            service_application=sa,
        ),
    )
    assert demand.service_application == sa
    assert demand.workgroup_id == sa.workgroup_id
