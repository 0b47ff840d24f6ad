"""The Content-Security-Policy in a real browser: Chromium walks the public pages, an
applicant's pages (the tracking page with its clock bars), the staff pages (the queue's bulk
selection, whose script is a file now), the admin and the API docs, and not one page raises a
violation, while each page's scripts still do their work. A page given an inline script again
does raise one, which the browser also reports to /csp-report/."""

import time

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from playwright.sync_api import Page, expect
from prometheus_client import REGISTRY

from applications.constants import ServiceStatus
from tests.browser.signin import sign_in
from tests.csp_pages import busy_portal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(reference):
    return busy_portal()


@pytest.fixture
def visit(page: Page, live_server, csp_violations, console_errors):
    """Open a page of the live server and check that it raised no violation (nor any other
    console error but, for an error page, its own status); `ready` is a selector to wait for
    when scripts build the page."""

    def go(path: str, ready: str | None = None, status: int = 200) -> None:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        if ready:
            expect(page.locator(ready).first).to_be_visible()
        # Violation events are queued tasks: let the page's queue run once more.
        page.evaluate("() => new Promise((done) => setTimeout(done, 50))")
        assert csp_violations == [], path
        if status != 200:
            expected = f"status of {status}"
            console_errors[:] = [error for error in console_errors if expected not in error]
        assert console_errors == [], path

    return go


def _reports(directive: str) -> float:
    return REGISTRY.get_sample_value("portal_csp_reports_total", {"directive": directive}) or 0.0


def test_no_page_raises_a_violation_and_their_scripts_still_work(
    page: Page, live_server, world, visit, csp_violations
):
    base = live_server.url
    combined, services, draft = world["combined"], world["services"], world["draft"]

    # Anyone: the public pages, and the API docs, built by Swagger UI's scripts from the schema.
    for path in ("/", "/transparency/", "/accounts/login/", "/accounts/signup/"):
        visit(path)
    visit("/no-such-page/", status=404)
    visit("/api/docs/", ready=".opblock-tag")
    page.locator(".opblock-summary").first.click()  # an endpoint's parameters and examples
    expect(page.locator(".opblock-body").first).to_be_visible()

    # The applicant: the tracking page with its clock bars (SVG), the correction and the draft
    # (site.js shows only the ticked utilities' sections).
    sign_in(page, base, world["applicant"])
    visit("/requests/")
    visit(f"/requests/{combined.uuid}/", ready=".case-clock svg rect")
    visit(f"/requests/{combined.uuid}/{services['water'].uuid}/correct/")
    visit(f"/requests/drafts/{draft.uuid}/", ready="#request-form")
    expect(page.locator("section[data-utility=electricity]")).to_be_hidden()
    page.check("input[name=utilities][value=electricity]")
    expect(page.locator("section[data-utility=electricity]")).to_be_visible()
    for path in ("/projects/", "/projects/new/", "/documents/", "/inbox/"):
        visit(path)

    # Staff: the queue's bulk selection (queue.js), then the bulk action itself.
    sign_in(page, base, world["gas"])
    visit("/staff/queue/", ready="[data-select-all]")
    boxes = page.locator('input[name="case"][form="bulk"]')
    assert boxes.count() >= 1
    page.check("[data-select-all]")
    assert all(box.is_checked() for box in boxes.all())
    page.uncheck("[data-select-all]")
    assert not any(box.is_checked() for box in boxes.all())
    page.check("[data-select-all]")
    page.select_option("#bulk-transition", "accept")
    with page.expect_navigation():
        page.click("#bulk button.primary")
    expect(page.locator(".message-success")).to_be_visible()
    gas = services["gas"]
    gas.refresh_from_db()
    assert gas.status == ServiceStatus.ACCEPTED
    assert csp_violations == []
    sign_in(page, base, world["operator"])
    visit(f"/staff/cases/{combined.uuid}/", ready=".case-clock svg rect")
    visit("/staff/escalations/")
    sign_in(page, base, world["permit_agency"])
    visit("/staff/queue/?tab=permits", ready="[data-permit]")
    sign_in(page, base, world["office"])
    for path in ("/staff/kpi/", "/staff/scorecards/", "/staff/calendar/"):
        visit(path)

    # The admin: index, a change list marking overdue cases, the autocomplete of a form
    # (select2 builds its widgets and fetches the choices), and the periodic task page, whose
    # crontab reading runs from a file.
    sign_in(page, base, world["root"])
    visit("/admin/")
    visit("/admin/applications/serviceapplication/", ready="#result_list")
    visit("/admin/workgroups/membership/add/", ready=".field-organization .select2")
    page.click(".field-organization .select2-selection")
    page.fill(".select2-search__field", "csp")
    expect(page.locator(".select2-results__option").first).to_contain_text("中山市安全策略")
    page.keyboard.press("Escape")
    every_five = CrontabSchedule.objects.create(minute="*/5")
    hourly = CrontabSchedule.objects.create(minute="0")
    task = PeriodicTask.objects.create(
        name="csp-walk", task="applications.sla_sweep", crontab=every_five
    )
    visit(f"/admin/django_celery_beat/periodictask/{task.pk}/change/", ready="#id_crontab")
    page.select_option("#id_crontab", str(hourly.pk))
    expect(page.locator(".field-crontab .help")).to_contain_text("含义")

    assert csp_violations == []


def test_an_inline_script_put_back_is_refused_seen_and_reported(
    page: Page, live_server, reference, csp_violations
):
    """The walk's detector at work: the home page served with an inline script added (the
    portal's own header kept) raises a violation, the script does not run, and the browser's
    report reaches /csp-report/ and is counted."""

    def with_inline_script(route):
        response = route.fetch()
        html = response.text().replace(
            "</body>", '<script>document.body.dataset.ran = "yes";</script></body>'
        )
        route.fulfill(response=response, body=html)

    before = _reports("script-src-elem")
    page.route(f"{live_server.url}/", with_inline_script)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")

    expect(page.locator("body")).not_to_have_attribute("data-ran", "yes")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert any("script-src" in violation for violation in csp_violations)
    deadline = time.monotonic() + 10
    while _reports("script-src-elem") == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _reports("script-src-elem") == before + 1
