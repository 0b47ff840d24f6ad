"""One combined request: all children or nothing, each document once, bounded queries."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.constants import DocumentType, ServiceStatus
from applications.models import (
    CombinedApplication,
    Commitment,
    Document,
    DocumentLink,
    ServiceApplication,
    StateChange,
)
from applications.services import combined_application_submit
from core.errors import PermissionDenied
from tests.factories import DETAILS, ProjectFactory, company, member_of, submission, upload
from workgroups.calendar import add_working_days
from workgroups.constants import NetworkCarrier, OrganizationKind
from workgroups.models import OperatorCoverage, Organization
from workgroups.services import organization_upsert

ALL_FIVE = ["electricity", "water", "gas", "network", "cable_tv"]


def _counts():
    return (
        CombinedApplication.objects.count(),
        ServiceApplication.objects.count(),
        DocumentLink.objects.count(),
        Commitment.objects.count(),
        StateChange.objects.count(),
    )


def test_five_utilities_in_one_request_each_document_once(submit, applicant_org):
    combined = submit(ALL_FIVE)
    services = {sa.utility: sa for sa in combined.services.select_related("operator")}
    assert set(services) == set(ALL_FIVE)
    assert {sa.status for sa in services.values()} == {ServiceStatus.SUBMITTED}
    assert services["electricity"].operator.code == "csg-zhongshan"
    assert services["gas"].operator.code == "towngas-zs"  # 南朗 is Towngas's franchise
    assert combined.reference.startswith("ZS")
    # The business licence, needed by all five, is stored once and linked five times.
    licence = Document.objects.get(owner=applicant_org, doc_type=DocumentType.BUSINESS_LICENCE)
    assert licence.links.count() == 5
    assert Document.objects.filter(owner=applicant_org).count() == 8
    assert all(sa.due_at and sa.due_at > sa.submitted_at for sa in services.values())
    assert StateChange.objects.filter(transition="submit").count() == 5


def test_gas_goes_to_the_franchise_operator_of_the_projects_town(
    applicant, applicant_org, reference
):
    from workgroups.models import Town

    project = ProjectFactory(owner=applicant_org, town=Town.objects.get(code="xiaolan"))
    data = submission(applicant, applicant_org, ["gas"])
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert combined.services.get().operator.code == "crgas-zs"


def test_network_gets_one_work_item_per_chosen_carrier_and_the_tower(
    applicant, applicant_org, project
):
    data = submission(applicant, applicant_org, ["network"])
    data.utilities["network"].update(
        preferred_carriers=["telecom", "mobile", "unicom"], tower_needed=True
    )
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert sorted(combined.services.values_list("operator__code", flat=True)) == [
        "mobile-zs",
        "telecom-zs",
        "tower-zs",
        "unicom-zs",
    ]


def _network_operator(code: str, carrier: str):
    operator = organization_upsert(
        code=code,
        name_zh=f"{code} 中山分公司",
        name_en=code,
        kind=OrganizationKind.OPERATOR,
        carrier=carrier,
    )
    OperatorCoverage.objects.create(operator=operator, utility="network", town=None)
    return operator


def test_network_routes_to_the_organisations_of_the_chosen_carriers_whatever_their_code(
    applicant, applicant_org, project
):
    Organization.objects.filter(code__in=["telecom-zs", "tower-zs"]).update(carrier="")
    _network_operator("ct-new-branch", NetworkCarrier.TELECOM)
    _network_operator("shared-towers", NetworkCarrier.TOWER)
    data = submission(applicant, applicant_org, ["network"])
    data.utilities["network"].update(preferred_carriers=["telecom", "unicom"], tower_needed=True)
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert sorted(combined.services.values_list("operator__code", flat=True)) == [
        "ct-new-branch",
        "shared-towers",
        "unicom-zs",
    ]


def test_network_goes_to_no_operator_of_a_carrier_the_applicant_did_not_choose(
    applicant, applicant_org, project
):
    data = submission(applicant, applicant_org, ["network"])
    data.utilities["network"].update(preferred_carriers=["mobile"], tower_needed=False)
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert list(combined.services.values_list("operator__code", flat=True)) == ["mobile-zs"]


def test_a_carrier_no_serving_operator_carries_is_refused_and_saves_nothing(
    applicant, applicant_org, project
):
    Organization.objects.filter(code="unicom-zs").update(carrier="")
    data = submission(applicant, applicant_org, ["network"])
    data.utilities["network"].update(preferred_carriers=["unicom"], tower_needed=False)
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert set(caught.value.message_dict) == {"network"}
    assert _counts() == before


def test_a_bad_utility_section_saves_nothing_and_names_the_field(applicant, applicant_org, project):
    data = submission(applicant, applicant_org, ALL_FIVE)
    data.utilities["water"]["pipe_diameter_mm"] = "17"
    data.utilities["electricity"]["capacity_kva"] = "-5"
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    errors = caught.value.message_dict
    assert set(errors) == {"water.pipe_diameter_mm", "electricity.capacity_kva"}
    assert _counts() == before


def test_cross_field_rules_of_a_utility(applicant, applicant_org, project):
    data = submission(applicant, applicant_org, ["electricity", "network"])
    data.utilities["electricity"].update(voltage_level="380v", capacity_kva="500")
    data.utilities["network"].update(service_type="broadband", bandwidth_mbps="")
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert set(caught.value.message_dict) == {"electricity.capacity_kva", "network.bandwidth_mbps"}


def test_a_missing_document_names_the_document(applicant, applicant_org, project):
    data = submission(applicant, applicant_org, ["gas"])
    del data.documents[DocumentType.GAS_EQUIPMENT]
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert list(caught.value.message_dict) == ["documents.gas_equipment"]
    assert _counts() == before


def test_commitment_replaces_only_documents_the_policy_allows(applicant, applicant_org, project):
    data = submission(applicant, applicant_org, ["electricity"], commit_where_allowed=True)
    combined = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert set(combined.commitments.values_list("doc_type", flat=True)) == {
        DocumentType.PROPERTY_RIGHT,
        DocumentType.PLANNING_PERMIT,
        DocumentType.CONSTRUCTION_PERMIT,
    }
    data = submission(applicant, applicant_org, ["electricity"])
    del data.documents[DocumentType.SITE_PLAN]
    data.commitments[DocumentType.SITE_PLAN] = "承诺后补"
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert "documents.site_plan" in caught.value.message_dict


def test_another_companys_document_cannot_be_attached(applicant, applicant_org, project):
    other_org = company("other", "另一公司")
    other_user = member_of(other_org)
    data = submission(applicant, applicant_org, ["cable_tv"])
    data.documents[DocumentType.BUSINESS_LICENCE] = upload(
        other_user, other_org, DocumentType.BUSINESS_LICENCE
    )
    with pytest.raises(ValidationError) as caught:
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    assert "documents.business_licence" in caught.value.message_dict


def test_nobody_files_for_a_company_they_do_not_belong_to(applicant, applicant_org, project):
    outsider = member_of(company("other", "另一公司"))
    data = submission(applicant, applicant_org, ["cable_tv"])
    with pytest.raises(PermissionDenied):
        combined_application_submit(
            actor=outsider, applicant=applicant_org, project=project, data=data
        )
    assert CombinedApplication.objects.count() == 0


def test_nobody_files_on_another_companys_project(applicant, applicant_org):
    other_org = company("other", "另一公司")
    foreign_project = ProjectFactory(owner=other_org)
    data = submission(applicant, applicant_org, ["cable_tv"])
    with pytest.raises(PermissionDenied):
        combined_application_submit(
            actor=applicant, applicant=applicant_org, project=foreign_project, data=data
        )


def test_a_repeated_submission_creates_nothing_twice(applicant, applicant_org, project):
    token = uuid.uuid4()
    data = submission(applicant, applicant_org, ALL_FIVE, client_token=token)
    first = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    counts = _counts()
    again = combined_application_submit(
        actor=applicant, applicant=applicant_org, project=project, data=data
    )
    assert again.pk == first.pk
    assert _counts() == counts


def test_every_party_gets_exactly_its_permissions(submit, applicant, operator_staff):
    from tests.factories import staff_of

    combined = submit(["electricity", "water"])
    power = combined.services.get(utility="electricity")
    water = combined.services.get(utility="water")
    op_power = operator_staff("csg-zhongshan")
    ndrc = staff_of("ndrc")
    assert applicant.has_perm("applications.act_as_applicant", power)
    assert applicant.has_perm("applications.view_combinedapplication", combined)
    assert op_power.has_perm("applications.act_as_operator", power)
    assert not op_power.has_perm("applications.view_serviceapplication", water)
    assert ndrc.has_perm("applications.view_serviceapplication", power)
    assert not ndrc.has_perm("applications.act_as_operator", power)
    assert not ndrc.has_perm("applications.view_serviceapplication", water)


def _submit_query_count(applicant, applicant_org, utilities, carriers):
    project = ProjectFactory(owner=applicant_org)
    data = submission(applicant, applicant_org, utilities)
    if "network" in data.utilities:
        data.utilities["network"]["preferred_carriers"] = carriers
    # A process reads the working-day calendar once every few minutes, not per request.
    add_working_days(timezone.now(), 30)
    # And looks content types up once (guardian's grants), whichever test ran first.
    ContentType.objects.get_for_models(CombinedApplication, ServiceApplication)
    with CaptureQueriesContext(connection) as queries:
        combined = combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )
    return len(queries), combined


def test_submission_queries_do_not_grow_with_utilities_or_documents(applicant, applicant_org):
    one, small = _submit_query_count(applicant, applicant_org, ["cable_tv"], [])
    five, big = _submit_query_count(
        applicant, applicant_org, ALL_FIVE, ["telecom", "mobile", "unicom"]
    )
    assert small.services.count() == 1
    assert big.services.count() == 7
    assert DocumentLink.objects.filter(service_application__combined=small).count() == 3
    assert DocumentLink.objects.filter(service_application__combined=big).count() > 30
    assert five == one
    # 21: the town's governing organisation is read once, to let it read its area's cases.
    assert five <= 21


def test_details_are_stored_cleaned(submit):
    combined = submit(["electricity"])
    details = combined.services.get().details
    assert details["capacity_kva"] == "630"
    assert details["important_customer"] is False
    assert set(details) == set(DETAILS["electricity"]) | {"important_customer"}
