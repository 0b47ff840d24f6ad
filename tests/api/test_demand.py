"""关口前移 over the API: a department pushes a signal, operators pull and acknowledge notices."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.constants import NoticeStatus
from notifications.models import DemandNotice, DemandSignal
from notifications.services import demand_signal_record
from workgroups.models import Organization, Town

LAND_SALE = {
    "kind": "land_sale",
    "title": "小榄镇工业用地挂牌出让 XL2026-17",
    "town": "xiaolan",
    "location": "小榄镇永宁工业区 XL2026-17 地块",
    "expected_utilities": ["electricity", "gas"],
    "expected_loads": {"electricity": "约 2000 kVA", "gas": "约 300 m³/h"},
    "expected_date": "2027-03-01",
}


@pytest.fixture
def provider_api(make_token, bearer):
    return bearer(make_token("investment"))


def _push(api, body=None, **headers):
    return api.post("/api/v1/demand-signals/", body or LAND_SALE, format="json", **headers)


def test_a_pushed_signal_reaches_the_operators_inbox_and_is_acknowledged_once(
    provider_api, operator_api
):
    pushed = _push(provider_api)
    assert pushed.status_code == 201, pushed.json()
    signal = pushed.json()
    assert signal["notices"] == 2  # 中山供电局 and 华润燃气 (小榄's gas franchise)
    assert signal["source_organization"]["code"] == "investment"

    inbox = operator_api.get("/api/v1/demand-notices/", {"status": "new"}).json()["results"]
    assert len(inbox) == 1
    notice = inbox[0]
    assert notice["utilities"] == ["electricity"]  # only what this operator serves there
    assert notice["signal"]["uuid"] == signal["uuid"]
    assert notice["signal"]["kind"] == "land_sale"
    assert notice["signal"]["town"]["code"] == "xiaolan"
    assert notice["signal"]["location"] == LAND_SALE["location"]
    assert notice["signal"]["expected_loads"] == LAND_SALE["expected_loads"]
    assert notice["signal"]["expected_date"] == "2027-03-01"
    assert notice["signal"]["project_code"] is None
    assert notice["signal"]["source_organization"]["name_zh"]
    assert "id" not in notice and "id" not in notice["signal"]

    acked = operator_api.post(f"/api/v1/demand-notices/{notice['uuid']}/ack/")
    assert acked.status_code == 200, acked.json()
    assert acked.json()["status"] == NoticeStatus.ACKNOWLEDGED
    assert acked.json()["acknowledged_at"] is not None
    again = operator_api.post(f"/api/v1/demand-notices/{notice['uuid']}/ack/")
    assert again.status_code == 409
    assert again.json()["type"] == "illegal_transition"
    assert operator_api.get("/api/v1/demand-notices/?status=new").json()["results"] == []
    done = operator_api.get("/api/v1/demand-notices/?status=acknowledged").json()["results"]
    assert [row["uuid"] for row in done] == [notice["uuid"]]


def test_another_operators_notice_answers_like_a_missing_one(provider_api, operator_api):
    _push(provider_api)
    gas = DemandNotice.objects.get(operator__code="crgas-zs")
    same = {"HTTP_X_REQUEST_ID": "same-request"}  # bodies carry the request id
    theirs = operator_api.post(f"/api/v1/demand-notices/{gas.uuid}/ack/", **same)
    missing = operator_api.post(
        "/api/v1/demand-notices/00000000-0000-4000-8000-000000000000/ack/", **same
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert DemandNotice.objects.get(pk=gas.pk).status == NoticeStatus.NEW


def test_a_retried_acknowledgement_replays_the_first_answer(provider_api, operator_api):
    _push(provider_api)
    notice = DemandNotice.objects.get(operator__code="csg-zhongshan")
    path = f"/api/v1/demand-notices/{notice.uuid}/ack/"
    first = operator_api.post(path, HTTP_IDEMPOTENCY_KEY="ack-1")
    again = operator_api.post(path, HTTP_IDEMPOTENCY_KEY="ack-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_token_that_may_read_notices_may_not_acknowledge_them(provider_api, make_token, bearer):
    _push(provider_api)
    reader = bearer(make_token("csg-zhongshan", ["demand_notices:read"]))
    notice = reader.get("/api/v1/demand-notices/").json()["results"][0]
    response = reader.post(f"/api/v1/demand-notices/{notice['uuid']}/ack/")
    assert response.status_code == 403
    assert "demand_notices:write" in response.json()["detail"]


def test_invalid_signals_name_each_field(provider_api):
    response = _push(
        provider_api,
        {
            **LAND_SALE,
            "town": "atlantis",
            "project_code": "2026-NO-SUCH-CODE",
            "expected_loads": {"water": "100 m³/d"},
        },
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"town", "project_code", "expected_loads"}
    response = _push(provider_api, {**LAND_SALE, "kind": "new_project", "expected_utilities": []})
    assert set(response.json()["errors"]) == {"kind", "expected_utilities"}
    assert DemandSignal.objects.count() == 0


def test_a_signal_about_a_known_project_carries_its_code_and_is_announced_once(
    provider_api, operator_api
):
    project = provider_api.post(
        "/api/v1/projects/",
        {
            "code": "2026-442000-70-03-000009",
            "name": "小榄智能家电产业基地",
            "kind": "new",
            "works_type": "building",
            "address": "中山市小榄镇工业大道 9 号",
            "town": "xiaolan",
            "owner_credit_code": "91442000MA7QX31P2X",
        },
        format="json",
    )
    assert project.status_code == 201, project.json()
    body = {**LAND_SALE, "kind": "investment", "project_code": "2026-442000-70-03-000009"}
    assert _push(provider_api, body).status_code == 201
    notice = operator_api.get("/api/v1/demand-notices/").json()["results"][0]
    assert notice["signal"]["project_code"] == "2026-442000-70-03-000009"

    twice = _push(provider_api, body)
    assert twice.status_code == 400
    assert list(twice.json()["errors"]) == ["project_code"]


def test_a_retried_push_records_one_signal(provider_api):
    first = _push(provider_api, HTTP_IDEMPOTENCY_KEY="signal-XL2026-17")
    again = _push(provider_api, HTTP_IDEMPOTENCY_KEY="signal-XL2026-17")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert DemandSignal.objects.count() == 1
    assert (
        _push(
            provider_api,
            {**LAND_SALE, "title": "另一地块"},
            HTTP_IDEMPOTENCY_KEY="signal-XL2026-17",
        ).status_code
        == 422
    )


def test_the_inbox_filters_by_creation_time_and_walks_every_notice_once(reference, operator_api):
    source = Organization.objects.get(code="natural-resources")
    town = Town.objects.get(code="shiqi")
    for n in range(7):
        demand_signal_record(
            source_organization=source,
            kind="road_excavation",
            title=f"石岐区道路开挖计划 {n}",
            town=town,
            expected_utilities=["electricity"],
        )
    made = list(DemandNotice.objects.filter(operator__code="csg-zhongshan").order_by("created_at"))
    seen, url = [], "/api/v1/demand-notices/?page_size=3"
    while url:
        page = operator_api.get(url).json()
        seen += [row["uuid"] for row in page["results"]]
        url = page["next"]
    assert seen == [str(n.uuid) for n in made]
    after = (made[4].created_at - dt.timedelta(microseconds=1)).isoformat()
    later = operator_api.get("/api/v1/demand-notices/", {"created_after": after}).json()
    assert [row["uuid"] for row in later["results"]] == [str(n.uuid) for n in made[4:]]
    assert operator_api.get("/api/v1/demand-notices/?status=").status_code == 400


def test_the_inbox_runs_the_same_queries_for_10_and_200_notices(reference, operator_api):
    source = Organization.objects.get(code="natural-resources")
    town = Town.objects.get(code="shiqi")
    for n in range(200):
        demand_signal_record(
            source_organization=source,
            kind="land_sale",
            title=f"石岐地块 {n}",
            town=town,
            expected_utilities=["electricity"],
        )
    operator_api.get("/api/v1/demand-notices/?page_size=1")  # first use of the token is noted
    counts = {}
    for size in (10, 200):
        with CaptureQueriesContext(connection) as queries:
            response = operator_api.get(f"/api/v1/demand-notices/?page_size={size}")
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)
    assert counts[10] == counts[200], counts
    assert counts[10] <= 3, counts


def test_a_department_sees_whom_its_signal_reached_and_who_acknowledged(
    provider_api, operator_api, make_token, bearer
):
    pushed = _push(provider_api).json()
    notice = operator_api.get("/api/v1/demand-notices/").json()["results"][0]
    assert operator_api.post(f"/api/v1/demand-notices/{notice['uuid']}/ack/").status_code == 200

    listed = provider_api.get("/api/v1/demand-signals/")
    assert listed.status_code == 200, listed.json()
    [signal] = listed.json()["results"]
    assert signal["uuid"] == pushed["uuid"] and signal["notices"] == 2
    by_operator = {row["operator"]["code"]: row for row in signal["operator_notices"]}
    assert set(by_operator) == {"csg-zhongshan", "crgas-zs"}
    power, gas = by_operator["csg-zhongshan"], by_operator["crgas-zs"]
    assert power["status"] == NoticeStatus.ACKNOWLEDGED and power["acknowledged_at"]
    assert power["utilities"] == ["electricity"]
    assert gas["status"] == NoticeStatus.NEW and gas["acknowledged_at"] is None
    one = provider_api.get(f"/api/v1/demand-signals/{pushed['uuid']}/")
    assert one.status_code == 200 and one.json() == signal

    # Another department sees none of it; its signal answers like a missing one.
    other = bearer(make_token("market-regulation"))
    assert other.get("/api/v1/demand-signals/").json()["results"] == []
    same = {"HTTP_X_REQUEST_ID": "same-request"}  # bodies carry the request id
    theirs = other.get(f"/api/v1/demand-signals/{pushed['uuid']}/", **same)
    missing = other.get("/api/v1/demand-signals/00000000-0000-4000-8000-000000000000/", **same)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_reading_signals_needs_the_read_scope(provider_api, make_token, bearer):
    _push(provider_api)
    pusher = bearer(make_token("investment", ["demand_signals:write"]))
    response = pusher.get("/api/v1/demand-signals/")
    assert response.status_code == 403
    assert "demand_signals:read" in response.json()["detail"]
    operator = bearer(make_token("csg-zhongshan"))
    assert operator.get("/api/v1/demand-signals/").status_code == 403


def test_signals_filter_by_kind_and_creation_time(provider_api):
    first = _push(provider_api).json()
    later = _push(provider_api, {**LAND_SALE, "kind": "investment", "title": "招商签约"}).json()
    by_kind = provider_api.get("/api/v1/demand-signals/", {"kind": "investment"}).json()
    assert [row["uuid"] for row in by_kind["results"]] == [later["uuid"]]
    after = provider_api.get("/api/v1/demand-signals/", {"created_after": first["created_at"]})
    assert [row["uuid"] for row in after.json()["results"]] == [later["uuid"]]
    assert provider_api.get("/api/v1/demand-signals/?kind=castle").status_code == 400


def test_the_signal_list_runs_the_same_queries_for_pages_of_10_and_100(reference, provider_api):
    source = Organization.objects.get(code="investment")
    town = Town.objects.get(code="xiaolan")
    operators = list(Organization.objects.filter(code__in=["csg-zhongshan", "crgas-zs"]))
    signals = DemandSignal.objects.bulk_create(
        DemandSignal(
            source_organization=source,
            kind="land_sale",
            title=f"小榄地块 {n}",
            town=town,
            expected_utilities=["electricity", "gas"],
        )
        for n in range(110)
    )
    DemandNotice.objects.bulk_create(
        DemandNotice(signal=signal, operator=operator, utilities=["electricity"])
        for signal in signals
        for operator in operators
    )
    provider_api.get("/api/v1/demand-signals/?page_size=1")  # first use of the token is noted
    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = provider_api.get(f"/api/v1/demand-signals/?page_size={size}")
        rows = response.json()["results"]
        assert len(rows) == size
        assert all(len(row["operator_notices"]) == 2 for row in rows)
        counts[size] = len(queries)
    assert counts[10] == counts[100], counts
    assert counts[10] <= 4, counts
