"""The one decision package (统一出件): issued when every utility has its plan and permits, one
PDF signed by the platform with every plan, fee and permit, verifiable by anyone holding its
code; a changed request issues a new package and the old one reads as superseded."""

import io
import threading

import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from applications.constants import ServiceStatus
from applications.models import (
    DecisionPackage,
    JointWorksPlan,
    PermitRequest,
    ServiceApplication,
)
from applications.services import combined_application_submit, service_application_transition
from applications.services.commitments import commitment_supply, commitment_verify
from applications.services.joint_works import joint_works_plan_act
from applications.services.packages import PackageNotReady, decision_package_issue
from applications.services.permits import permit_request_decide
from core.pdf_signing import check_pdf_signature, platform_certificate
from tests.applications.joint_works_helpers import UTILITIES as JOINT
from tests.applications.joint_works_helpers import propose, services_for
from tests.applications.test_joint_works import _approve_all
from tests.factories import PDF_BYTES, company, member_of, staff_of, submission

BASE = "http://testserver"
PLANS = {
    "electricity": {
        "survey_result": "现场具备接入条件",
        "plan": "由10kV翠亨线T接,新建630kVA箱变一台",
        "fee_quote_cny": "12800.00",
        "required_permits": ["planning", "road_excavation"],
    },
    "water": {
        "survey_result": "市政管网压力满足",
        "plan": "DN100接驳翠亨大道市政给水管",
        "fee_quote_cny": "5600.50",
        "required_permits": [],
    },
}
OPERATORS = {"electricity": "csg-zhongshan", "water": "zs-water"}
AGENCIES = {"planning": "natural-resources", "road_excavation": "urban-management"}


@pytest.fixture
def request_of_two(applicant_org, applicant, project):
    combined = combined_application_submit(
        actor=applicant,
        applicant=applicant_org,
        project=project,
        data=submission(
            applicant, applicant_org, ["electricity", "water"], commit_where_allowed=True
        ),
    )
    return combined, {sa.utility: sa for sa in combined.services.all()}


def _to_plan(sa, applicant):
    operator = staff_of(OPERATORS[sa.utility])
    for name, data in (("accept", None), ("start_survey", None), ("issue_plan", PLANS[sa.utility])):
        sa = service_application_transition(
            actor=operator, service_application=sa, transition=name, data=data
        )
    return service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )


def _approve_permits(sa):
    for permit in PermitRequest.objects.filter(service_application=sa):
        permit_request_decide(
            actor=staff_of(AGENCIES[permit.permit_type]), permit_request=permit, decision="approve"
        )
    sa.refresh_from_db()
    return sa


@pytest.fixture
def decided(request_of_two, applicant):
    combined, services = request_of_two
    power = _approve_permits(_to_plan(services["electricity"], applicant))
    water = _to_plan(services["water"], applicant)
    assert power.status == water.status == ServiceStatus.CONSTRUCTING
    return combined


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _pdf(package) -> bytes:
    with package.pdf.open("rb") as handle:
        return handle.read()


def test_no_package_while_a_utility_waits_for_its_permits(request_of_two, applicant):
    combined, services = request_of_two
    _to_plan(services["electricity"], applicant)  # permits pending
    _to_plan(services["water"], applicant)
    with pytest.raises(PackageNotReady):
        decision_package_issue(combined=combined, base_url=BASE)
    client = Client()
    client.force_login(applicant)
    page = client.get(f"/requests/{combined.uuid}/")
    assert "package_pdf" not in page.content.decode() and b"package.pdf" not in page.content
    refused = client.get(f"/requests/{combined.uuid}/package.pdf")
    assert refused.status_code == 409
    assert "每项业务" in refused.content.decode() or "plan and permits" in refused.content.decode()
    assert not DecisionPackage.objects.exists()


def test_the_package_holds_every_plan_fee_and_permit_and_is_signed(decided, project):
    package = decision_package_issue(combined=decided, base_url=BASE)
    pdf = _pdf(package)
    text = _text(pdf)
    assert project.code in text
    assert "12800.00" in text and "5600.50" in text
    assert "新建630kVA箱变" in text  # the Chinese font is embedded: the text extracts as written
    assert package.short_code in text
    assert {u["utility"] for u in package.content["utilities"]} == {"electricity", "water"}
    permits = {p["type"] for u in package.content["utilities"] for p in u["permits"]}
    assert permits == {"planning", "road_excavation"}
    assert package.content["fee_total_cny"] == "18400.50"
    assert all(u["fee_confirmed_at"] for u in package.content["utilities"])
    assert "申请人已于" in text and "confirmed by the applicant" in text
    assert package.content["open_commitments"]  # signed instead of documents, not yet verified
    # pyHanko itself finds one intact PAdES signature over the whole file, by the platform.
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[platform_certificate()])
    )
    assert status.intact and status.valid and status.trusted
    assert check_pdf_signature(pdf).valid


