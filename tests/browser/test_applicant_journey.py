"""A new applicant, in a real browser: sign up, record a project, file one request for several
utilities with each document uploaded once, follow the timeline while the operator works,
answer a correction, confirm the plan and rate the service. Both languages, no console error."""

import re

import pytest
from playwright.sync_api import Page, expect

from applications.constants import ServiceStatus
from applications.models import CombinedApplication, Document, Rating
from applications.registry import documents_required
from applications.services import service_application_transition
from tests.factories import PDF_BYTES, member_of
from tests.signup import sms_code
from workgroups.models import Organization, Town
from workgroups.validators import uscc_check_character

pytestmark = pytest.mark.django_db(transaction=True)


def _valid_uscc(serial: str = "12345") -> str:
    first17 = f"91442000MA4W{serial}"
    return first17 + uscc_check_character(first17)


def _pdfs(tmp_path, names):
    paths = {}
    for name in names:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(PDF_BYTES + name.encode())
        paths[name] = path
    return paths


def _sign_up(page: Page, base: str, mobile: str, uscc: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_company_name", "中山市翠亨智造科技有限公司")
    page.fill("#id_unified_social_credit_code", uscc)
    page.fill("#id_contact_name", "陈晓")
    page.fill("#id_mobile", mobile)
    page.fill("#id_email", "chenxiao@example.cn")
    page.fill("#id_password1", "Zs-portal-2026")
    page.fill("#id_password2", "Zs-portal-2026")
    page.click("form.card button.primary")
    # The code arrives by SMS (the test backend): typing it creates the account.
    expect(page).to_have_url(re.compile(r"/accounts/signup/confirm/$"))
    expect(page.locator("[data-signup-mobile]")).to_contain_text(f"{mobile[:3]}****{mobile[-4:]}")
    page.fill("#id_code", sms_code(mobile))
    page.click("form.card button.primary")
    expect(page).to_have_url(re.compile(r"/requests/$"))


def _record_project(page: Page, base: str, code: str) -> None:
    page.goto(f"{base}/projects/new/")
    page.fill("#id_code", code)
    page.fill("#id_name", "翠亨新区智能制造产业园")
    page.check("#id_kind_0")
    page.check("#id_works_type_0")
    page.fill("#id_address", "中山市南朗街道翠亨大道18号")
    page.select_option("#id_town", str(Town.objects.get(code="nanlang").pk))
    page.fill("#id_floor_area_m2", "26000")
    page.fill("#id_planned_start", "2027-03-01")
    page.click("form.card button.primary")
    errors = page.locator(".field-error, .errors").all_inner_texts()
    assert not errors, errors
    # Saved: the projects page says so and offers to apply for it (issue 11, item 5).
    expect(page).to_have_url(re.compile(r"/projects/\?saved=[0-9a-f-]{36}$"))
    expect(page.locator("[data-saved-project] button.primary")).to_be_visible()


def _fill_details(page: Page, utilities) -> None:
    if "electricity" in utilities:
        page.select_option("#id_electricity-category", "commercial_industrial")
        page.fill("#id_electricity-capacity_kva", "630")
        page.select_option("#id_electricity-voltage_level", "10kv")
        page.select_option("#id_electricity-supply_mode", "single")
    if "water" in utilities:
        page.select_option("#id_water-purpose", "non_residential")
        page.select_option("#id_water-pipe_diameter_mm", "100")
        page.fill("#id_water-daily_max_m3", "80")
    if "gas" in utilities:
        page.select_option("#id_gas-use_type", "commercial")
        page.fill("#id_gas-appliances", "中餐灶4台")
        page.fill("#id_gas-appliance_count", "4")
        page.fill("#id_gas-peak_m3_per_hour", "40")
    if "network" in utilities:
        page.select_option("#id_network-service_type", "dedicated_line")
        page.fill("#id_network-bandwidth_mbps", "1000")
        page.fill("#id_network-access_points", "4")
        page.check("#id_network-preferred_carriers_0")
    if "cable_tv" in utilities:
        page.select_option("#id_cable_tv-service_type", "tv")
        page.fill("#id_cable_tv-terminals", "20")


def _file_request(
    page: Page, base: str, tmp_path, utilities, shot, lang: str, replay: bool = False
) -> CombinedApplication:
    page.goto(f"{base}/requests/new/")
    page.click("form.card button.primary")
    expect(page).to_have_url(re.compile(r"/requests/drafts/[0-9a-f-]+/$"))
    # Nothing is chosen for the applicant (issue 11, item 3): the business type is answered.
    page.check("input[name=business_type][value=new_connection]")
    for utility in utilities:
        page.check(f"input[name=utilities][value={utility}]")
    # Only the picked utilities' sections show.
    for utility in ("electricity", "water", "gas", "network", "cable_tv"):
        section = page.locator(f"section[data-utility={utility}]")
        (expect(section).to_be_visible if utility in utilities else expect(section).to_be_hidden)()
    _fill_details(page, utilities)
    required = documents_required(list(utilities))
    files = _pdfs(tmp_path, required)
    for doc_type in required:
        # Each document has ONE upload field, whatever the number of utilities needing it.
        expect(page.locator(f"#file-{doc_type}")).to_have_count(1)
        page.set_input_files(f"#file-{doc_type}", str(files[doc_type]))
    shot(f"{lang}-03-request-form")
    page.click("button[name=action][value=save]")
    expect(page.locator(".message-success")).to_be_visible()
    # Resumed draft: the uploads are kept; continue to the summary.
    expect(page.locator(".current-doc")).to_have_count(len(required))
    page.click("button[name=action][value=review]")
    expect(page).to_have_url(re.compile(r"/review/$"))
    shot(f"{lang}-04-request-review")
    stale = None
    if replay:  # the same summary left open in another tab
        stale = page.context.new_page()
        stale.goto(page.url)
    page.click("form.form-actions button.primary")
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    if stale is not None:
        stale.click("form.form-actions button.primary")
        expect(stale).to_have_url(page.url)
        stale.close()
    return CombinedApplication.objects.latest("pk")


def _status(page: Page, sa) -> None:
    expect(page.locator(f"#u-{sa.uuid} .service-head [data-status]")).to_have_attribute(
        "data-status", sa.status
    )


def test_a_new_applicant_files_follows_corrects_and_rates(
    page: Page, live_server, tmp_path, shot, reference
):
    base = live_server.url
    utilities = ["electricity", "water", "gas"]
    page.goto(f"{base}/")
    shot("zh-00-home")
    _sign_up(page, base, "13812345678", _valid_uscc("12345"))
    _record_project(page, base, "2026-442000-48-01-123456")
    shot("zh-02-projects")
    combined = _file_request(page, base, tmp_path, utilities, shot, "zh")
    shot("zh-05-tracking-submitted")

    org = Organization.objects.get(unified_social_credit_code=_valid_uscc("12345"))
    services = {sa.utility: sa for sa in combined.services.select_related("operator")}
    assert set(services) == set(utilities)
    # Every document stored once; the business licence linked to all three utilities.
    assert Document.objects.filter(owner=org).count() == len(documents_required(utilities))
    assert Document.objects.get(owner=org, doc_type="business_licence").links.count() == 3

    # The operators work (through the services, as their API or dashboard would).
    staff = {
        code: member_of(Organization.objects.get(code=code))
        for code in ("csg-zhongshan", "zs-water")
    }

    def move(sa, name, **data):
        return service_application_transition(
            actor=staff[sa.operator.code],
            service_application=sa,
            transition=name,
            data=data,
            comment=name,
        )

    power = move(services["electricity"], "accept")
    power = move(power, "start_survey")
    power = move(
        power,
        "issue_plan",
        survey_result="具备接入条件",
        plan="10kV翠亨线T接,新建630kVA箱变",
        fee_quote_cny="12800.00",
        required_permits=[],
    )
    water = move(services["water"], "return_for_correction", reason="请补充加盖公章的总平面图")
    page.reload()
    _status(page, power)
    _status(page, water)
    expect(page.locator(".fees")).to_contain_text("12800.00")
    shot("zh-06-tracking-in-progress")

    # Answer the correction: only water, only what was asked.
    page.click(f"#u-{water.uuid} a.button.primary")
    expect(page).to_have_url(re.compile(r"/correct/$"))
    shot("zh-07-correction")
    stamped = tmp_path / "总平面图-盖章版.pdf"
    stamped.write_bytes(PDF_BYTES + b"stamped")
    page.set_input_files("#file-site_plan", str(stamped))
    page.fill("#id_comment", "已补充盖章版总平面图")
    page.click("form.card button.primary")
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    water.refresh_from_db()
    assert water.status == ServiceStatus.SUBMITTED
    _status(page, water)

    # Confirm the electricity plan and fee, then the operator connects it.
    page.click(f"#u-{power.uuid} form.action-form button.primary")
    expect(page.locator(".message-success")).to_be_visible()
    power.refresh_from_db()
    assert power.status == ServiceStatus.CONSTRUCTING
    power = move(power, "complete_construction")
    power = move(power, "connect", inspection_result="验收合格")
    page.reload()
    _status(page, power)

    # Rate it (好差评).
    page.check(f"#u-{power.uuid} input[value=very_satisfied]")
    page.fill(f"#u-{power.uuid} textarea[name$=comment]", "服务高效,零跑动")
    page.click(f"#u-{power.uuid} .rating-form button.primary")
    expect(page.locator(f"#u-{power.uuid} .rating-done")).to_be_visible()
    assert Rating.objects.get(service_application=power).level == "very_satisfied"
    shot("zh-08-tracking-rated")

    # The main pages in both languages, without console errors.
    pages = {
        "09-dashboard": "/requests/",
        "10-projects": "/projects/",
        "11-tracking": f"/requests/{combined.uuid}/",
        "12-documents": "/documents/",
        "13-colleagues": "/accounts/colleagues/",
    }
    for lang, prefix in (("zh", ""), ("en", "/en")):
        for name, path in pages.items():
            page.goto(f"{base}{prefix}{path}")
            shot(f"{lang}-{name}")
    # On a phone: one column, nothing cut off.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/requests/{combined.uuid}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("zh-16-mobile-tracking")
    page.goto(f"{base}/en/projects/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("en-16-mobile-project-form")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("nav button.link")  # sign out
    for lang, prefix in (("zh", ""), ("en", "/en")):
        for name, path in {
            "14-login": "/accounts/login/",
            "15-signup": "/accounts/signup/",
        }.items():
            page.goto(f"{base}{prefix}{path}")
            shot(f"{lang}-{name}")


def test_five_utilities_in_one_sitting_each_document_once(
    page: Page, live_server, tmp_path, shot, reference
):
    base = live_server.url + "/en"
    _sign_up(page, base, "13912345678", _valid_uscc("67890"))
    shot("en-01-after-signup")
    _record_project(page, base, "2026-442000-48-01-654321")
    five = ["electricity", "water", "gas", "network", "cable_tv"]
    combined = _file_request(page, base, tmp_path, five, shot, "en", replay=True)
    shot("en-05-tracking-five")
    org = Organization.objects.get(unified_social_credit_code=_valid_uscc("67890"))
    assert {sa.utility for sa in combined.services.all()} == set(five)
    assert Document.objects.filter(owner=org).count() == len(documents_required(five)) == 8
    assert Document.objects.get(owner=org, doc_type="business_licence").links.count() == 5
    # Submitting the same summary again from another tab created nothing twice.
    assert CombinedApplication.objects.filter(applicant=org).count() == 1
    # The back button now leads to the submitted request, not to a form to send again.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))


def test_sign_in_with_the_keyboard_only(page: Page, live_server, shot, reference):
    member_of(
        Organization.objects.get(code="ndrc"), username="13700001111", password="pass-1234"
    )  # any account will do; the keyboard path is what is tested
    # The first Tab reaches the skip link, which jumps over the navigation.
    page.goto(f"{live_server.url}/en/accounts/password/reset/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"{live_server.url}/en/accounts/login/")
    page.focus("#id_username")
    page.keyboard.type("13700001111")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type("pass-1234")
    page.keyboard.press("Enter")
    # A staff member (NDRC is an agency) lands on the work queue (issue 11, item 1).
    expect(page).to_have_url(re.compile(r"/en/staff/queue/$"))
    shot("en-17-signed-in-by-keyboard")
