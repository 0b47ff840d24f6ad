"""The access log (个人信息保护法): every staff or API read of a case's personal data or of a
document leaves exactly one row saying who, for which organisation, what, when, from where and
through which door; applicants reading their own data and anonymous public pages leave none.
The database refuses to change or delete a row, except the retention purge."""

import csv
import datetime as dt
import io
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import ServiceApplication
from coordination.services import DemandInput, demand_submit
from tests.factories import PDF_BYTES, staff_of
from workgroups.access_log import access_records_purge
from workgroups.api_tokens import api_token_create
from workgroups.constants import AccessDoor, AccessKind, MemberRole
from workgroups.models import AccessRecord, Membership, Organization, Town, User
from workgroups.selectors import access_records_for_subjects

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def _client(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def _bearer(code: str, scopes: list[str]) -> APIClient:
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "log-admin", "admin@example.cn", "x"
    )
    _token, plaintext = api_token_create(
        actor=admin, organization=Organization.objects.get(code=code), name="sync", scopes=scopes
    )
    api = APIClient(REMOTE_ADDR=ADDRESS)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return api


def _rows_of(response) -> list[tuple]:
    """The rows the request wrote (by its X-Request-ID), as comparable tuples."""
    rows = AccessRecord.objects.filter(request_id=response["X-Request-ID"]).order_by("kind")
    return [
        (
            r.username,
            r.organization.code if r.organization else None,
            r.organization_name,
            r.door,
            r.kind,
            sorted(r.subjects),
            r.cases,
            r.case_references,
            r.ip_address,
        )
        for r in rows
    ]


@pytest.fixture
def case(submit, applicant_org, applicant, project):
    """An electricity case with the applicant's documents, a permit waiting at an agency (on
    another case of the same company) and a demand with an attachment about water."""
    from tests.api.conftest import permitting_item

    combined = submit(["electricity"])
    sa = combined.services.get()
    permit_sa = permitting_item(applicant_org, applicant, project)
    from django.core.files.uploadedfile import SimpleUploadedFile

    demand = demand_submit(
        actor=None,
        data=DemandInput(
            kind="complaint",
            theme="payment",
            utility="water",
            town=Town.objects.get(code="shiqi"),
            title="水费账单重复扣款",
            description="三月份水费被扣了两次，请核实退款。",
            address="石岐街道民生路2号",
            contact_name="林女士",
            contact_mobile="13800138000",
            attachments=[SimpleUploadedFile("bill.pdf", PDF_BYTES, "application/pdf")],
        ),
    )
    return {
        "combined": combined,
        "sa": sa,
        "document": sa.document_links.order_by("doc_type").first().document,
        "permit": permit_sa.permits.get(),
        "permit_sa": permit_sa,
        "demand": demand,
    }


