"""The workgroup's own loop in a real browser (issue 14): an applicant rates a connection badly,
the follow-up lands with the electricity workgroup, the lead schedules a coordination meeting
whose agenda already lists it, holds it and assigns an action item to the operator, the
operator reports it done, the lead answers the follow-up, and the applicant reads the answer
(in Chinese and in English). Screenshots of every step under test-artifacts/screenshots."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from coordination.constants import ActionItemStatus, FollowUpStatus
from coordination.models import ActionItem, FollowUp, Meeting
from coordination.services import coordination_sweep
from tests.browser.signin import sign_in
from tests.factories import make_service, staff_of
from workgroups.calendar import local_date, working_day_after

pytestmark = pytest.mark.django_db(transaction=True)

FIX = "已调整施工队排期，并约谈施工单位负责人"


@pytest.fixture
def people(reference, applicant_org, applicant):
    return {
        "applicant": applicant,
        "lead": staff_of("ndrc", username="walk-lead"),
        "operator": staff_of("csg-zhongshan", username="walk-power"),
    }


@pytest.fixture
def connected(applicant_org, applicant, project):
    now = timezone.now()
    return make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status="connected",
        connected_at=now - dt.timedelta(days=2),
        submitted_at=now - dt.timedelta(days=30),
        stage_entered_at=now - dt.timedelta(days=2),
    )


def test_bad_rating_follow_up_meeting_action_item_and_the_answer(
    page: Page, live_server, people, connected, shot
):
    base = live_server.url
    sa = connected
    tracking = f"/requests/{sa.combined.uuid}/"

    # 1. The applicant rates the connection "dissatisfied".
    sign_in(page, base, people["applicant"])
    page.goto(f"{base}{tracking}")
    page.check(f"#u-{sa.uuid} input[value=dissatisfied]")
    page.fill(f"#u-{sa.uuid} textarea[name$=comment]", "施工拖延，现场沟通不畅")
    page.click(f"#u-{sa.uuid} .rating-form button.primary")
    expect(page.locator(f"#u-{sa.uuid} .rating-done")).to_be_visible()
    shot("walk-14-01-bad-rating")

    # The sweep (Celery beat) opens the follow-up for the electricity workgroup.
    coordination_sweep()
    follow_up = FollowUp.objects.get(service_application=sa)
    assert follow_up.status == FollowUpStatus.OPEN

    # 2. The lead finds it in the follow-up queue.
    sign_in(page, base, people["lead"])
    page.goto(f"{base}/staff/follow-ups/")
    expect(page.locator(f'a[href*="{follow_up.uuid}"]').first).to_be_visible()
    shot("walk-14-02-follow-up-queue")

    # 3. The lead schedules a meeting: the agenda already lists the open follow-up.
    today = local_date(timezone.now())
    meeting_day = working_day_after(today, 2)
    page.goto(f"{base}/staff/meetings/new/")
    page.fill("#id_title", "获得电力专项工作小组联动协调会议")
    # The lead's own workgroup (electricity) is preselected.
    page.fill("#id_starts_at", f"{meeting_day:%Y-%m-%d}T09:30")
    page.fill("#id_place", "市发展改革局三楼会议室")
    operator_org = people["operator"].memberships.get().organization_id
    page.check(f'input[name=invited][value="{operator_org}"]')
    page.click("form[data-form=meeting] button.primary")
    expect(page).to_have_url(re.compile(r"/staff/meetings/[0-9a-f-]{36}/$"))
    meeting = Meeting.objects.get()
    agenda = page.locator("#agenda")
    expect(agenda).to_contain_text("回访（电力评价为“不满意”）")
    shot("walk-14-03-meeting-agenda")

    # 4. It is held: minutes, decisions and an action item for the operator.
    hold = page.locator('form[data-action="hold"]')
    hold.locator("[name='hold-minutes']").fill("会议听取了回访情况，研究了施工拖延问题。")
    hold.locator("[name='hold-decisions']").fill("供电局5个工作日内整改并向企业说明。")
    with page.expect_navigation():
        hold.locator("button[type=submit]").click()
    due = working_day_after(today, 5)
    form = page.locator("form[data-form=action-item]")
    form.locator("[name='action-description']").fill("整改施工队排期并向企业说明原因")
    form.locator("[name='action-owner']").select_option(str(operator_org))
    form.locator("[name='action-due_day']").fill(f"{due:%Y-%m-%d}")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    item = ActionItem.objects.get(meeting=meeting)
    expect(page.locator("#action-items")).to_contain_text("整改施工队排期")
    shot("walk-14-04-meeting-held-action-item")

    # 5. The operator finds the item in its queue and reports it done.
    sign_in(page, base, people["operator"])
    page.goto(f"{base}/staff/action-items/?state=mine")
    expect(page.locator(f'a[href*="{item.uuid}"]').first).to_be_visible()
    shot("walk-14-05-operator-action-items")
    page.goto(f"{base}/staff/action-items/{item.uuid}/")
    done = page.locator('form[data-action="complete"]')
    done.locator("[name='complete-note']").fill("施工队已调整排期，已电话说明")
    with page.expect_navigation():
        done.locator("button[type=submit]").click()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    shot("walk-14-06-action-item-done")

    # 6. The lead records the call and answers the follow-up.
    sign_in(page, base, people["lead"])
    page.goto(f"{base}/staff/follow-ups/{follow_up.uuid}/")
    call = page.locator('form[data-action="record_call"]')
    call.locator("[name='record_call-called_at']").fill(
        timezone.localtime().strftime("%Y-%m-%d %H:%M")
    )
    call.locator("[name='record_call-reached']").fill("陈经理")
    with page.expect_navigation():
        call.locator("button[type=submit]").click()
    # An answer without its cause comes back (200) with the error summary at the top, in
    # English and in Chinese; the summary takes the focus, and its link moves it to the field.
    for lang, prefix, heading in (("en", "/en", "There is a problem"), ("zh", "", "存在以下问题")):
        page.goto(f"{base}{prefix}/staff/follow-ups/{follow_up.uuid}/")
        answer = page.locator('form[data-action="answer"]')
        answer.locator("[name='answer-cause']").fill("   ")  # blank once trimmed
        answer.locator("[name='answer-fix']").fill(FIX)
        with page.expect_navigation() as sent:
            answer.locator("button[type=submit]").click()
        assert sent.value.status == 200
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text(heading)
        expect(summary).to_be_focused()
        summary.locator("a[href='#id_answer-cause']").click()
        expect(page.locator("#id_answer-cause")).to_be_focused()
        shot(f"walk-14-06-answer-error-summary-{lang}")
    follow_up.refresh_from_db()
    assert follow_up.status != FollowUpStatus.ANSWERED
    answer = page.locator('form[data-action="answer"]')
    answer.locator("[name='answer-cause']").fill("施工队排期冲突")
    answer.locator("[name='answer-fix']").fill(FIX)
    with page.expect_navigation():
        answer.locator("button[type=submit]").click()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.ANSWERED
    shot("walk-14-07-follow-up-answered")

    # 7. The applicant reads the answer on the tracking page, in both languages.
    sign_in(page, base, people["applicant"])
    for lang, prefix in (("zh", ""), ("en", "/en")):
        page.goto(f"{base}{prefix}{tracking}")
        expect(page.locator(f"#u-{sa.uuid}")).to_contain_text(FIX)
        shot(f"walk-14-08-applicant-sees-answer-{lang}")
