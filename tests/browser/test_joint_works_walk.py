"""Done-when of joint works (联合施工) in a real browser: a project's electricity, water, gas and
network dig ONE trench under ONE permit set. The workgroup lead proposes the plan on the staff
site, each operator confirms it there (the last confirmation locks it), each permit agency
decides its permit once, the lead operator digs, every operator reports its conduit in, the lead
operator backfills and reports the road restored. The applicant's signed decision package is
rendered to PNG (its Chinese text read back), the public verification page says the signature
holds, and a copy altered by one byte is rejected. Plan and verification pages in Chinese and
in English; screenshots under test-artifacts/screenshots/joint-works-*."""

import re

import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.constants import JointWorksStatus, PermitStatus
from applications.models import (
    CombinedApplication,
    DecisionPackage,
    JointWorksPlan,
    PermitRequest,
    ServiceApplication,
)
from applications.services import service_application_transition
from tests.applications.joint_works_helpers import AGENCY, UTILITIES, services_for, window_start
from tests.browser.conftest import SCREENSHOTS
from tests.browser.signin import sign_in
from tests.factories import staff_of
from workgroups.calendar import local_date

pytestmark = pytest.mark.django_db(transaction=True)

FOUR = ["electricity", "water", "gas", "network"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def one_request(applicant_org, applicant, project):
    """One combined request of the project: four utilities, each with its plan issued and
    outside-line works (set-up: the survey and plan steps are other walks' subject)."""
    services = services_for(FOUR, applicant_org=applicant_org, applicant=applicant, project=project)
    combined = services[0].combined
    others = [sa.combined_id for sa in services[1:]]
    ServiceApplication.objects.filter(pk__in=[sa.pk for sa in services]).update(combined=combined)
    CombinedApplication.objects.filter(pk__in=others).delete()
    return combined


def _act(page: Page, base: str, plan: JointWorksPlan, action: str, **fields: str) -> None:
    page.goto(f"{base}/staff/joint-works/{plan.uuid}/")
    form = page.locator(f'form[data-action="{action}"]')
    for name, value in fields.items():
        form.locator(f'[name="jw-{action}-{name}"]').fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator('[role="alert"]')).to_have_count(0)


