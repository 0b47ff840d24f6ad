"""The inbox, the phone header and the staff desk in a real browser, in Chinese and English:
the header counts unread messages; a message opens on its own page in the reader's language and
is marked read there, all the rest from the list; on a 375 px phone the header folds into a menu
button and numbered lists keep their numbers inside their cards; the staff queue fits a
1366 x 768 screen in English with long real names; the case history names every step by its
label. Screenshots under test-artifacts/screenshots (inbox-*, phone-*, queue-1366-*, history-*)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.constants import CLOCKED_STATES, ServiceStatus
from applications.models import CombinedApplication, PermitRequest, ServiceApplication
from applications.services import (
    combined_application_submit,
    permit_request_decide,
    service_application_transition,
)
from notifications.services import facts_process
from tests.factories import (
    ProjectFactory,
    company,
    make_service,
    member_of,
    staff_of,
    submission,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # UserFactory's
LANGUAGES = [("", "zh"), ("/en", "en")]


def _sign_in(page: Page, base: str, user, prefix: str = "/en") -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{prefix}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def applicant_with_news(reference):
    """An applicant whose water request was returned for correction: two messages."""
    org = company("cuiheng-maker", "中山市翠亨智造科技有限公司")
    applicant = member_of(org, username="13812340001")
    project = ProjectFactory(owner=org, created_by=applicant)
    combined = combined_application_submit(
        actor=applicant,
        applicant=org,
        project=project,
        data=submission(applicant, org, ["water"]),
    )
    service_application_transition(
        actor=staff_of("zs-water", username="water-clerk"),
        service_application=combined.services.get(),
        transition="return_for_correction",
        data={"reason": "请补充二次供水设计图"},
    )
    facts_process()
    return applicant, combined


@pytest.mark.parametrize(("prefix", "lang"), LANGUAGES)
def test_inbox_open_a_message_and_mark_read(
    page: Page, live_server, shot, applicant_with_news, prefix, lang
):
    applicant, combined = applicant_with_news
    _sign_in(page, live_server.url, applicant, prefix)
    page.goto(f"{live_server.url}{prefix}/inbox/")
    count = page.locator("[data-inbox-link] [data-unread]")
    expect(count).to_have_attribute("data-unread", "2")
    returned = "退回补正" if lang == "zh" else "Returned for correction"
    submitted = "已提交" if lang == "zh" else "Submitted"
    expect(page.locator(".inbox")).to_contain_text(returned)
    expect(page.locator(".inbox")).to_contain_text(submitted)
    if lang == "en":
        expect(page.locator(".inbox")).not_to_contain_text("退回补正")
    shot(f"inbox-list-{lang}")

    page.locator(".inbox a", has_text=returned).click()
    expect(page.locator("h1")).to_contain_text(returned)
    expect(page.locator(".message-body")).to_contain_text("请补充二次供水设计图")
    expect(page.locator('[data-link="request"]')).to_have_attribute(
        "href", f"{prefix}/requests/{combined.uuid}/"
    )
    expect(page.locator('[data-link="utility"]')).to_contain_text(
        "供水" if lang == "zh" else "Water"
    )
    shot(f"inbox-message-{lang}")
    page.locator("button[data-mark-read]").click()
    expect(page.locator("[data-read]")).to_be_visible()
    expect(page.locator("[data-inbox-link] [data-unread]")).to_have_attribute("data-unread", "1")

    page.locator('[data-link="utility"]').click()
    expect(page).to_have_url(re.compile(rf"/requests/{combined.uuid}/#u-"))

    page.goto(f"{live_server.url}{prefix}/inbox/")
    page.locator("button[data-mark-all]").click()
    expect(page.locator("[data-inbox-link] [data-unread]")).to_have_count(0)
    expect(page.locator(".inbox .unread")).to_have_count(0)
    shot(f"inbox-all-read-{lang}")


def _no_horizontal_overflow(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


NUMBERS_INSIDE = """() => [...document.querySelectorAll('ol')].filter(ol => {
  const style = getComputedStyle(ol);
  return style.listStyleType !== 'none' && style.listStylePosition !== 'inside'
    && ol.offsetParent !== null;
}).flatMap(ol => [...ol.children].map(li => {
  // An outside marker sits left of the item's box: the list needs room for it.
  const room = li.getBoundingClientRect().left - ol.getBoundingClientRect().left;
  return room < 20 ? `${ol.className || 'ol'}: ${Math.round(room)}px` : null;
})).filter(Boolean)"""


@pytest.mark.parametrize(("prefix", "lang"), LANGUAGES)
def test_phone_header_menu_and_numbered_lists(
    page: Page, live_server, shot, applicant_with_news, prefix, lang
):
    applicant, _combined = applicant_with_news
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}{prefix}/")
    assert page.evaluate(NUMBERS_INSIDE) == []
    _no_horizontal_overflow(page)
    shot(f"phone-home-{lang}")

    _sign_in(page, live_server.url, applicant, prefix)
    page.goto(f"{live_server.url}{prefix}/requests/")
    button = page.locator("button[data-menu-toggle]")
    nav = page.locator("#site-nav")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "site-nav")
    expect(nav).to_be_hidden()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 80  # one compact row
    assert page.evaluate(NUMBERS_INSIDE) == []
    _no_horizontal_overflow(page)
    shot(f"phone-menu-closed-{lang}")

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.locator("[data-inbox-link]")).to_be_visible()
    expect(nav.locator("[data-inbox-link] [data-unread]")).to_have_attribute("data-unread", "2")
    _no_horizontal_overflow(page)
    shot(f"phone-menu-open-{lang}")
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    # On a desk screen there is no menu button: the navigation is simply there.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(button).to_be_hidden()
    expect(nav).to_be_visible()


LONG_NAMES = [
    (
        "zs-intelligent-mfg",
        "中山市翠亨新区智能制造产业园开发建设有限公司",
        "Zhongshan Cuiheng New District Intelligent Manufacturing Industrial Park "
        "Development Co., Ltd.",
    ),
    (
        "zs-bio-pharma",
        "中山火炬高技术产业开发区健康医药产业投资有限公司",
        "Zhongshan Torch Hi-Tech Industrial Development Zone Health and Pharmaceutical "
        "Investment Co., Ltd.",
    ),
    (
        "zs-logistics",
        "中山市南朗街道现代物流园区运营管理有限公司",
        "Zhongshan Nanlang Modern Logistics Park Operation and Management Co., Ltd.",
    ),
]

OVERFLOWING = """() => [...document.querySelectorAll('table.staff-queue, table.staff-queue *')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline')
  .map(el => `${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`
    + ` "${(el.textContent || '').trim().slice(0, 40)}"`)"""


@pytest.fixture
def busy_queue(reference):
    """A fortnight's electricity work for the operator: companies with long English names,
    long project names, every stage of a case."""
    from workgroups.services import organization_upsert

    cases = []
    stages = [
        ServiceStatus.SUBMITTED,
        ServiceStatus.ACCEPTED,
        ServiceStatus.SURVEYING,
        ServiceStatus.PLAN_ISSUED,
        ServiceStatus.PERMITTING,
        ServiceStatus.CONSTRUCTING,
        ServiceStatus.INSPECTING,
        ServiceStatus.RETURNED,
    ]
    for index, (code, zh, en) in enumerate(LONG_NAMES * 4):
        org = organization_upsert(code=code, name_zh=zh, name_en=en, kind="applicant_company")
        person = member_of(org)
        project = ProjectFactory(
            owner=org,
            created_by=person,
            name=f"{zh[:8]}第{index + 1}期标准厂房及配套研发中心建设项目",
        )
        status = stages[index % len(stages)]
        sa = make_service(applicant_org=org, applicant=person, project=project, status=status)
        # As a real submission leaves them: a reference, and a deadline on clocked stages
        # (some overdue, some due soon).
        CombinedApplication.objects.filter(pk=sa.combined_id).update(
            reference=f"ZS2026{index + 1:07d}"
        )
        if status in CLOCKED_STATES:
            ServiceApplication.objects.filter(pk=sa.pk).update(
                due_at=timezone.now() + dt.timedelta(days=index - 4)
            )
        cases.append(sa)
    return cases


def test_staff_queue_fits_1366_in_english(page: Page, live_server, shot, busy_queue):
    operator = staff_of("csg-zhongshan", username="power-desk")
    page.set_viewport_size({"width": 1366, "height": 768})
    _sign_in(page, live_server.url, operator)
    page.goto(f"{live_server.url}/en/staff/queue/?size=50")
    rows = page.locator("table.staff-queue tbody tr[data-case]")
    expect(rows).to_have_count(len(busy_queue))
    assert page.evaluate(OVERFLOWING) == []
    _no_horizontal_overflow(page)
    table = page.locator("table.staff-queue").bounding_box()
    assert table is not None and table["x"] + table["width"] <= 1366
    shot("queue-1366-en")


@pytest.fixture
def permitted_case(reference):
    """An electricity case whose three outside-line permits were all approved."""
    org = company("cuiheng-maker", "中山市翠亨智造科技有限公司")
    applicant = member_of(org, username="13812340001")
    project = ProjectFactory(owner=org, created_by=applicant)
    sa = make_service(
        applicant_org=org,
        applicant=applicant,
        project=project,
        status=ServiceStatus.PLAN_ISSUED,
        required_permits=["planning", "road_excavation"],
    )
    sa = service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    for permit_type, code in (
        ("planning", "natural-resources"),
        ("road_excavation", "urban-management"),
    ):
        permit_request_decide(
            actor=staff_of(code),
            permit_request=PermitRequest.objects.get(
                service_application=sa, permit_type=permit_type
            ),
            decision="approve",
        )
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.CONSTRUCTING
    return sa


@pytest.mark.parametrize(("prefix", "lang"), LANGUAGES)
def test_case_history_shows_labels_never_codes(
    page: Page, live_server, shot, permitted_case, prefix, lang
):
    operator = staff_of("csg-zhongshan", username="power-desk")
    _sign_in(page, live_server.url, operator, prefix)
    page.goto(f"{live_server.url}{prefix}/staff/cases/{permitted_case.combined.uuid}/")
    history = page.locator("details.history")
    history.locator("summary").first.click()
    text = history.inner_text()
    # No transition or state code: every step and state by its label.
    for code in ("issue_permit", "permits_approved", "confirm_plan", "plan_issued"):
        assert code not in text, f"{code} in the history: {text}"
    raw_state = re.search(r"(?:: |→ )(pending|approved|permitting|constructing)\b", text)
    assert raw_state is None, text
    if lang == "en":
        assert "Permit requested" in text and "All permits approved" in text
    else:
        assert not re.search(r"[a-z]{4,}_[a-z]+", text)
    shot(f"history-labels-{lang}")
