"""The operator API refuses to connect or close a case while a commitment (承诺制) it relies on
is unverified, in the API's one error shape, and says why."""

from applications.constants import ServiceStatus as S
from applications.models import StateChange
from tests.factories import make_service


def _move(api, sa, transition, **data):
    return api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": transition, **data},
        format="json",
    )


def _case(applicant_org, applicant, project, status, unverified):
    return make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=status,
        unverified_commitments=unverified,
    )


def test_connect_is_refused_while_a_commitment_is_unverified(
    applicant_org, applicant, project, operator_api
):
    sa = _case(applicant_org, applicant, project, S.INSPECTING, 1)
    response = _move(operator_api, sa, "connect", inspection_result="合格")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "illegal_transition"
    assert "未经核验" in body["detail"]
    assert not StateChange.objects.filter(service_application=sa).exists()
    sa.refresh_from_db()
    assert sa.status == S.INSPECTING


def test_close_is_refused_while_a_commitment_is_unverified_and_allowed_after(
    applicant_org, applicant, project, operator_api
):
    sa = _case(applicant_org, applicant, project, S.CONNECTED, 1)
    refused = _move(operator_api, sa, "close")
    assert refused.status_code == 409
    assert refused.json()["type"] == "illegal_transition"
    other = _case(applicant_org, applicant, project, S.CONNECTED, 0)
    assert _move(operator_api, other, "close").status_code == 200
