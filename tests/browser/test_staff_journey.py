"""The staff side of one case, in a real browser: the lead agency reviewer previews its files
and returns it for correction with a reason, the applicant corrects it in the portal, the
operator moves it through every remaining stage on the case page with the inputs each needs,
and the indicators dashboard then counts the connection. Screenshots of the queue, the case
page (with previews) and the dashboard in Chinese and English."""

import re
import struct
import zlib

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.constants import BusinessType, ServiceStatus
from applications.services import SubmissionInput, combined_application_submit, document_store
from tests.browser.signin import sign_in
from tests.factories import DETAILS, ProjectFactory, company, member_of, staff_of

pytestmark = pytest.mark.django_db(transaction=True)

S = ServiceStatus


def _png(width: int = 240, height: int = 160) -> bytes:
    """A real (decodable) PNG: a pale site plan with a red line across, no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            on_line = abs(y - (height * x) // width) < 3 or x % 40 == 0 or y % 40 == 0
            row += bytes((183, 28, 28) if on_line else (235, 242, 250))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def _pdf(title: str) -> bytes:
    """A small valid one-page PDF with a line of (ASCII) text, offsets computed."""
    stream = f"BT /F1 24 Tf 72 720 Td ({title}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def people(reference):
    applicant_org = company("cuiheng-maker", "中山市翠亨智造科技有限公司")
    return {
        "applicant": member_of(applicant_org, username="13812340001"),
        "applicant_org": applicant_org,
        "operator": staff_of("csg-zhongshan", username="power-reviewer"),
        "lead": staff_of("ndrc", username="ndrc-reviewer"),
        "office": staff_of("leadership-office", username="office-analyst"),
    }


def _submit_electricity(people, project_name: str, serial: int = 1):
    """A submitted 10 kV electricity request: the site plan is an image, the rest PDFs."""
    applicant, org = people["applicant"], people["applicant_org"]
    project = ProjectFactory(owner=org, created_by=applicant, name=project_name)
    documents = {}
    for doc_type in (
        "business_licence",
        "authorisation",
        "property_right",
        "planning_permit",
        "construction_permit",
        "electrical_equipment",
    ):
        documents[doc_type] = document_store(
            actor=applicant,
            owner=org,
            doc_type=doc_type,
            upload=SimpleUploadedFile(
                f"{doc_type}.pdf",
                _pdf(f"{doc_type.replace('_', ' ').title()} - case {serial}"),
                "application/pdf",
            ),
        )
    documents["site_plan"] = document_store(
        actor=applicant,
        owner=org,
        doc_type="site_plan",
        upload=SimpleUploadedFile("site-plan.png", _png(), "image/png"),
    )
    combined = combined_application_submit(
        actor=applicant,
        applicant=org,
        project=project,
        data=SubmissionInput(
            business_type=BusinessType.NEW_CONNECTION,
            utilities={"electricity": dict(DETAILS["electricity"])},
            documents=documents,
        ),
    )
    return combined, combined.services.get()


@pytest.fixture
def electricity(people):
    return _submit_electricity(people, "翠亨新区智能制造产业园")


def _status(page: Page, sa, status: str) -> None:
    expect(page.locator(f"#u-{sa.uuid} .service-head [data-status]")).to_have_attribute(
        "data-status", status
    )


def _act(page: Page, sa, name: str, **fields: str) -> None:
    """Submit one transition form of the case page, with its inputs, and wait for the result."""
    form = page.locator(f'#u-{sa.uuid} form[data-action="{name}"]')
    for field, value in fields.items():
        form.locator(f'[name="t{sa.pk}-{name}-{field}"]').fill(value)
    # Wait for the new page: the last step's message must not pass for this one's.
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()


def _open_pdf_preview(page: Page, document) -> None:
    """Open a PDF's preview panel: the frame loads the inline view, which the browser shows."""
    panel = page.locator(f'[data-document="{document.uuid}"] details.doc-pdf')
    with page.expect_response(re.compile(rf"/documents/{document.uuid}/view/$")) as loaded:
        panel.locator("summary").click()
    response = loaded.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    expect(panel.locator("iframe.doc-frame")).to_be_visible()
    page.wait_for_timeout(3000)  # the PDF viewer lays itself out after the response


