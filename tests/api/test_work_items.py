"""An operator pulls its work, moves it through its stages and downloads its documents."""

import datetime as dt
import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from applications.api.serializers import WorkItemRowSerializer
from applications.constants import ServiceStatus as S
from applications.models import ServiceApplication, StateChange
from tests.factories import DETAILS, PDF_BYTES, make_service

PLAN = {
    "survey_result": "现场具备接入条件,需新建箱变一台",
    "plan": "由10kV翠亨线T接,新建630kVA箱变",
    "fee_quote_cny": "0.00",
    "required_permits": ["planning", "road_excavation"],
}


def _move(api, sa, transition, **data):
    return api.post(
        f"/api/v1/work-items/{sa.uuid}/transitions/",
        {"transition": transition, **data},
        format="json",
    )


def test_an_operator_accepts_surveys_and_issues_a_plan(submit, operator_api):
    sa = submit(["electricity"]).services.get()

    accepted = _move(operator_api, sa, "accept", comment="材料齐全,予以受理")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == S.ACCEPTED
    assert accepted.json()["transitions_available"] == ["start_survey", "record_visit"]
    assert _move(operator_api, sa, "start_survey").json()["status"] == S.SURVEYING
    planned = _move(operator_api, sa, "issue_plan", **PLAN)

    assert planned.status_code == 200, planned.json()
    body = planned.json()
    assert body["status"] == S.PLAN_ISSUED
    assert body["clock"]["paused"] is True  # the applicant now confirms the plan and fee
    assert body["required_permits"] == ["planning", "road_excavation"]
    history = operator_api.get(f"/api/v1/work-items/{sa.uuid}/history/").json()
    assert [row["transition"] for row in history] == [
        "submit",
        "accept",
        "start_survey",
        "issue_plan",
    ]
    assert history[1]["comment"] == "材料齐全,予以受理"
    assert history[1]["actor_organization"]["code"] == "csg-zhongshan"
    assert history[3]["data"]["fee_quote_cny"] == "0.00"


def test_invalid_stage_data_names_the_fields(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    _move(operator_api, sa, "accept")
    _move(operator_api, sa, "start_survey")

    response = _move(operator_api, sa, "issue_plan", plan="x", required_permits=["moat"])

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"required_permits.0"}  # the input shape is checked first
    response = _move(operator_api, sa, "issue_plan", plan="x")
    assert response.status_code == 400
    assert {"survey_result", "plan", "fee_quote_cny"} <= set(response.json()["errors"])
    assert ServiceApplication.objects.get(pk=sa.pk).status == S.SURVEYING


def test_an_illegal_transition_is_409_and_changes_nothing(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    response = _move(operator_api, sa, "connect", inspection_result="合格")
    assert response.status_code == 409
    assert response.json()["type"] == "illegal_transition"
    assert StateChange.objects.filter(service_application=sa).count() == 1


def test_a_reason_is_required_to_reject(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    response = _move(operator_api, sa, "reject")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert _move(operator_api, sa, "reject", reason="不在供电范围").json()["status"] == S.REJECTED


def test_the_list_filters_by_status_utility_business_type_and_change_time(
    reference, applicant_org, applicant, project, operator_api
):
    old = make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    ServiceApplication.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=3)
    )
    fresh = make_service(
        applicant_org=applicant_org, applicant=applicant, project=project, status=S.ACCEPTED
    )

    def uuids(**query):
        response = operator_api.get("/api/v1/work-items/", query)
        assert response.status_code == 200, response.json()
        return {row["uuid"] for row in response.json()["results"]}

    assert uuids() == {str(old.uuid), str(fresh.uuid)}
    assert uuids(status="accepted") == {str(fresh.uuid)}
    assert uuids(status=["accepted", "submitted"]) == {str(old.uuid), str(fresh.uuid)}
    assert uuids(utility="water") == set()
    assert uuids(business_type="new_connection") == {str(old.uuid), str(fresh.uuid)}
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert uuids(updated_after=since) == {str(fresh.uuid)}
    bad = operator_api.get("/api/v1/work-items/", {"status": "lost", "updated_after": "soon"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"status", "updated_after"}


def test_the_cursor_walks_every_item_once_in_change_order(
    reference, applicant_org, applicant, project, operator_api
):
    made = [
        make_service(applicant_org=applicant_org, applicant=applicant, project=project)
        for _ in range(7)
    ]
    seen, url = [], "/api/v1/work-items/?page_size=3"
    while url:
        page = operator_api.get(url).json()
        seen += [row["uuid"] for row in page["results"]]
        url = page["next"]
    assert seen == [str(sa.uuid) for sa in made]
    assert all("id" not in row for row in page["results"])


def test_the_list_rows_match_the_row_serializer(
    reference, applicant_org, applicant, project, operator_api
):
    """The list builds its rows directly (its hot path); they must equal the contract."""
    make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=S.RETURNED,
        paused_since=timezone.now(),
        due_at=None,
    )
    listed = operator_api.get("/api/v1/work-items/").json()["results"]
    items = ServiceApplication.objects.filter(operator__code="csg-zhongshan").order_by(
        "updated_at", "id"
    )
    request = Request(APIRequestFactory().get("/api/v1/work-items/"))
    expected = json.loads(
        JSONRenderer().render(
            WorkItemRowSerializer(items, many=True, context={"request": request}).data
        )
    )
    assert listed == expected
    assert {row["paused"] for row in listed} == {True, False}


