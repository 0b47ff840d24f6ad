"""承诺制 on the pages: the applicant uploads the promised document from the tracking page, the
agency that issues it finds it in its queue under /staff/commitments/ (no one else does) and
accepts it or records it broken; the applicant reads the outcome with its reason in their
language; the staff site refuses to connect a case with an unverified commitment."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.constants import CommitmentStatus, ServiceStatus
from applications.services import commitment_supply, commitments_fall_due
from notifications.constants import Channel
from notifications.models import Delivery
from notifications.services import facts_process
from tests.factories import PDF_BYTES, make_service, staff_of

LATER = dt.timedelta(days=90)  # past every commitment's working day


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf(name="permit.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES + name.encode(), "application/pdf")


@pytest.fixture
def agency():
    return staff_of("natural-resources", username="nr-clerk")


@pytest.fixture
def due_case(submit):
    """A water request whose commitments all fell due."""
    combined = submit(["water"], commit_where_allowed=True)
    commitments_fall_due(now=timezone.now() + LATER)
    return combined


def _queue(client, **params):
    response = client.get(reverse("staff:commitments"), params)
    assert response.status_code == 200
    return response, set(re.findall(r'data-commitment="([0-9a-f-]+)"', response.content.decode()))


@pytest.mark.django_db
def test_the_verifying_agency_sees_its_due_commitments_and_no_one_elses(due_case, agency):
    _response, listed = _queue(client_for(agency))
    mine = {
        str(c.uuid)
        for c in due_case.commitments.filter(doc_type__in=["planning_permit", "property_right"])
    }
    assert listed == mine
    housing = client_for(staff_of("housing", username="housing-clerk"))
    _response, theirs = _queue(housing)
    assert theirs == {str(due_case.commitments.get(doc_type="construction_permit").uuid)}


@pytest.mark.django_db
def test_the_staff_nav_links_the_queue_for_agencies(due_case, agency):
    page = client_for(agency).get(reverse("staff:queue")).content.decode()
    assert reverse("staff:commitments") in page
    operator = client_for(staff_of("zs-water", username="water-clerk"))
    assert reverse("staff:commitments") not in operator.get(reverse("staff:queue")).content.decode()


@pytest.mark.django_db
def test_another_agency_cannot_decide_a_commitment_it_does_not_verify(due_case):
    planning = due_case.commitments.get(doc_type="planning_permit")
    url = reverse("staff:commitment_decide", args=[planning.uuid, "breach"])
    for code in ("housing", "zs-water"):
        response = client_for(staff_of(code, username=f"{code}-x")).post(url, {"reason": "不实"})
        assert response.status_code == 404
    planning.refresh_from_db()
    assert planning.status == CommitmentStatus.PENDING


@pytest.mark.django_db
def test_the_queue_runs_the_same_queries_for_2_and_6_commitments(submit, agency):
    client = client_for(agency)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _queue(client)
        return len(queries)

    submit(["water"], commit_where_allowed=True)
    commitments_fall_due(now=timezone.now() + LATER)
    few = count()
    for _ in range(2):
        submit(["water"], commit_where_allowed=True)
    commitments_fall_due(now=timezone.now() + LATER)
    assert len(_queue(client)[1]) == 6
    assert count() == few


@pytest.mark.django_db
def test_applicant_uploads_then_agency_accepts(due_case, agency, client, applicant):
    client.force_login(applicant)
    planning = due_case.commitments.get(doc_type="planning_permit")
    url = reverse("applications:commitment_upload", args=[due_case.uuid, planning.uuid])
    form_field = f"k{planning.pk}-file"
    page = client.get(reverse("applications:request_detail", args=[due_case.uuid]))
    assert f'action="{url}"' in page.content.decode()

    response = client.post(url, {form_field: _pdf()})
    assert response.status_code == 302
    planning.refresh_from_db()
    assert planning.status == CommitmentStatus.SUBMITTED
    # The agency reads the document supplied for it.
    assert (
        client_for(agency)
        .get(reverse("applications:document_download", args=[planning.document.uuid]))
        .status_code
        == 200
    )

    response = client_for(agency).post(
        reverse("staff:commitment_decide", args=[planning.uuid, "verify"])
    )
    assert response.status_code == 302
    planning.refresh_from_db()
    assert planning.status == CommitmentStatus.VERIFIED
    sa = due_case.services.get()
    assert sa.unverified_commitments == 2
    # The document now serves the application as if filed with it.
    assert sa.document_links.filter(doc_type="planning_permit", document=planning.document)


@pytest.mark.django_db
def test_a_bad_upload_comes_back_with_its_field_error(due_case, client, applicant):
    client.force_login(applicant)
    planning = due_case.commitments.get(doc_type="planning_permit")
    url = reverse("applications:commitment_upload", args=[due_case.uuid, planning.uuid])
    field = f"k{planning.pk}-file"
    fake = SimpleUploadedFile("permit.pdf", b"MZ not a pdf", "application/pdf")
    response = client.post(url, {field: fake})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-error-summary" in html
    assert f'href="#id_{field}"' in html
    assert "仅接受 PDF、JPEG 和 PNG 格式的文件。" in html
    response = client.post(url, {})
    assert response.status_code == 200
    assert "请选择要上传的材料" in response.content.decode()
    planning.refresh_from_db()
    assert planning.status == CommitmentStatus.PENDING


@pytest.mark.django_db
def test_a_breach_pauses_the_case_and_the_applicant_reads_why(
    submit, agency, client, applicant, operator_staff
):
    combined = submit(["water"], commit_where_allowed=True)
    sa = combined.services.get()
    commitments_fall_due(now=timezone.now() + LATER)
    planning = combined.commitments.get(doc_type="planning_permit")
    response = client_for(agency).post(
        reverse("staff:commitment_decide", args=[planning.uuid, "breach"]),
        {"reason": "规划许可证逾期未交"},
    )
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUSPENDED

    client.force_login(applicant)
    chinese = client.get(reverse("applications:request_detail", args=[combined.uuid]))
    html = chinese.content.decode()
    assert "规划许可证逾期未交" in html
    assert "已暂停：承诺未履行" in html
    english = client.get(
        "/en" + reverse("applications:request_detail", args=[combined.uuid])
    ).content.decode()
    assert "Paused: a commitment was not kept" in english
    assert "规划许可证逾期未交" in english  # what the agency typed stays as typed
    # A paused case can still be saved: the upload form is there.
    assert reverse("applications:commitment_upload", args=[combined.uuid, planning.uuid]) in english


@pytest.mark.django_db
def test_notices_reach_agency_and_applicant_in_both_languages(due_case, agency, applicant):
    facts_process()
    agency_org = agency.memberships.get().organization
    due = Delivery.objects.filter(
        channel=Channel.IN_APP, recipient_organization=agency_org, code="commitment.due_agency"
    )
    assert due.count() == 2
    told = Delivery.objects.filter(
        channel=Channel.IN_APP,
        recipient_organization=due_case.applicant,
        code="commitment.due",
    )
    assert told.count() == 3
    planning = due_case.commitments.get(doc_type="planning_permit")
    commitment_supply(actor=applicant, commitment=planning, upload=_pdf())
    client = client_for(agency)
    client.post(
        reverse("staff:commitment_decide", args=[planning.uuid, "breach"]),
        {"reason": "材料与承诺不符"},
    )
    facts_process()
    assert Delivery.objects.filter(
        recipient_organization=agency_org, code="commitment.supplied"
    ).exists()
    message = Delivery.objects.get(
        channel=Channel.IN_APP,
        recipient_organization=due_case.applicant,
        code="commitment.breached",
    )
    reader = client_for(applicant)
    chinese = reader.get(f"/inbox/{message.uuid}/").content.decode()
    english = reader.get(f"/en/inbox/{message.uuid}/").content.decode()
    assert "承诺未履行" in chinese and "材料与承诺不符" in chinese
    assert "commitment not kept" in english and "材料与承诺不符" in english
    assert "承诺未履行" not in english
    # And the paused case's own state change reached the applicant too.
    assert Delivery.objects.filter(
        recipient_organization=due_case.applicant,
        code="case.state_changed",
        params__status="suspended",
    ).exists()


@pytest.mark.django_db
def test_the_staff_site_refuses_to_connect_a_case_with_an_unverified_commitment(
    applicant_org, applicant, project
):
    sa = make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        utility="water",
        operator_code="zs-water",
        status=ServiceStatus.INSPECTING,
        unverified_commitments=1,
    )
    operator = client_for(staff_of("zs-water", username="water-op"))
    name = "connect"
    response = operator.post(
        reverse("staff:case_transition", args=[sa.combined.uuid, sa.uuid, name]),
        {f"t{sa.pk}-{name}-inspection_result": "合格"},
    )
    assert response.status_code == 409
    assert "承诺" in response.content.decode()
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.INSPECTING