def test_the_same_request_gives_the_same_package_and_a_change_a_new_one(decided):
    first = decision_package_issue(combined=decided, base_url=BASE)
    again = decision_package_issue(combined=decided, base_url=BASE)
    assert again.pk == first.pk
    # A stage moving on changes nothing in the package.
    water = decided.services.get(utility="water")
    service_application_transition(
        actor=staff_of("zs-water"), service_application=water, transition="complete_construction"
    )
    assert decision_package_issue(combined=decided, base_url=BASE).pk == first.pk
    # A revised plan does.
    ServiceApplication.objects.filter(pk=water.pk).update(plan="DN150接驳")
    second = decision_package_issue(combined=decided, base_url=BASE)
    first.refresh_from_db()
    assert second.number == 2 and second.short_code != first.short_code
    assert first.superseded_at is not None and second.superseded_at is None


def test_anyone_verifies_a_package_and_an_altered_copy_fails(decided, project):
    package = decision_package_issue(combined=decided, base_url=BASE)
    pdf = _pdf(package)
    anyone = Client()
    page = anyone.get(f"/en/verify/{package.short_code}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-verdict="current"' in body
    assert project.code in body and package.pdf_sha256 in body
    assert package.issued_at.astimezone().strftime("%Y-%m-%d") in body

    def check(data: bytes) -> str:
        upload = io.BytesIO(data)
        upload.name = "copy.pdf"
        answer = anyone.post(f"/verify/{package.short_code}/", {"copy": upload})
        assert answer.status_code == 200
        return answer.content.decode()

    assert 'data-copy="match"' in check(pdf)
    altered = bytearray(pdf)
    at = pdf.index(b"/Contents", len(pdf) // 4)  # inside the signed range, not the signature
    altered[at - 20] ^= 0x01
    assert 'data-copy="mismatch"' in check(bytes(altered))
    assert 'data-copy="mismatch"' in check(pdf + b"\n% appended after signing\n")
    assert not check_pdf_signature(bytes(altered)).valid
    assert not check_pdf_signature(pdf + b"\n% appended\n").valid


def test_a_superseded_package_still_verifies_as_superseded(decided):
    first = decision_package_issue(combined=decided, base_url=BASE)
    ServiceApplication.objects.filter(combined=decided, utility="water").update(plan="DN150")
    page = Client().get(f"/verify/{first.short_code}/")  # not re-issued yet: the request changed
    assert 'data-verdict="superseded"' in page.content.decode()
    decision_package_issue(combined=decided, base_url=BASE)
    page = Client().get(f"/verify/{first.short_code}/")
    assert 'data-verdict="superseded"' in page.content.decode()


def test_a_stored_package_tampered_with_reads_not_valid(decided):
    package = decision_package_issue(combined=decided, base_url=BASE)
    pdf = bytearray(_pdf(package))
    pdf[len(pdf) // 3] ^= 0x01
    with open(package.pdf.path, "wb") as handle:
        handle.write(pdf)
    page = Client().get(f"/verify/{package.short_code}/")
    assert 'data-verdict="invalid"' in page.content.decode()


def test_the_applicant_downloads_pdf_and_json_others_do_not(decided, applicant, project):
    client = Client()
    client.force_login(applicant)
    page = client.get(f"/requests/{decided.uuid}/")
    assert b"package.pdf" in page.content
    pdf = client.get(f"/requests/{decided.uuid}/package.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert check_pdf_signature(pdf.content).valid
    data = client.get(f"/en/requests/{decided.uuid}/package.json").json()
    package = DecisionPackage.objects.get()
    assert data["package"]["verification_code"] == package.short_code
    assert data["package"]["pdf_sha256"] == package.pdf_sha256
    assert data["project"]["code"] == project.code
    assert data["package"]["verify_url"].endswith(f"/verify/{package.short_code}/")
    # The tracking page lists the issue with its code.
    assert package.short_code in client.get(f"/requests/{decided.uuid}/").content.decode()

    stranger = Client()
    stranger.force_login(member_of(company("other", "中山其他公司"), username="other"))
    assert stranger.get(f"/requests/{decided.uuid}/package.pdf").status_code == 404
    assert Client().get(f"/requests/{decided.uuid}/package.json").status_code == 302  # sign in


def test_the_code_page_finds_a_package_and_explains_a_wrong_code(decided):
    package = decision_package_issue(combined=decided, base_url=BASE)
    anyone = Client()
    found = anyone.get("/verify/", {"code": package.short_code.lower()})
    assert found.status_code == 302 and found["Location"].endswith(f"/verify/{package.short_code}/")
    wrong = anyone.get("/en/verify/", {"code": "0000-0000-0000"})
    assert (
        wrong.status_code == 200 and "No decision package has this code" in wrong.content.decode()
    )
    for odd in ("nul\x00code", "%00", "x" * 300):
        assert anyone.get(f"/verify/{odd}/").status_code in (400, 404)


def test_a_copy_larger_than_any_package_is_refused_with_a_field_error(decided):
    package = decision_package_issue(combined=decided, base_url=BASE)
    upload = io.BytesIO(b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024 + 1))
    upload.name = "big.pdf"
    page = Client().post(f"/en/verify/{package.short_code}/", {"copy": upload})
    assert page.status_code == 200
    assert "larger than any decision package" in page.content.decode()
    assert "data-copy" not in page.content.decode()


def test_the_tracking_page_adds_one_query_for_the_packages(decided, applicant, settings):
    settings.PAGE_CACHE_SECONDS = 0  # the cost of rendering the page, not of the page cache
    client = Client()
    client.force_login(applicant)
    decision_package_issue(combined=decided, base_url=BASE)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/requests/{decided.uuid}/")
    ServiceApplication.objects.filter(combined=decided, utility="water").update(plan="DN150")
    decision_package_issue(combined=decided, base_url=BASE)
    with CaptureQueriesContext(connection) as two:
        client.get(f"/requests/{decided.uuid}/")
    assert len(two) == len(one)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_downloads_at_once_issue_one_package(reference):
    org = company("twin", "中山并发科技有限公司")
    applicant = member_of(org, username="twin")
    from tests.factories import ProjectFactory

    project = ProjectFactory(owner=org, created_by=applicant)
    combined = combined_application_submit(
        actor=applicant,
        applicant=org,
        project=project,
        data=submission(applicant, org, ["water"]),
    )
    _to_plan(combined.services.get(), applicant)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def issue():
        try:
            barrier.wait()
            results.append(decision_package_issue(combined=combined, base_url=BASE).pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert DecisionPackage.objects.filter(combined=combined).count() == 1


def test_the_package_carries_the_joint_works_window_and_its_one_permit_set(
    applicant_org, applicant, project
):
    services = services_for(
        ["electricity", "water"], applicant_org=applicant_org, applicant=applicant, project=project
    )
    plan = propose(services)
    for sa in services:
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    for sa in services:
        plan = joint_works_plan_act(
            actor=staff_of(JOINT[sa.utility][0]), plan=plan, action="confirm"
        )
    plan = _approve_all(plan)
    combined = ServiceApplication.objects.get(pk=services[0].pk).combined
    package = decision_package_issue(combined=combined, base_url=BASE)
    (joint,) = package.content["joint_works"]
    plan = JointWorksPlan.objects.get(pk=plan.pk)
    assert (joint["window_start"], joint["window_end"]) == (
        plan.window_start.isoformat(),
        plan.window_end.isoformat(),
    )
    assert {p["type"] for p in joint["permits"]} == set(JOINT["electricity"][3]) | set(
        JOINT["water"][3]
    )
    text = _text(_pdf(package))
    assert plan.road_name in text
    # The one permit set is listed once, under the plan; each utility names the plan instead of
    # saying it needs no permits.
    for utility in package.content["utilities"]:
        assert (utility["permits"], utility["joint_works"]) == ([], [str(plan.uuid)])
    assert text.count("Permits of the joint plan") == len(package.content["utilities"])
    assert "None required" not in text


def test_a_verified_commitment_leaves_the_package_and_the_open_ones_say_when_due(decided):
    """Only commitments still open are listed, each with its due day; once the agency accepts
    the document, the next package no longer lists it (and is a new package)."""
    first = decision_package_issue(combined=decided, base_url=BASE)
    listed = {c["document"]: c for c in first.content["open_commitments"]}
    commitment = decided.commitments.get(doc_type=next(iter(listed)))
    assert listed[commitment.doc_type]["status"] == "pending"
    assert listed[commitment.doc_type]["due_on"] == (
        commitment.due_on.isoformat() if commitment.due_on else None
    )
    supplied = commitment_supply(
        actor=commitment.signed_by,
        commitment=commitment,
        upload=SimpleUploadedFile("kept.pdf", PDF_BYTES + b"kept", "application/pdf"),
    )
    commitment_verify(actor=staff_of(supplied.verifier.code), commitment=supplied)
    second = decision_package_issue(combined=decided, base_url=BASE)
    assert second.pk != first.pk
    assert commitment.doc_type not in {c["document"] for c in second.content["open_commitments"]}
