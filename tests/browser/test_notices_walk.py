"""Policy notices in a real browser (issue 15): the electricity workgroup's lead writes a notice
for the companies with an electricity case, with its infographic, and publishes it; a matching
applicant finds it in the inbox (in English) and opens it; a company without such a case gets
nothing; the awareness rate on the staff page (in Chinese) moves from 0 to 100%. Screenshots
of every step under test-artifacts/screenshots."""

import pytest
from playwright.sync_api import Page, expect

from coordination.models import PolicyNotice
from notifications.models import Delivery
from notifications.services import facts_process
from portal.demo.files import demo_png
from tests.browser.signin import sign_in
from tests.factories import company, make_service, member_of, staff_of

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "低压小微企业用电报装零投资"


@pytest.fixture
def people(reference, applicant_org, applicant, project):
    make_service(
        applicant_org=applicant_org, applicant=applicant, project=project, status="submitted"
    )
    other = company(code="no-power", name="无用电报装公司")
    return {
        "applicant": applicant,
        "outsider": member_of(other, username="outsider"),
        "lead": staff_of("ndrc", username="notice-lead"),
    }


def test_staff_publish_a_targeted_notice_and_a_matching_applicant_reads_it(
    page: Page, live_server, people, applicant_org, shot, tmp_path
):
    base = live_server.url
    infographic = tmp_path / "infographic.png"
    infographic.write_bytes(demo_png((0, 94, 184), size=64))

    # 1. The lead writes the notice, aimed at companies with an electricity case.
    sign_in(page, base, people["lead"])
    page.goto(f"{base}/staff/notices/new/")
    page.fill("#id_title", TITLE)
    page.fill("#id_body_html", "<p>160千瓦及以下<strong>零投资</strong>。</p><script>x()</script>")
    page.check("input[name=utilities][value=electricity]")
    page.set_input_files("#id_infographic", str(infographic))
    shot("walk-15-01-notice-form")
    page.click("form[data-form=notice] button.primary")
    expect(page.locator("h1")).to_have_text(TITLE)

    # 2. Published: one company reached, nobody has read it yet.
    page.click("button[data-action=publish]")
    expect(page.locator("[data-status=published]")).to_be_visible()
    expect(page.locator("dd[data-targeted]")).to_have_text("1")
    expect(page.locator("dd[data-awareness]")).to_have_text("0.0%")
    expect(page.locator("[data-notice-body] script")).to_have_count(0)
    shot("walk-15-02-published")
    notice = PolicyNotice.objects.get(title=TITLE)

    # The notifications engine (Celery beat) writes the messages.
    facts_process()
    assert not Delivery.objects.filter(recipient_organization__code="no-power").exists()

    # 3. The applicant reads it from the inbox, in English.
    sign_in(page, base, people["applicant"], prefix="/en")
    page.goto(f"{base}/en/inbox/")
    page.click(f"a:has-text('Policy notice: {TITLE}')")
    expect(page.locator("h1")).to_have_text(f"Policy notice: {TITLE}")
    shot("walk-15-03-inbox-message")
    page.click("a[data-link=page]")
    expect(page.locator("article h1")).to_have_text(TITLE)
    image = page.locator("img[data-infographic]")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 64
    shot("walk-15-04-notice-page-en")

    # 4. The public page lists it, without its audience.
    page.goto(f"{base}/notices/")
    expect(page.locator(f"[data-notice='{notice.uuid}']")).to_be_visible()
    shot("walk-15-05-public-list-zh")

    # 5. The lead sees the awareness rate move: 1 of 1 company read it.
    sign_in(page, base, people["lead"])
    page.goto(f"{base}/staff/notices/{notice.uuid}/")
    expect(page.locator("dd[data-read]")).to_have_text("1")
    expect(page.locator("dd[data-awareness]")).to_have_text("100.0%")
    expect(page.locator("body")).to_contain_text("知晓率")
    shot("walk-15-06-awareness-zh")
    page.goto(f"{base}/staff/notices/")
    expect(page.locator(f"tr[data-notice='{notice.uuid}'] td[data-awareness]")).to_have_text(
        "100.0%"
    )
