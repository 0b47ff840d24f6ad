"""Every endpoint x every role, on objects that belong to one organisation.

Someone without the role for an endpoint gets 403 whatever the object (so the answer says
nothing about it); someone with the role but another organisation gets 404, exactly as for an
object that does not exist; the owner gets through. Lists never show another's objects.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import PDF_BYTES

ROLES = [
    "anonymous",
    "applicant",
    "other_operator",
    "other_agency",
    "other_provider",
    "agency",
    "provider",
    # Staff of the town of the world's project (翠亨新区 for Nanlang), signed in on the staff
    # site: it reads its area there, and holds no API scope (no token can be made for it).
    "town",
    "operator",  # last: its successful POSTs move the objects the others were denied
]
OPERATOR_ONLY = {
    "anonymous": 401,
    "applicant": 403,
    "town": 403,
    "other_operator": 404,
    "agency": 403,
    "other_agency": 403,
    "provider": 403,
    "other_provider": 403,
    "operator": 200,
}
AGENCY_ONLY = {
    **{role: 403 for role in ROLES},
    "anonymous": 401,
    "agency": 200,
    "other_agency": 404,
}
PROVIDER_ONLY = {
    **{role: 403 for role in ROLES},
    "anonymous": 401,
    "provider": 200,
    "other_provider": 404,
}


def _list(expected: dict, peers: tuple[str, ...]) -> dict:
    """On a list, a peer of the owner gets 200 with the object left out."""
    return {role: 200 if role in peers else status for role, status in expected.items()}


# name -> (method, path template, body, expected status by role, list key to look in)
ENDPOINTS = {
    "work_items_list": (
        "get",
        "/api/v1/work-items/",
        None,
        _list(OPERATOR_ONLY, ("other_operator",)),
        "sa",
    ),
    "work_item": ("get", "/api/v1/work-items/{sa}/", None, OPERATOR_ONLY, None),
    "history": ("get", "/api/v1/work-items/{sa}/history/", None, OPERATOR_ONLY, None),
    "transition": (
        "post",
        "/api/v1/work-items/{sa}/transitions/",
        {"transition": "accept", "comment": "受理"},
        OPERATOR_ONLY,
        None,
    ),
    "lease": (
        "post",
        "/api/v1/work-items/lease/",
        {"limit": 10},
        _list(OPERATOR_ONLY, ("other_operator",)),
        "sa",
    ),
    "permits_list": (
        "get",
        "/api/v1/permits/",
        None,
        _list(AGENCY_ONLY, ("other_agency",)),
        "permit",
    ),
    "permit": ("get", "/api/v1/permits/{permit}/", None, AGENCY_ONLY, None),
    "permit_decide": (
        "post",
        "/api/v1/permits/{permit}/transitions/",
        {"decision": "approve"},
        AGENCY_ONLY,
        None,
    ),
    "projects_list": (
        "get",
        "/api/v1/projects/",
        None,
        _list(PROVIDER_ONLY, ("other_provider",)),
        "project",
    ),
    "project": ("get", "/api/v1/projects/{project}/", None, PROVIDER_ONLY, None),
    "project_push": (
        "post",
        "/api/v1/projects/",
        "push",
        {**PROVIDER_ONLY, "provider": 201, "other_provider": 201},
        None,
    ),
    "project_documents": (
        "get",
        "/api/v1/projects/{project}/documents/",
        None,
        PROVIDER_ONLY,
        None,
    ),
    "project_document_share": (
        "post",
        "/api/v1/projects/{project}/documents/",
        "document",
        {**PROVIDER_ONLY, "provider": 201},
        None,
    ),
    "document": (
        "get",
        "/api/v1/documents/{document}/download/",
        None,
        {
            "anonymous": 401,
            "applicant": 200,  # its own document, through its browser session
            "other_operator": 404,
            "agency": 404,  # decides no permit of this application
            "other_agency": 404,
            # projects:read opens the download of what a department shared itself; this
            # document is the applicant's, not visible to them.
            "provider": 404,
            "other_provider": 404,
            "town": 404,  # reads the case in its area on the staff site, not its files
            "operator": 200,
        },
        None,
    ),
    "stats": ("get", "/api/v1/stats/", None, dict.fromkeys(ROLES, 200), None),
    "demand_notices_list": (
        "get",
        "/api/v1/demand-notices/",
        None,
        _list(OPERATOR_ONLY, ("other_operator",)),
        "notice",
    ),
    "demand_notice": ("get", "/api/v1/demand-notices/{notice}/", None, OPERATOR_ONLY, None),
    "demand_notice_ack": (
        "post",
        "/api/v1/demand-notices/{notice}/ack/",
        None,
        OPERATOR_ONLY,
        None,
    ),
    "demand_signal_push": (
        "post",
        "/api/v1/demand-signals/",
        "signal",
        {**PROVIDER_ONLY, "provider": 201, "other_provider": 201},
        None,
    ),
    "demand_signals_list": (
        "get",
        "/api/v1/demand-signals/",
        None,
        _list(PROVIDER_ONLY, ("other_provider",)),
        "signal",
    ),
    "demand_signal": ("get", "/api/v1/demand-signals/{signal}/", None, PROVIDER_ONLY, None),
    "webhooks_list": (
        "get",
        "/api/v1/webhooks/",
        None,
        _list(OPERATOR_ONLY, ("other_operator",)),
        "webhook",
    ),
    "webhook": ("get", "/api/v1/webhooks/{webhook}/", None, OPERATOR_ONLY, None),
    "webhook_register": (
        "post",
        "/api/v1/webhooks/",
        "webhook",
        {**OPERATOR_ONLY, "operator": 201, "other_operator": 201},
        None,
    ),
    "webhook_remove": ("delete", "/api/v1/webhooks/{webhook}/", None, OPERATOR_ONLY, None),
}


def _push_body(role: str) -> dict:
    return {
        "code": f"2026-442000-70-02-{ROLES.index(role):06d}",
        "name": "南朗数据中心",
        "kind": "new",
        "works_type": "building",
        "address": "中山市南朗街道华南现代中医药城",
        "town": "nanlang",
        "owner_credit_code": "91442000MA7QX31P2X",
    }


def _body(kind, role: str):
    if kind == "push":
        return _push_body(role)
    if kind == "signal":
        return {
            "kind": "land_sale",
            "title": "南朗工业用地挂牌出让",
            "town": "nanlang",
            "expected_utilities": ["electricity", "water"],
        }
    if kind == "webhook":
        return {"url": f"https://dispatch.example.cn/hooks/{role}"}
    if kind == "document":
        return {"file": SimpleUploadedFile("总平面图.pdf", PDF_BYTES), "doc_type": "site_plan"}
    return kind


def _items(body) -> list[dict]:
    return body.get("results", body.get("items", [])) if isinstance(body, dict) else []


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_role_reaches_only_its_own_organisations_objects(endpoint, world, clients):
    method, template, body, expected, list_key = ENDPOINTS[endpoint]
    path = template.format(
        sa=world.sa.uuid,
        permit=world.permit.uuid,
        project=world.project.uuid,
        document=world.document.uuid,
        notice=world.notice.uuid,
        webhook=world.webhook.uuid,
        signal=world.signal.uuid,
    )
    owner_object = getattr(world, list_key) if list_key else None
    got, leaked = {}, []
    for role in ROLES:
        payload = _body(body, role)
        encoding = "multipart" if body == "document" else "json"
        response = getattr(clients[role], method)(path, payload, format=encoding)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (role, response)
            assert set(response.json()) == {
                "type",
                "title",
                "status",
                "detail",
                "errors",
                "request_id",
            }
        if owner_object is not None and response.status_code == 200:
            seen = {item["uuid"] for item in _items(response.json())}
            if (str(owner_object.uuid) in seen) != (role == _owner(list_key)):
                leaked.append(role)
    assert got == expected
    assert leaked == []


def _owner(list_key: str) -> str:
    return {
        "sa": "operator",
        "permit": "agency",
        "project": "provider",
        "notice": "operator",
        "webhook": "operator",
        "signal": "provider",
    }[list_key]


def test_a_token_without_the_write_scope_may_read_but_not_move_work(world, make_token, bearer):
    reader = bearer(make_token("csg-zhongshan", ["work_items:read"]))
    assert reader.get(f"/api/v1/work-items/{world.sa.uuid}/").status_code == 200
    response = reader.post(
        f"/api/v1/work-items/{world.sa.uuid}/transitions/", {"transition": "accept"}, format="json"
    )
    assert response.status_code == 403
    assert "work_items:write" in response.json()["detail"]


def test_an_unknown_object_and_another_operators_object_answer_alike(world, clients):
    same = {"HTTP_X_REQUEST_ID": "same-request"}  # bodies carry the request id
    other = clients["other_operator"].get(f"/api/v1/work-items/{world.sa.uuid}/", **same)
    missing = clients["other_operator"].get(
        "/api/v1/work-items/00000000-0000-4000-8000-000000000000/", **same
    )
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_a_town_holds_no_api_scope(reference):
    from workgroups.api_tokens import scopes_allowed
    from workgroups.models import Organization

    for code in ("cuiheng", "torch-zone", "shiqi-office"):
        assert scopes_allowed(Organization.objects.get(code=code)) == frozenset()