def test_every_read_of_personal_data_writes_one_row_and_public_pages_none(case, applicant):
    combined, sa, document = case["combined"], case["sa"], case["document"]
    permit, permit_sa, demand = case["permit"], case["permit_sa"], case["demand"]
    ref, permit_ref = combined.reference, permit_sa.combined.reference
    operator = staff_of("csg-zhongshan", username="csg-clerk")
    water = staff_of("water-bureau", username="water-clerk")
    staff_site, api, portal = AccessDoor.STAFF_SITE, AccessDoor.API, AccessDoor.PORTAL
    op = ("csg-clerk", "csg-zhongshan", "中山供电局")

    def expect(response, *rows):
        assert response.status_code == 200, response.content[:300]
        assert _rows_of(response) == list(rows)

    # Staff site: the case page, a document (download and preview), a demand and its file.
    expect(
        _client(operator).get(reverse("staff:case", args=[combined.uuid])),
        (*op, staff_site, AccessKind.CASE, [str(sa.uuid)], [str(combined.uuid)], [ref], ADDRESS),
    )
    # The queue names each case's applicant (a person's name when a person applied): one row
    # for the page, naming every case on it.
    queue = _client(operator).get(reverse("staff:queue"))
    shown = list(ServiceApplication.objects.filter(operator__code="csg-zhongshan"))
    assert shown and all(str(s.uuid) in queue.content.decode() for s in shown)
    [row] = _rows_of(queue)
    assert (*row[:6], sorted(row[6]), sorted(row[7]), row[8]) == (
        *op,
        staff_site,
        AccessKind.CASE,
        sorted(str(s.uuid) for s in shown),
        sorted({str(s.combined.uuid) for s in shown}),
        sorted({s.combined.reference for s in shown if s.combined.reference}),
        ADDRESS,
    )
    for name in ("document_download", "document_inline"):
        response = _client(operator).get(reverse(f"applications:{name}", args=[document.uuid]))
        expect(response, (*op, portal, AccessKind.DOCUMENT, [str(document.uuid)], [], [], ADDRESS))
    attachment = demand.attachments.get()
    wb = ("water-clerk", "water-bureau", Organization.objects.get(code="water-bureau").name_zh)
    expect(
        _client(water).get(reverse("staff:demand", args=[demand.uuid])),
        (*wb, staff_site, AccessKind.DEMAND_CONTACT, [str(demand.uuid)], [], [], ADDRESS),
    )
    expect(
        _client(water).get(reverse("staff:demand_attachment", args=[demand.uuid, attachment.uuid])),
        (
            *wb,
            staff_site,
            AccessKind.DEMAND_ATTACHMENT,
            sorted([str(attachment.uuid), str(demand.uuid)]),
            [],
            [],
            ADDRESS,
        ),
    )

    # A department's pushed project: who claimed it (not claimed yet: the project alone).
    from applications.services.projects import project_push

    investment = Organization.objects.get(code="investment")
    clerk = staff_of("investment", username="investment-clerk")
    pushed = project_push(
        actor=clerk,
        organization=investment,
        code="2026-442000-70-01-000001",
        town_code="xiaolan",
        name="小榄滨河商住项目",
        kind="new",
        works_type="building",
        address="中山市小榄镇滨河路8号",
        owner_credit_code="91442000MA7QX31P2X",
    )
    expect(
        _client(clerk).get(reverse("staff:project", args=[pushed.uuid])),
        (
            "investment-clerk",
            "investment",
            investment.name_zh,
            staff_site,
            AccessKind.COMPANY_IDENTITY,
            [str(pushed.uuid)],
            [],
            [],
            ADDRESS,
        ),
    )

    # The API with a token: the operator's work item and its document, the agency's permits
    # (the list counts as a read of every application on the page: one row).
    operator_api = _bearer("csg-zhongshan", ["work_items:read"])
    detail = operator_api.get(reverse("api:work-item-detail", args=[sa.uuid]))
    service = User.objects.get(pk=detail.wsgi_request.user.pk).username
    csg = (service, "csg-zhongshan", "中山供电局")
    expect(
        detail,
        (*csg, api, AccessKind.CASE, [str(sa.uuid)], [str(combined.uuid)], [ref], ADDRESS),
    )
    expect(
        operator_api.get(reverse("api:document-download", args=[document.uuid])),
        (*csg, api, AccessKind.DOCUMENT, [str(document.uuid)], [], [], ADDRESS),
    )
    agency_api = _bearer(permit.agency.code, ["permits:read"])
    listing = agency_api.get(reverse("api:permit-list"))
    agency = (listing.wsgi_request.user.username, permit.agency.code, permit.agency.name_zh)
    permit_read = (
        *agency,
        api,
        AccessKind.CASE,
        [str(permit_sa.uuid)],
        [str(permit_sa.combined.uuid)],
        [permit_ref] if permit_ref else [],  # an item made without submitting has none
        ADDRESS,
    )
    expect(listing, permit_read)
    expect(agency_api.get(reverse("api:permit-detail", args=[permit.uuid])), permit_read)
    # The operator's list of work items carries no personal data (status and dates): no row.
    assert operator_api.get(reverse("api:work-item-list")).status_code == 200

    # The system administration's change page of an application (a platform administrator:
    # no organisation).
    root = User.objects.create_superuser("root-reader", "root@example.cn", "x")
    expect(
        _client(root).get(reverse("admin:applications_serviceapplication_change", args=[sa.pk])),
        (
            "root-reader",
            None,
            "",
            AccessDoor.ADMIN,
            AccessKind.CASE,
            [str(sa.uuid)],
            [str(combined.uuid)],
            [ref],
            ADDRESS,
        ),
    )

    # The applicant reads its own case and document: not logged.
    own = _client(applicant)
    assert own.get(reverse("applications:request_detail", args=[combined.uuid])).status_code == 200
    assert (
        own.get(reverse("applications:document_download", args=[document.uuid])).status_code == 200
    )
    # Anonymous public pages: nothing.
    anonymous = Client()
    for url in (
        reverse("home"),
        reverse("applications:notices"),
        reverse("applications:guides"),
        reverse("applications:service_guide", args=["electricity"]),
        reverse("applications:transparency"),
        reverse("applications:package_verify_start"),
        reverse("applications:demand_new"),
    ):
        assert anonymous.get(url).status_code == 200, url
    # A refused read (another operator's case) records nothing either.
    rival = _client(staff_of("zs-water", username="water-op"))
    assert rival.get(reverse("staff:case", args=[combined.uuid])).status_code == 404
    assert AccessRecord.objects.count() == 12