def test_four_utilities_dig_once_and_the_package_verifies(
    page: Page, live_server, one_request, applicant, shot
):
    base = live_server.url
    combined = one_request
    operators = {u: staff_of(UTILITIES[u][0], username=f"jw-{u}") for u in FOUR}

    # 1. The electricity workgroup's lead proposes one plan from the case page.
    sign_in(page, base, staff_of("ndrc", username="jw-lead"))
    page.goto(f"{base}/staff/cases/{combined.uuid}/joint-works/new/")
    for box in page.locator('input[name="service_applications"]').all():
        box.check()
    page.select_option("#id_lead_operator", "csg-zhongshan")
    page.fill("#id_road_name", "和清路")
    page.fill("#id_road_segment", "兴港路-濠头路")
    page.fill("#id_route_description", "沿和清路北侧人行道，自兴港路至濠头路，约950米，四线同沟")
    page.fill("#id_window_start", window_start(1).isoformat())
    page.fill("#id_window_working_days", "5")
    with page.expect_navigation():
        page.click("form.form button.primary")
    expect(page).to_have_url(re.compile(r"/staff/joint-works/[0-9a-f-]{36}/$"))
    plan = JointWorksPlan.objects.get()
    expect(page.locator("[data-plan-status]")).to_have_attribute("data-plan-status", "proposed")
    expect(page.locator("tr[data-participant]")).to_have_count(4)
    shot("joint-works-01-proposed-zh")

    # The applicant confirms each plan and fee (its own walk elsewhere): they wait for the
    # plan's permits instead of filing their own.
    for sa in combined.services.order_by("pk"):
        service_application_transition(
            actor=applicant, service_application=sa, transition="confirm_plan"
        )
    assert not PermitRequest.objects.exists()

    # 2. Each operator confirms on the staff site; the last one locks the plan.
    for utility in FOUR:
        sign_in(page, base, operators[utility])
        _act(page, base, plan, "confirm")
    expect(page.locator("[data-plan-status]")).to_have_attribute("data-plan-status", "confirmed")
    permits = PermitRequest.objects.filter(joint_works_plan=plan)
    # One permit set for the four: planning, road excavation, road occupation; once each.
    assert sorted(permits.values_list("permit_type", flat=True)) == [
        "planning",
        "road_excavation",
        "road_occupation",
    ]
    assert PermitRequest.objects.count() == 3

    # 3. Each agency decides its permit once, from its queue.
    for permit in permits.order_by("pk"):
        sign_in(page, base, staff_of(AGENCY[permit.permit_type], username=f"jw-{permit.pk}"))
        page.goto(f"{base}/staff/queue/?tab=permits")
        row = page.locator(f'tr[data-permit="{permit.uuid}"]')
        with page.expect_navigation():
            row.locator('form[data-action="approve"] button').click()
    assert not permits.exclude(status=PermitStatus.APPROVED).exists()
    plan.refresh_from_db()
    assert plan.status == JointWorksStatus.PERMITTED

    # 4. The lead operator digs; every operator reports its conduit in; backfill; restore.
    lead = operators["electricity"]
    sign_in(page, base, lead)
    _act(page, base, plan, "start_excavation")
    for utility in FOUR:
        if utility != "electricity":
            sign_in(page, base, operators[utility])
        _act(page, base, plan, "report_installed")
    sign_in(page, base, lead)
    _act(page, base, plan, "backfill")
    today = local_date(timezone.now())
    _act(page, base, plan, "restore", restored_on=today.isoformat())
    expect(page.locator("[data-plan-status]")).to_have_attribute("data-plan-status", "restored")
    expect(page.locator('li[data-event="restore"]')).to_be_visible()
    shot("joint-works-02-restored-zh")
    page.goto(f"{base}/en/staff/joint-works/{plan.uuid}/")
    expect(page.locator("h1")).to_contain_text("Joint works plan")
    expect(page.locator("[data-plan-status]")).to_contain_text("Road restored")
    expect(page.locator("#permits-h")).to_contain_text("One permit set for all")
    shot("joint-works-03-restored-en")

    # 5. The applicant downloads the signed decision package: page 1 rendered to PNG.
    sign_in(page, base, applicant)
    response = page.request.get(f"{base}/requests/{combined.uuid}/package.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf_bytes = response.body()
    package = DecisionPackage.objects.get(combined=combined)
    document = pdfium.PdfDocument(pdf_bytes)
    first = document[0]
    text = first.get_textpage().get_text_range()
    whole = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "统一出件" in text and "和清路" in whole
    # Every utility names the plan's one permit set instead of permits of its own.
    assert whole.count("Permits of the joint plan") == 4 and "None required" not in whole
    assert package.short_code in text
    image = first.render(scale=2).to_pil()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "joint-works-04-decision-package-page1.png")
    grey = image.convert("L")
    dark = sum(grey.histogram()[:128])
    assert dark > 0.002 * grey.width * grey.height, "the rendered page is blank"

    # 6. Anyone verifies it: signature valid, current (Chinese, then English).
    page.context.clear_cookies()
    page.goto(f"{base}/verify/{package.short_code}/")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "current")
    assert CJK.search(page.locator("[data-verdict]").inner_text())
    shot("joint-works-05-verify-zh")
    page.goto(f"{base}/en/verify/{package.short_code}/")
    expect(page.locator("[data-verdict]")).to_contain_text("Valid, covers the whole file")
    shot("joint-works-06-verify-en")

    # 7. A copy altered by one byte is rejected; the issued file itself is genuine.
    altered = bytearray(pdf_bytes)
    middle = len(altered) // 2
    altered[middle] = (altered[middle] + 1) % 256
    page.set_input_files(
        'input[name="copy"]',
        files=[{"name": "package.pdf", "mimeType": "application/pdf", "buffer": bytes(altered)}],
    )
    with page.expect_navigation():
        page.click("form[enctype] button.primary")
    expect(page.locator("[data-copy]")).to_have_attribute("data-copy", "mismatch")
    expect(page.locator("[data-copy]")).to_contain_text("Altered or not this package")
    shot("joint-works-07-altered-copy-rejected-en")
    page.set_input_files(
        'input[name="copy"]',
        files=[{"name": "package.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes}],
    )
    with page.expect_navigation():
        page.click("form[enctype] button.primary")
    expect(page.locator("[data-copy]")).to_have_attribute("data-copy", "match")
