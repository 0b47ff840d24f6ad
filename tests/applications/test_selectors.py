import pytest

from applications.constants import ServiceStatus as S
from applications.selectors.applicant import combined_applications_for_applicant
from applications.selectors.common import CombinedStatus, combined_status
from applications.selectors.operator import work_items_for_operator
from applications.services import service_application_transition
from workgroups.models import Organization


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([S.SUBMITTED, S.CONNECTED], CombinedStatus.IN_PROGRESS),
        ([S.RETURNED, S.CONSTRUCTING], CombinedStatus.ACTION_NEEDED),
        ([S.PLAN_ISSUED], CombinedStatus.ACTION_NEEDED),
        ([S.CONNECTED, S.CLOSED, S.WITHDRAWN], CombinedStatus.COMPLETED),
        ([S.REJECTED, S.WITHDRAWN], CombinedStatus.REJECTED),
        ([S.WITHDRAWN, S.WITHDRAWN], CombinedStatus.WITHDRAWN),
    ],
)
def test_combined_status_is_derived_from_the_utilities(statuses, expected):
    assert combined_status(statuses) == expected


def test_the_derived_status_follows_a_correction_request(submit, operator_staff):
    combined = submit(["electricity", "water"])
    assert combined_status(combined.services.values_list("status", flat=True)) == "in_progress"
    service_application_transition(
        actor=operator_staff("zs-water"),
        service_application=combined.services.get(utility="water"),
        transition="return_for_correction",
        data={"reason": "管径与用水量不符"},
    )
    assert combined_status(combined.services.values_list("status", flat=True)) == "action_needed"


def test_an_operator_lists_only_its_own_work(submit):
    submit(["electricity", "water", "gas"])
    power = Organization.objects.get(code="csg-zhongshan")
    assert {sa.utility for sa in work_items_for_operator(organization=power)} == {"electricity"}


def test_applicant_list_runs_a_constant_number_of_queries(
    submit, applicant_org, django_assert_num_queries
):
    submit(["electricity"])
    with django_assert_num_queries(2):
        rows = list(combined_applications_for_applicant(organization=applicant_org))
        [sa.operator.name_zh for row in rows for sa in row.services.all()]
    submit(["electricity", "water", "gas", "network", "cable_tv"])
    submit(["water"])
    with django_assert_num_queries(2):
        rows = list(combined_applications_for_applicant(organization=applicant_org))
        names = [sa.operator.name_zh for row in rows for sa in row.services.all()]
    assert len(rows) == 3 and len(names) == 7