def test_a_list_row_says_what_changed_and_the_detail_says_the_rest(submit, operator_api):
    sa = submit(["electricity"]).services.get()
    row = operator_api.get("/api/v1/work-items/").json()["results"][0]
    assert set(row) == {"uuid", "url", "utility", "status", "due_at", "paused", "updated_at"}
    detail = operator_api.get(row["url"]).json()
    assert detail["uuid"] == row["uuid"] == str(sa.uuid)
    assert {"reference", "business_type", "applicant", "project", "clock"} <= set(detail)
    assert {k: detail[k] for k in ("status", "due_at", "updated_at")} == {
        k: row[k] for k in ("status", "due_at", "updated_at")
    }


def test_the_list_runs_the_same_queries_for_10_and_500_items(
    reference, applicant_org, applicant, project, operator_api
):
    for _ in range(500):
        make_service(applicant_org=applicant_org, applicant=applicant, project=project)
    operator_api.get("/api/v1/work-items/?page_size=1")  # first use of the token is noted

    counts = {}
    for size in (10, 500):
        with CaptureQueriesContext(connection) as queries:
            response = operator_api.get(f"/api/v1/work-items/?page_size={size}")
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)
    assert counts[10] == counts[500], counts
    assert counts[10] <= 3, counts


def test_the_detail_carries_documents_commitments_and_the_clock(submit, operator_api, applicant):
    combined = submit(["electricity", "water"], commit_where_allowed=True)
    sa = combined.services.get(utility="electricity")
    body = operator_api.get(f"/api/v1/work-items/{sa.uuid}/").json()

    assert body["details"]["capacity_kva"] == DETAILS["electricity"]["capacity_kva"]
    assert {c["doc_type"] for c in body["commitments"]} == {
        "property_right",
        "planning_permit",
        "construction_permit",
    }
    # The operator knows which wording was signed and when the document falls due.
    assert {c["wording_version"] for c in body["commitments"]} == {1}
    assert all(c["due_point"].startswith("外线工程开工前") for c in body["commitments"])
    assert body["clock"]["working_days_used"] == 0
    assert body["clock"]["due_at"] is not None
    assert body["contact"]["email"] == applicant.email
    document = next(d for d in body["documents"] if d["doc_type"] == "site_plan")
    download = operator_api.get(document["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(PDF_BYTES)


@pytest.mark.parametrize("accept", ["application/pdf", "text/html"])
def test_a_denied_download_is_json_whatever_the_accept_header(world, clients, accept):
    response = clients["other_operator"].get(
        f"/api/v1/documents/{world.document.uuid}/download/", HTTP_ACCEPT=accept
    )
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_the_detail_runs_the_same_queries_whatever_it_carries(
    submit, operator_staff, make_token, bearer
):
    combined = submit(["electricity", "cable_tv"])
    counts = {}
    for sa in combined.services.all():
        api = bearer(make_token(sa.operator.code))
        api.get(f"/api/v1/work-items/{sa.uuid}/")  # first use of the token is noted
        with CaptureQueriesContext(connection) as queries:
            body = api.get(f"/api/v1/work-items/{sa.uuid}/").json()
        counts[(sa.utility, len(body["documents"]))] = len(queries)
    assert len(set(counts.values())) == 1, counts  # 7 documents cost what 3 cost
    # 11: the escalations (deadline escalations and referrals up) cost one query each, the
    # fee's payments one; and the access log's one INSERT (the detail is a read of the
    # applicant's personal data, workgroups/access_log.py).
    assert max(counts.values()) <= 11, counts


def test_the_detail_says_whose_time_it_was(submit, operator_api):
    cst = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=cst), tick=False):
        sa = submit(["electricity"]).services.get()
    with time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=cst), tick=False):
        body = operator_api.get(f"/api/v1/work-items/{sa.uuid}/").json()
    clock = body["time_by_party"]
    # Waiting for the operator's acceptance since Tuesday: Wednesday and Thursday are its.
    assert clock["working_days"] == 2
    assert clock["working_days_by_party"] == {"government": 0, "operator": 2, "applicant": 0}
    assert clock["procedures"] == 1  # the submission
    assert clock["running"] is True
    [stage] = clock["stages"]
    assert (stage["stage"], stage["party"], stage["left_at"]) == ("submitted", "operator", None)
    assert stage["late"] is True  # acceptance is due within one working day