def test_the_address_is_the_trusted_proxys_view_of_the_client(case, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = _client(staff_of("csg-zhongshan", username="csg-clerk"))
    response = client.get(
        reverse("staff:case", args=[case["combined"].uuid]),
        HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.20",
        REMOTE_ADDR="10.0.0.2",
    )
    assert AccessRecord.objects.get(request_id=response["X-Request-ID"]).ip_address == (
        "198.51.100.20"
    )


def test_recording_costs_one_statement(case):
    """One INSERT per request, after the page is built; and what it costs (printed)."""
    client = _client(staff_of("csg-zhongshan", username="csg-clerk"))
    url = reverse("staff:case", args=[case["combined"].uuid])
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    inserts = [q["sql"] for q in queries if "workgroups_accessrecord" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].lstrip().startswith("INSERT")
    # The last statement of the request: the page was built before it.
    assert "workgroups_accessrecord" in queries.captured_queries[-1]["sql"]
    # Micro-benchmark: what the middleware adds (collect + one INSERT), next to the cheapest
    # possible statement on the same connection.
    from django.test import RequestFactory

    from workgroups.access_log import access_records_write, record_access

    user = User.objects.get(username="csg-clerk")
    requests = []
    for _ in range(300):
        request = RequestFactory().get(url, REMOTE_ADDR=ADDRESS)
        request.user = user
        requests.append(request)
    started = time.perf_counter()
    for request in requests:
        record_access(request, kind=AccessKind.CASE, subjects=["a"], cases=[("b", "ZS-1")])
        access_records_write(request)
    each_ms = (time.perf_counter() - started) / len(requests) * 1000
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in requests:
            cursor.execute("SELECT 1")
    select_ms = (time.perf_counter() - started) / len(requests) * 1000
    print(f"access-log write: {each_ms:.3f} ms per request (SELECT 1: {select_ms:.3f} ms)")  # noqa: T201
    assert each_ms < 20


def test_the_database_refuses_to_change_or_delete_a_row_except_the_purge(case, settings):
    client = _client(staff_of("csg-zhongshan", username="csg-clerk"))
    client.get(reverse("staff:case", args=[case["combined"].uuid]))
    row = AccessRecord.objects.get()
    table = AccessRecord._meta.db_table
    for sql in (f"UPDATE {table} SET username = 'x'", f"DELETE FROM {table}"):  # noqa: S608
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(TypeError):
        AccessRecord.objects.all().delete()
    with pytest.raises(TypeError):
        row.delete()
    # Removing the person keeps the row, with the name copied at the time.
    User.objects.filter(username="csg-clerk").delete()
    row.refresh_from_db()
    assert (row.user_id, row.username) == (None, "csg-clerk")

    # Retention: only rows older than ACCESS_LOG_RETENTION_DAYS go.
    settings.ACCESS_LOG_RETENTION_DAYS = 180
    assert access_records_purge(now=row.at + dt.timedelta(days=180)) == 0
    assert access_records_purge(now=row.at + dt.timedelta(days=180, seconds=1)) == 1
    assert not AccessRecord.objects.exists()


def test_a_retention_below_six_months_is_refused_at_start(monkeypatch):
    import importlib

    import portal.settings.base as base

    monkeypatch.setenv("ACCESS_LOG_RETENTION_DAYS", "90")
    with pytest.raises(ImproperlyConfigured, match="at least 180 days"):
        importlib.reload(base)
    monkeypatch.setenv("ACCESS_LOG_RETENTION_DAYS", "1095")
    importlib.reload(base)


def test_the_company_export_finds_every_read_of_its_cases_and_documents(case):
    combined, document = case["combined"], case["document"]
    client = _client(staff_of("csg-zhongshan", username="csg-clerk"))
    client.get(reverse("staff:case", args=[combined.uuid]))
    client.get(reverse("applications:document_download", args=[document.uuid]))
    client.get(reverse("staff:demand", args=[case["demand"].uuid]))  # 404: not csg's
    with CaptureQueriesContext(connection) as queries:
        rows = list(
            access_records_for_subjects(case_ids=[combined.uuid], subject_ids=[document.uuid])
        )
    assert len(queries) == 1
    assert [(r.kind, r.username) for r in rows] == [
        (AccessKind.CASE, "csg-clerk"),
        (AccessKind.DOCUMENT, "csg-clerk"),
    ]
    assert list(access_records_for_subjects(case_ids=[case["permit_sa"].combined.uuid])) == []


@pytest.fixture
def logged(case):
    """Reads by people of three organisations, and who may search them."""
    csg = staff_of("csg-zhongshan", username="csg-clerk")
    water = staff_of("water-bureau", username="water-clerk")
    _client(csg).get(reverse("staff:case", args=[case["combined"].uuid]))
    _client(csg).get(reverse("applications:document_download", args=[case["document"].uuid]))
    _client(water).get(reverse("staff:demand", args=[case["demand"].uuid]))
    office = staff_of("leadership-office", username="office-clerk")
    manager = staff_of("csg-zhongshan", username="csg-manager")
    Membership.objects.filter(user=manager).update(role=MemberRole.MANAGER)
    return {"office": office, "manager": manager, "clerk": csg}


def _listed(response) -> list[str]:
    html = response.content.decode()
    return [
        r.username for r in AccessRecord.objects.all() if f'data-access-record="{r.pk}"' in html
    ]


def test_the_office_searches_every_row_a_manager_their_own_and_staff_none(logged, case):
    url = reverse("staff:access_log")
    office = _client(logged["office"])
    everything = office.get(url)
    assert everything.status_code == 200
    assert sorted(_listed(everything)) == ["csg-clerk", "csg-clerk", "water-clerk"]
    assert "访问日志" in everything.content.decode()  # the nav link and the title, in Chinese
    manager = _client(logged["manager"])
    assert sorted(_listed(manager.get(url))) == ["csg-clerk", "csg-clerk"]
    # The manager cannot widen the scope with the office's organisation filter.
    water = Organization.objects.get(code="water-bureau")
    assert _listed(manager.get(url, {"organization": water.pk})) == ["csg-clerk", "csg-clerk"]
    assert _client(logged["clerk"]).get(url).status_code == 403
    assert (
        'href="/staff/access-log/"'
        not in _client(logged["clerk"]).get(reverse("staff:knowledge")).content.decode()
    )

    # Filters: organisation, case reference, kind, door, dates, address.
    ref = case["combined"].reference
    assert _listed(office.get(url, {"organization": water.pk})) == ["water-clerk"]
    assert _listed(office.get(url, {"subject": ref})) == ["csg-clerk"]
    assert _listed(office.get(url, {"subject": str(case["document"].uuid)})) == ["csg-clerk"]
    assert _listed(office.get(url, {"kind": AccessKind.DEMAND_CONTACT})) == ["water-clerk"]
    assert len(_listed(office.get(url, {"door": AccessDoor.PORTAL}))) == 1
    today = timezone.localdate().isoformat()
    assert len(_listed(office.get(url, {"since": today, "until": today}))) == 3
    assert _listed(office.get(url, {"ip_address": "192.0.2.1"})) == []
    assert len(_listed(office.get(url, {"person": "csg"}))) == 2

    # Invalid input: the page again (200) with the error summary, and no rows.
    refused = office.get(
        url, {"ip_address": "not-an-address", "since": today, "until": "2020-01-01"}
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "error-summary" in html and 'id="id_ip_address_errors"' in html
    assert _listed(refused) == []


def test_the_search_page_runs_a_constant_number_of_queries(logged, case):
    url = reverse("staff:access_log")
    office = _client(logged["office"])
    office.get(url)
    with CaptureQueriesContext(connection) as few:
        office.get(url)
    client = _client(logged["clerk"])
    for _ in range(5):
        client.get(reverse("staff:case", args=[case["combined"].uuid]))
    with CaptureQueriesContext(connection) as many:
        office.get(url)
    assert len(many) == len(few)


def test_the_csv_export_holds_the_filtered_rows(logged, case):
    office = _client(logged["office"])
    response = office.get(reverse("staff:access_log"), {"person": "csg", "csv": "records"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3  # the header and two reads
    by_kind = {row[4]: row for row in rows[1:]}
    case_row = by_kind["个案个人信息"]
    assert case_row[1] == "csg-clerk" and case_row[2] == "中山供电局"
    assert case_row[5] == case["combined"].reference and case_row[8] == ADDRESS


def test_a_request_answered_without_the_middleware_is_still_logged_when_it_finishes(case, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("AccessLogMiddleware")]
    client = _client(staff_of("csg-zhongshan", username="csg-clerk"))
    response = client.get(reverse("staff:case", args=[case["combined"].uuid]))
    assert response.status_code == 200
    row = AccessRecord.objects.get()
    assert (row.username, row.kind, row.cases) == (
        "csg-clerk",
        AccessKind.CASE,
        [str(case["combined"].uuid)],
    )
