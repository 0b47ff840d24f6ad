"""Permit agencies decide in parallel; data providers push projects."""

import pytest

from applications.constants import ProjectSource
from applications.constants import ServiceStatus as S
from applications.models import PermitRequest, Project, ServiceApplication
from tests.api.conftest import permitting_item

OWNER = "91442000MA7QX31P2X"


def _decide(api, permit, decision, **data):
    return api.post(
        f"/api/v1/permits/{permit.uuid}/transitions/",
        {"decision": decision, **data},
        format="json",
    )


def test_the_last_approval_moves_the_application_to_construction(
    applicant_org, applicant, project, make_token, bearer
):
    sa = permitting_item(applicant_org, applicant, project, permits=("planning", "road_excavation"))
    planning = bearer(make_token("natural-resources", ["permits:read", "permits:write"]))
    roads = bearer(make_token("urban-management"))
    permits = {p.permit_type: p for p in PermitRequest.objects.filter(service_application=sa)}

    listed = planning.get("/api/v1/permits/", {"status": "pending"}).json()["results"]
    assert [row["permit_type"] for row in listed] == ["planning"]
    assert listed[0]["application"]["utility"] == "electricity"

    first = _decide(planning, permits["planning"], "approve", reason="符合规划")
    assert first.status_code == 200, first.json()
    assert first.json()["application"]["status"] == S.PERMITTING
    last = _decide(roads, permits["road_excavation"], "approve")
    assert last.json()["application"]["status"] == S.CONSTRUCTING
    again = _decide(roads, permits["road_excavation"], "reject", reason="重复")
    assert again.status_code == 409
    assert again.json()["type"] == "illegal_transition"


def test_returning_a_permit_needs_a_reason(applicant_org, applicant, project, make_token, bearer):
    sa = permitting_item(applicant_org, applicant, project)
    api = bearer(make_token("natural-resources", ["permits:read", "permits:write"]))
    permit = PermitRequest.objects.get(service_application=sa)
    response = _decide(api, permit, "return_to_applicant")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    returned = _decide(api, permit, "return_to_applicant", reason="请补充管线路由图")
    assert returned.json()["status"] == "returned"
    assert ServiceApplication.objects.get(pk=sa.pk).status == S.RETURNED


def _push(api, **overrides):
    body = {
        "code": "2026-442000-70-03-000001",
        "name": "古镇灯饰产业园",
        "kind": "new",
        "works_type": "building",
        "address": "中山市古镇镇东岸北路1号",
        "town": "guzhen",
        "floor_area_m2": "56000.00",
        "planned_start": "2027-03-01",
        "owner_credit_code": OWNER,
    }
    body.update(overrides)
    return api.post("/api/v1/projects/", body, format="json")


def test_a_data_provider_pushes_a_project_without_an_owner(reference, make_token, bearer):
    api = bearer(make_token("investment"))
    response = _push(api)
    assert response.status_code == 201, response.json()
    project = Project.objects.get(uuid=response.json()["uuid"])
    assert project.owner is None
    assert project.source == ProjectSource.SHARED_DATA
    assert project.source_organization.code == "investment"
    assert response.json()["claimed"] is False
    listed = api.get("/api/v1/projects/").json()["results"]
    assert [row["code"] for row in listed] == ["2026-442000-70-03-000001"]


def test_push_errors_name_every_field(reference, make_token, bearer):
    api = bearer(make_token("investment"))
    assert _push(api).status_code == 201

    duplicate = _push(api, town="atlantis")
    assert duplicate.status_code == 400
    assert set(duplicate.json()["errors"]) == {"code", "town"}
    bad = _push(
        api,
        code="2026-442000-70-03-900002",
        kind="castle",
        floor_area_m2="-1",
        planned_start="soon",
    )
    assert set(bad.json()["errors"]) == {"kind", "floor_area_m2", "planned_start"}
    nobody = _push(api, code="2026-442000-70-03-900003", owner_credit_code="")
    assert set(nobody.json()["errors"]) == {"owner_credit_code"}
    both = _push(api, code="2026-442000-70-03-900004", issue_claim_code=True)
    assert set(both.json()["errors"]) == {"owner_credit_code"}
    typo = _push(api, code="2026-442000-70-03-900005", owner_credit_code=OWNER[:-1] + "1")
    assert set(typo.json()["errors"]) == {"owner_credit_code"}
    assert not Project.objects.filter(code__startswith="2026-442000-70-03-9").exists()


@pytest.mark.parametrize("code", ["P-2", "2026-442000-70-03-00001", "2026/442000/70/03/000001"])
def test_a_push_with_a_code_not_in_the_national_format_is_a_400_on_code(
    reference, make_token, bearer, code
):
    api = bearer(make_token("investment"))
    refused = _push(api, code=code)
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"code"}
    assert "YYYY-NNNNNN-NN-NN-NNNNNN" in refused.json()["errors"]["code"][0]
    assert not Project.objects.exists()