@pytest.fixture
def walked_items(reference, applicant_org, applicant, project):
    """Nine items of the operator, three of them changed at the same moment (the cursor
    then needs an offset), one paused, one without deadline; and one of another operator."""
    made = [
        make_service(applicant_org=applicant_org, applicant=applicant, project=project)
        for _ in range(9)
    ]
    start = timezone.now() - dt.timedelta(hours=1)
    for n, sa in enumerate(made):
        moment = start + dt.timedelta(minutes=n, microseconds=n)
        if n in (3, 4, 5):
            moment = start + dt.timedelta(minutes=3)
        ServiceApplication.objects.filter(pk=sa.pk).update(updated_at=moment)
    ServiceApplication.objects.filter(pk=made[1].pk).update(paused_since=timezone.now())
    ServiceApplication.objects.filter(pk=made[2].pk).update(due_at=None)
    make_service(applicant_org=applicant_org, applicant=applicant, project=project, utility="water")
    return made, start


def _walk(api, url):
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json()
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


@pytest.mark.parametrize("size", [1, 2, 3, 4, 100])
def test_the_walk_answers_what_the_general_path_answers(
    walked_items, operator_api, monkeypatch, size
):
    """The sync's walk (`updated_after`, `page_size`, `cursor` only) has its own hot path;
    its pages, links and rows must be the general path's, byte for byte."""
    from applications.api.work_items import WorkItemViewSet

    made, start = walked_items
    since = (start - dt.timedelta(seconds=1)).isoformat()
    urls = [
        f"/api/v1/work-items/?page_size={size}",
        "/api/v1/work-items/?" + urlencode({"updated_after": since, "page_size": size}),
        "/api/v1/work-items/?"
        + urlencode({"updated_after": (start + dt.timedelta(minutes=3)).isoformat()}),
    ]
    fast = [_walk(operator_api, url) for url in urls]
    monkeypatch.setattr(WorkItemViewSet, "_walk_page", lambda self, request: None)
    general = [_walk(operator_api, url) for url in urls]

    assert fast == general
    mine = ServiceApplication.objects.filter(operator__code="csg-zhongshan")
    walked = [row["uuid"] for page in fast[0] for row in page["results"]]
    assert walked == [
        str(u) for u in mine.order_by("updated_at", "pk").values_list("uuid", flat=True)
    ]
    assert {str(sa.uuid) for sa in made} <= set(walked)
    assert not ServiceApplication.objects.filter(uuid__in=walked).exclude(pk__in=mine)
    # Back from the last page by its `previous` links: the general path answers those.
    monkeypatch.undo()
    previous = fast[0][-1]["previous"]
    if previous:
        assert operator_api.get(previous).json()["results"]


@pytest.mark.parametrize(
    "query",
    [
        {"updated_after": "soon"},
        {"updated_after": ""},
        {"updated_after": "  "},
        {"updated_after": "2026-01-01T00:00:00+99:00"},
        {"updated_after": "9999-12-31T23:59:59-15:00"},
        {"updated_after": ["2026-01-01T00:00:00Z", "soon"]},
        {"updated_after": "soon", "page_size": "0"},
        {"page_size": "0"},
        {"page_size": ["2", "3"]},
        {"cursor": "made-up"},
        {"updated_after": "2026-01-01T00:00:00Z", "cursor": ""},
    ],
)
def test_a_bad_walk_is_refused_as_by_the_general_path(
    walked_items, operator_api, monkeypatch, query
):
    from applications.api.work_items import WorkItemViewSet

    fast = operator_api.get("/api/v1/work-items/", query, HTTP_ACCEPT_LANGUAGE="en")
    monkeypatch.setattr(WorkItemViewSet, "_walk_page", lambda self, request: None)
    general = operator_api.get("/api/v1/work-items/", query, HTTP_ACCEPT_LANGUAGE="en")

    assert fast.status_code == general.status_code == 400
    ids = {"request_id": None}
    assert fast.json() | ids == general.json() | ids
    assert fast.json()["type"] == "validation_error"


def test_a_bad_updated_after_names_the_field(walked_items, operator_api):
    response = operator_api.get(
        "/api/v1/work-items/", {"updated_after": "soon"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"updated_after": ["Enter a valid date/time."]}


def test_the_walk_rows_match_the_list_queryset(walked_items):
    from applications.selectors.operator import work_item_rows_for_operator, work_item_walk_rows
    from workgroups.models import Organization

    made, start = walked_items
    operator = Organization.objects.get(code="csg-zhongshan")
    position = start + dt.timedelta(minutes=1)
    for after, offset, limit in [
        (None, 0, 100),
        (start, 1, 3),
        (start + dt.timedelta(minutes=2), 2, 2),
    ]:
        queryset = work_item_rows_for_operator(organization=operator).filter(
            updated_at__gt=position
        )
        if after is not None:
            queryset = queryset.filter(updated_at__gt=after)
        expected = [{**row, "uuid": str(row["uuid"])} for row in queryset[offset : offset + limit]]
        rows = work_item_walk_rows(
            organization=operator, after=after, position=position, offset=offset, limit=limit
        )
        assert rows == expected
        assert rows