def _no_horizontal_overflow(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _kpi_connected(page: Page, utility_label: str) -> int:
    """The connections counted for a utility in the dashboard's connections table, found by
    its data-table attribute and the column headed 'Connected' (or, failing that, the first
    whole-number cell of the row), whatever other columns come and go."""
    table = page.locator('table[data-table="connections"]')
    expect(table).to_be_visible()
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    column = next((i for i, h in enumerate(headers) if re.match(r"(?i)^connect", h)), None)
    total = 0
    for row in table.locator("tbody tr").all():
        cells = [c.strip() for c in row.locator("th, td").all_inner_texts()]
        if not cells or cells[0] != utility_label:
            continue
        if column is not None and column < len(cells) and cells[column].isdigit():
            total += int(cells[column])
        else:
            total += next(int(c) for c in cells[1:] if c.isdigit())
    return total


def test_return_correct_and_connect_through_the_staff_case_page(
    page: Page, live_server, tmp_path, shot, people, electricity
):
    base = live_server.url
    combined, sa = electricity
    case_url = f"/staff/cases/{combined.uuid}/"
    site_plan = sa.documents.get(doc_type="site_plan")

    # The operator's reviewer finds it in the queue and previews its files.
    sign_in(page, base, people["operator"], prefix="/en")
    page.goto(f"{base}/staff/queue/")
    expect(page.locator(f'tr[data-case="{sa.uuid}"]')).to_be_visible()
    _no_horizontal_overflow(page)
    shot("zh-20-staff-queue")
    page.goto(f"{base}{case_url}")
    licence = sa.documents.get(doc_type="business_licence")
    _open_pdf_preview(page, licence)
    _no_horizontal_overflow(page)
    shot("zh-21-staff-case-preview")

    # The workgroup's lead agency (发改局) reviews the files and returns it with a reason: the
    # only action it is offered.
    sign_in(page, base, people["lead"], prefix="/en")
    page.goto(f"{base}{case_url}")
    thumb = page.locator(f'[data-document="{site_plan.uuid}"] img.doc-thumb')
    expect(thumb).to_be_visible()
    # A real thumbnail, decoded by the browser (lazy: it loads once on screen).
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.evaluate("(img) => img.naturalWidth") == 240
    expect(page.locator(f"#u-{sa.uuid} .action-form")).to_have_count(1)
    _act(page, sa, "return_for_correction", reason="总平面图未加盖公章,请补充盖章版")
    _status(page, sa, S.RETURNED)
    combined.refresh_from_db()
    returned = sa.history.get(transition="return_for_correction")
    assert returned.actor_organization.code == "ndrc"

    # The applicant answers the correction in the portal.
    sign_in(page, base, people["applicant"], prefix="/en")
    page.goto(f"{base}/requests/{combined.uuid}/")
    page.click(f"#u-{sa.uuid} a.button.primary")
    expect(page).to_have_url(re.compile(r"/correct/$"))
    expect(page.locator(".notice")).to_contain_text("总平面图未加盖公章")
    stamped = tmp_path / "总平面图-盖章版.png"
    stamped.write_bytes(_png(260, 160))
    page.set_input_files("#file-site_plan", str(stamped))
    page.fill("#id_comment", "已补充盖章版总平面图")
    page.click("#correct-form button.primary")
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    sa.refresh_from_db()
    assert sa.status == S.SUBMITTED

    # The operator moves it on, each step with the inputs it needs.
    sign_in(page, base, people["operator"], prefix="/en")
    page.goto(f"{base}{case_url}")
    _act(page, sa, "accept", comment="材料齐全")
    _act(page, sa, "start_survey")
    _act(
        page,
        sa,
        "issue_plan",
        survey_result="现场具备接入条件",
        plan="10kV翠亨线T接,新建630kVA箱变一台",
        fee_quote_cny="12800.00",
    )
    _status(page, sa, S.PLAN_ISSUED)

    # The applicant confirms the plan and fee (no outside-line permits: straight to works).
    sign_in(page, base, people["applicant"], prefix="/en")
    page.goto(f"{base}/requests/{combined.uuid}/")
    page.click(f"#u-{sa.uuid} form.action-form button.primary")
    expect(page.locator(".message-success")).to_be_visible()
    sa.refresh_from_db()
    assert sa.status == S.CONSTRUCTING

    sign_in(page, base, people["operator"], prefix="/en")
    page.goto(f"{base}{case_url}")
    _act(page, sa, "complete_construction")
    # Connecting after an inspection needs its result: the browser asks for it first.
    result = page.locator(f'#u-{sa.uuid} form[data-action="connect"] [name$="inspection_result"]')
    expect(result).to_have_attribute("required", "")
    page.locator(f'#u-{sa.uuid} form[data-action="connect"] button[type=submit]').click()
    assert result.evaluate("(field) => !field.validity.valid")
    _status(page, sa, S.INSPECTING)
    _act(page, sa, "connect", inspection_result="竣工检验合格,已装表送电")
    _status(page, sa, S.CONNECTED)
    sa.refresh_from_db()
    assert sa.connected_at is not None

    # The indicators count it once they are rebuilt (a periodic task in production).
    from indicators import tasks

    tasks.kpi_refresh_task()
    cache.clear()
    sign_in(page, base, people["office"], prefix="/en")
    page.goto(f"{base}/en/staff/kpi/")
    assert _kpi_connected(page, "Electricity") == 1
    _no_horizontal_overflow(page)
    shot("en-22-staff-kpi")
    page.goto(f"{base}/staff/kpi/")
    expect(page.locator('table[data-table="connections"]')).to_be_visible()
    shot("zh-22-staff-kpi")

    # The same pages in English, as an operator works them all day.
    sign_in(page, base, people["operator"], prefix="/en")
    page.goto(f"{base}/en/staff/queue/?status=connected")
    expect(page.locator(f'tr[data-case="{sa.uuid}"]')).to_be_visible()
    _no_horizontal_overflow(page)
    shot("en-20-staff-queue")
    page.goto(f"{base}/en{case_url}")
    _open_pdf_preview(page, licence)
    _no_horizontal_overflow(page)
    shot("en-21-staff-case-preview")

    # The public transparency page counts the connection too, for anyone, signed in or not:
    # the same rollup as the staff dashboard, as of the same refresh.
    from indicators.selectors.kpi import kpi_as_of

    as_of = timezone.localtime(kpi_as_of()).strftime("%Y-%m-%d %H:%M")
    page.context.clear_cookies()
    for lang, prefix in (("zh", ""), ("en", "/en")):
        page.goto(f"{base}{prefix}/transparency/")
        expect(page.locator("[data-as-of]")).to_contain_text(as_of)
        row = page.locator('table[data-table="public-indicators"] tr[data-utility="electricity"]')
        expect(row.locator('[data-col="connections"]')).to_have_text("1")
        expect(row.locator('[data-col="fee_median"]')).to_have_text("12800.00")
        # Filed, corrected, confirmed the plan: three steps for the applicant.
        expect(row.locator('[data-col="steps_median"]')).to_have_text("3.0")
        assert "翠亨智造" not in page.content()  # the applicant's name, nowhere
        _no_horizontal_overflow(page)
        shot(f"{lang}-24-transparency")


def test_bulk_accept_in_the_queue(page: Page, live_server, shot, people, electricity):
    """Select two cases in the queue, accept both with one click; the message counts them."""
    base = live_server.url
    _, first = electricity
    _, second = _submit_electricity(people, "火炬开发区电子信息产业园", serial=2)
    sign_in(page, base, people["operator"], prefix="/en")
    page.goto(f"{base}/en/staff/queue/")
    page.check(f'tr[data-case="{first.uuid}"] input[name=case]')
    page.check(f'tr[data-case="{second.uuid}"] input[name=case]')
    page.select_option("#bulk-transition", "accept")
    page.click("#bulk button.primary")
    expect(page.locator(".message-success")).to_contain_text("2 of 2")
    for sa in (first, second):
        sa.refresh_from_db()
        assert sa.status == S.ACCEPTED
    shot("en-23-staff-queue-bulk-done")
