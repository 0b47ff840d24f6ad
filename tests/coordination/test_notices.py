"""Policy notices (政策推送): exact targeting, one message per company and channel, read receipts
and the awareness rate, the sanitiser, the video's byte ranges, scheduling and withdrawal, and
the public and staff pages in both languages."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.constants import BusinessType, ProjectKind, ServiceStatus
from applications.models import CombinedApplication, ServiceApplication
from coordination.constants import NoticeStatus
from coordination.models import NoticeReadReceipt, NoticeRecipient, PolicyNotice
from coordination.selectors.notices import awareness_by_workgroup
from coordination.services import (
    NoticeInput,
    policy_notice_create,
    policy_notice_edit,
    policy_notice_publish,
    policy_notice_read,
    policy_notice_schedule,
    policy_notice_withdraw,
    policy_notices_publish_due,
)
from coordination.services.notices import sanitize_notice_html
from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from notifications.constants import Channel
from notifications.models import Delivery
from notifications.services import facts_process
from tests.factories import (
    PNG_BYTES,
    ProjectFactory,
    UserFactory,
    company,
    member_of,
    staff_of,
)
from workgroups.models import Organization, Town, User, Workgroup

UTILITIES = ["electricity", "water", "gas"]
OPERATORS = {"electricity": "csg-zhongshan", "water": "zs-water", "gas": "towngas-zs"}
TOWNS = ["nanlang", "shiqi"]
STATES = ["draft", "submitted", "accepted", "connected"]
CODE_PREFIXES = {"enterprise": "91", "individual_business": "92", None: ""}
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4


def _png(name: str = "info.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def notice_input(workgroup: str = "electricity", **overrides) -> NoticeInput:
    fields = {
        "title": "用电报装新政",
        "body_html": "<p>低压小微企业<strong>零投资</strong>接入。</p>",
        "workgroup_id": Workgroup.objects.get(code=workgroup).pk,
        "infographic": _png(),
    }
    fields.update(overrides)
    return NoticeInput(**fields)


@pytest.fixture
def lead(reference):
    """A member of staff of 市发展改革局, the lead agency of the electricity workgroup."""
    return staff_of("ndrc", username="ndrc-staff")


def _case(org, *, utility, business_type, kind, town, status):
    project = ProjectFactory(owner=org, kind=kind, town=Town.objects.get(code=town))
    filer = User.objects.filter(username="filer").first() or UserFactory(username="filer")
    combined = CombinedApplication.objects.create(
        project=project, applicant=org, business_type=business_type, submitted_by=filer
    )
    ServiceApplication.objects.create(
        combined=combined,
        utility=utility,
        workgroup=Workgroup.objects.get(code=utility),
        operator=Organization.objects.get(code=OPERATORS[utility]),
        status=status,
        details={},
    )


case_st = st.fixed_dictionaries(
    {
        "utility": st.sampled_from(UTILITIES),
        "business_type": st.sampled_from(BusinessType.values),
        "kind": st.sampled_from(ProjectKind.values),
        "town": st.sampled_from(TOWNS),
        "status": st.sampled_from(STATES),
    }
)
company_st = st.tuples(
    st.sampled_from(list(CODE_PREFIXES)), st.lists(case_st, max_size=3), st.integers(0, 2)
)


def _subset(values):
    return st.lists(st.sampled_from(values), unique=True, max_size=2)


filters_st = st.fixed_dictionaries(
    {
        "utilities": _subset(UTILITIES),
        "business_types": _subset(BusinessType.values),
        "project_kinds": _subset(ProjectKind.values),
        "towns": _subset(TOWNS),
        "company_types": _subset(["enterprise", "individual_business"]),
        "case_states": _subset(STATES),
    }
)


def _fits(case, f) -> bool:
    return (
        (not f["utilities"] or case["utility"] in f["utilities"])
        and (not f["business_types"] or case["business_type"] in f["business_types"])
        and (not f["project_kinds"] or case["kind"] in f["project_kinds"])
        and (not f["towns"] or case["town"] in f["towns"])
        and (not f["case_states"] or case["status"] in f["case_states"])
    )


def _expected(ctype, cases, f) -> bool:
    if f["company_types"] and ctype not in f["company_types"]:
        return False
    case_filtered = any(f[k] for k in ("utilities", "business_types", "project_kinds", "towns"))
    if case_filtered or f["case_states"]:
        return any(_fits(c, f) for c in cases)
    return True


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(companies=st.lists(company_st, min_size=1, max_size=5), filters=filters_st)
def test_a_notice_reaches_exactly_the_matching_companies_once_on_every_channel(
    lead, companies, filters
):
    with transaction.atomic():
        Organization.objects.filter(kind="applicant_company").update(is_active=False)
        expected, people = set(), {}
        for i, (ctype, cases, members) in enumerate(companies):
            org = company(code=f"co-{i}", name=f"公司{i}")
            if ctype:
                org.unified_social_credit_code = f"{CODE_PREFIXES[ctype]}4420000000000{i:03d}"
                org.save()
            for case in cases:
                _case(org, **case)
            people[org.pk] = []
            for m in range(members):
                user = member_of(org, username=f"co{i}-m{m}", mobile=f"1380013{i:02d}{m:02d}")
                if m == 0:
                    user.mobile_confirmed_at = timezone.now()
                    user.save()
                people[org.pk].append(user)
            if _expected(ctype, cases, filters):
                expected.add(org.pk)
        notice = policy_notice_create(actor=lead, data=notice_input(**filters))
        policy_notice_publish(actor=lead, notice=notice)
        policy_notice_publish(actor=lead, notice=notice)  # again: nothing more
        facts_process()
        facts_process()
        recipients = NoticeRecipient.objects.filter(notice=notice)
        assert set(recipients.values_list("organization_id", flat=True)) == expected
        rows = Delivery.objects.filter(params__notice=str(notice.uuid))
        assert set(rows.values_list("code", flat=True)) <= {"policy_notice.published"}

        def sent(channel, column):
            return sorted(rows.filter(channel=channel).values_list(column, flat=True))

        assert sent(Channel.IN_APP, "recipient_organization_id") == sorted(expected)
        emails = sent(Channel.EMAIL, "recipient_user_id")
        assert emails == sorted(u.pk for pk in expected for u in people[pk])
        sms = sent(Channel.SMS, "recipient_user_id")
        assert sms == sorted(people[pk][0].pk for pk in expected if people[pk])
        transaction.set_rollback(True)


def test_zero_filters_reach_every_applicant_company_even_without_a_case(lead):
    quiet = company(code="quiet", name="无报装公司")
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_publish(actor=lead, notice=notice)
    assert NoticeRecipient.objects.filter(notice=notice, organization=quiet).exists()


def test_only_the_workgroups_lead_agency_publishes_its_notices(lead, reference):
    water_lead = staff_of("water-bureau", username="water")
    with pytest.raises(PermissionDenied):
        policy_notice_create(actor=water_lead, data=notice_input())
    notice = policy_notice_create(actor=lead, data=notice_input())
    with pytest.raises(NotFound):  # another workgroup's notice does not exist for them
        policy_notice_publish(actor=water_lead, notice=notice)


def test_the_sanitiser_strips_scripts_and_event_handlers():
    dirty = (
        '<p onclick="steal()">政策<script>alert(1)</script></p>'
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)" onmouseover="x()">链接</a>'
        '<a href="https://www.zs.gov.cn/">政府网</a><style>p{}</style>'
    )
    clean = sanitize_notice_html(dirty)
    assert "<script" not in clean and "alert(1)" not in clean
    assert "onclick" not in clean and "onerror" not in clean and "onmouseover" not in clean
    assert "javascript:" not in clean and "<img" not in clean and "<style" not in clean
    assert "<p>政策</p>" in clean
    assert 'href="https://www.zs.gov.cn/"' in clean


def test_an_infographic_must_be_an_image_by_content_and_a_video_link_https(lead):
    fake = SimpleUploadedFile("info.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        policy_notice_create(
            actor=lead, data=notice_input(infographic=fake, video_url="http://v.example.cn/1")
        )
    assert set(exc.value.message_dict) == {"infographic", "video_url"}


def _member(org_code: str, username: str, *, case: bool = True):
    org = Organization.objects.filter(code=org_code).first() or company(code=org_code)
    if case:
        _case(
            org, utility="electricity", business_type="new_connection", kind="new",
            town="nanlang", status="submitted",
        )  # fmt: skip
    return org, member_of(org, username=username)


def test_awareness_counts_companies_not_readers(lead, reference):
    org_a, reader_1 = _member("co-a", "a1")
    reader_2 = member_of(org_a, username="a2")
    _org_b, _other = _member("co-b", "b1")
    _org_c, outsider = _member("co-c", "c1", case=False)
    notice = policy_notice_create(actor=lead, data=notice_input(utilities=["electricity"]))
    policy_notice_publish(actor=lead, notice=notice)
    policy_notice_read(user=reader_1, notice=notice)
    policy_notice_read(user=reader_2, notice=notice)
    policy_notice_read(user=outsider, notice=notice)  # not targeted: no receipt
    assert NoticeReadReceipt.objects.filter(notice=notice).count() == 1
    electricity = next(a for a in awareness_by_workgroup() if a.workgroup.code == "electricity")
    assert (electricity.targeted, electricity.read) == (2, 1)
    assert str(electricity.rate) == "50.0"


def test_reading_the_notice_in_the_inbox_records_the_receipt(lead, reference):
    org, reader = _member("co-a", "a1")
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_publish(actor=lead, notice=notice)
    facts_process()
    message = Delivery.objects.get(channel=Channel.IN_APP, recipient_organization=org)
    client = Client()
    client.force_login(reader)
    page = client.get(reverse("notifications:message", args=[message.uuid]))
    assert page.status_code == 200
    assert reverse("applications:notice", args=[notice.uuid]) in page.content.decode()
    assert NoticeReadReceipt.objects.filter(notice=notice, organization=org).exists()


def test_the_video_answers_byte_ranges_with_206(lead):
    video = SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4")
    notice = policy_notice_create(actor=lead, data=notice_input(video=video))
    policy_notice_publish(actor=lead, notice=notice)
    url = reverse("applications:notice_video", args=[notice.uuid])
    client = Client()
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == MP4
    part = client.get(url, HTTP_RANGE="bytes=10-29")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-29/{len(MP4)}"
    assert part["Content-Length"] == "20"
    assert b"".join(part.streaming_content) == MP4[10:30]
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == MP4[-5:]
    past = client.get(url, HTTP_RANGE=f"bytes={len(MP4)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(MP4)}"


def test_a_draft_video_is_not_served_to_the_public(lead):
    video = SimpleUploadedFile("film.mp4", MP4, content_type="video/mp4")
    notice = policy_notice_create(actor=lead, data=notice_input(video=video))
    assert Client().get(reverse("applications:notice_video", args=[notice.uuid])).status_code == 404


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_withdrawn_notices_vanish_from_the_public_page(lead, prefix):
    notice = policy_notice_create(actor=lead, data=notice_input(title="峰谷电价调整"))
    policy_notice_publish(actor=lead, notice=notice)
    client = Client()
    listing = client.get(f"{prefix}/notices/")
    assert listing.status_code == 200 and "峰谷电价调整" in listing.content.decode()
    detail = client.get(f"{prefix}/notices/{notice.uuid}/")
    body = detail.content.decode()
    assert "<strong>零投资</strong>" in body
    assert "electricity" not in body.split("<main", 1)[1]  # no targeting shown
    assert "data-infographic" in body
    policy_notice_withdraw(actor=lead, notice=notice)
    assert "峰谷电价调整" not in client.get(f"{prefix}/notices/").content.decode()
    assert client.get(f"{prefix}/notices/{notice.uuid}/").status_code == 404


def test_a_scheduled_notice_is_published_when_due_and_only_then(lead, reference):
    org, _reader = _member("co-a", "a1")
    notice = policy_notice_create(actor=lead, data=notice_input())
    now = timezone.now()
    policy_notice_schedule(actor=lead, notice=notice, publish_at=now + dt.timedelta(hours=2))
    assert policy_notices_publish_due(now=now + dt.timedelta(hours=1)) == 0
    assert not NoticeRecipient.objects.filter(notice=notice).exists()
    assert policy_notices_publish_due(now=now + dt.timedelta(hours=3)) == 1
    assert policy_notices_publish_due(now=now + dt.timedelta(hours=4)) == 0
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    facts_process()
    facts_process()
    assert Delivery.objects.filter(channel=Channel.IN_APP, recipient_organization=org).count() == 1


def test_a_scheduled_time_in_the_past_is_refused(lead):
    notice = policy_notice_create(actor=lead, data=notice_input())
    with pytest.raises(ValidationError) as exc:
        policy_notice_schedule(
            actor=lead, notice=notice, publish_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert "publish_at" in exc.value.message_dict


def test_an_edit_after_publication_is_a_numbered_revision_shown_on_the_page(lead):
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_publish(actor=lead, notice=notice)
    policy_notice_edit(
        actor=lead,
        notice=notice,
        data=notice_input(body_html="<p>更正：零投资范围扩大到160千瓦。</p>", infographic=None),
    )
    notice.refresh_from_db()
    assert notice.revision == 1 and notice.revisions.count() == 2
    page = Client().get(f"/en/notices/{notice.uuid}/").content.decode()
    assert "(revision 1)" in page and "160" in page
    zh = Client().get(f"/notices/{notice.uuid}/").content.decode()
    assert "第 1 次修订" in zh


def _staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_form_errors_answer_200_with_the_error_summary(lead):
    response = _staff_client(lead).post(
        "/staff/notices/new/",
        {
            "workgroup": Workgroup.objects.get(code="electricity").pk,
            "title": "",
            "body_html": "<script>x</script>",
            "video_url": "http://insecure.example.cn/v",
            "infographic": io.BytesIO(b"not an image"),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-error-summary" in body and 'href="#id_title"' in body


def test_a_schedule_in_the_past_re_renders_the_staff_page_with_the_error_summary(lead):
    notice = policy_notice_create(actor=lead, data=notice_input())
    client = _staff_client(lead)
    response = client.post(
        f"/en/staff/notices/{notice.uuid}/schedule/", {"publish_at": "2020-01-01T09:00"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-error-summary" in body and "Choose a time in the future." in body
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(f"/staff/notices/{notice.uuid}/schedule/", {"publish_at": later}).status_code
        == 302
    )
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SCHEDULED
    page = client.get(f"/staff/notices/{notice.uuid}/").content.decode()
    assert 'data-action="unschedule"' in page and 'data-action="withdraw"' not in page
    assert client.post(f"/staff/notices/{notice.uuid}/unschedule/").status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT and notice.publish_at is None


def test_a_withdrawn_notice_cannot_be_published_again(lead):
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_publish(actor=lead, notice=notice)
    policy_notice_withdraw(actor=lead, notice=notice)
    with pytest.raises(IllegalTransition):
        policy_notice_publish(actor=lead, notice=notice)


def test_staff_write_publish_and_see_awareness_in_both_languages(lead, reference):
    org, reader = _member("co-a", "a1")
    client = _staff_client(lead)
    created = client.post(
        "/en/staff/notices/new/",
        {
            "workgroup": Workgroup.objects.get(code="electricity").pk,
            "title": "Low-voltage connection at no cost",
            "body_html": "<p>Up to 160 kW.</p>",
            "utilities": ["electricity"],
            "infographic": _png(),
        },
    )
    assert created.status_code == 302
    notice = PolicyNotice.objects.get(title="Low-voltage connection at no cost")
    assert client.post(f"/en/staff/notices/{notice.uuid}/publish/").status_code == 302
    policy_notice_read(user=reader, notice=notice)
    page = client.get(f"/en/staff/notices/{notice.uuid}/").content.decode()
    assert "100.0%" in page and "Awareness rate" in page
    assert "Utilities: Electricity" in page  # the audience, in the reader's language
    zh = client.get("/staff/notices/").content.decode()
    assert "知晓率" in zh and "100.0%" in zh
    # Another workgroup's lead does not see it.
    water = _staff_client(staff_of("water-bureau", username="water"))
    assert water.get(f"/staff/notices/{notice.uuid}/").status_code == 404
    assert org.pk in NoticeRecipient.objects.values_list("organization_id", flat=True)


def test_the_staff_list_takes_a_constant_number_of_queries(lead, django_assert_max_num_queries):
    for i in range(4):
        notice = policy_notice_create(actor=lead, data=notice_input(title=f"通知{i}"))
        policy_notice_publish(actor=lead, notice=notice)
    client = _staff_client(lead)
    client.get("/staff/notices/")
    with django_assert_max_num_queries(12):
        assert client.get("/staff/notices/").status_code == 200


@pytest.mark.parametrize("status", [ServiceStatus.SUBMITTED])
def test_the_stage_filter_reaches_companies_with_a_case_in_that_stage(lead, status):
    org_a, _ = _member("co-a", "a1")  # submitted
    org_b = company(code="co-b")
    _case(
        org_b, utility="electricity", business_type="new_connection", kind="new",
        town="nanlang", status="connected",
    )  # fmt: skip
    notice = policy_notice_create(actor=lead, data=notice_input(case_states=[status]))
    policy_notice_publish(actor=lead, notice=notice)
    reached = NoticeRecipient.objects.filter(notice=notice).values_list("organization", flat=True)
    assert list(reached) == [org_a.pk]


@pytest.mark.parametrize(
    ("prefix", "label"), [("", "政策推送知晓率"), ("/en", "Awareness of policy")]
)
def test_the_kpi_page_shows_the_awareness_of_each_workgroup_it_leads(lead, prefix, label):
    from indicators.services.rollup import kpi_rollup_refresh

    org, reader = _member("co-a", "a1")
    _member("co-b", "b1")
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_publish(actor=lead, notice=notice)
    policy_notice_read(user=reader, notice=notice)
    kpi_rollup_refresh()
    page = _staff_client(lead).get(f"{prefix}/staff/kpi/")
    assert page.status_code == 200
    body = page.content.decode()
    block = body.split('data-kpi="notice-awareness"', 1)[1].split("</section>", 1)[0]
    assert label in body
    assert 'data-workgroup="electricity"' in block and "50.0%" in block
    assert 'data-workgroup="water"' not in block  # not a workgroup the caller leads


def test_attachments_are_checked_by_content_and_served_only_through_the_portal(lead):
    from tests.factories import PDF_BYTES

    bad = SimpleUploadedFile("rules.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        policy_notice_create(actor=lead, data=notice_input(attachments=[bad]))
    assert "attachments" in exc.value.message_dict
    good = SimpleUploadedFile("办理指南.pdf", PDF_BYTES, content_type="application/pdf")
    notice = policy_notice_create(actor=lead, data=notice_input(attachments=[good]))
    attachment = notice.attachments.get()
    url = reverse("applications:notice_attachment", args=[notice.uuid, attachment.uuid])
    client = Client()
    assert client.get(url).status_code == 404  # a draft: not public yet
    policy_notice_publish(actor=lead, notice=notice)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert "办理指南.pdf" in client.get(f"/notices/{notice.uuid}/").content.decode()


def test_the_public_list_takes_a_constant_number_of_queries(lead, django_assert_num_queries):
    client = Client()

    def publish(n):
        for i in range(n):
            notice = policy_notice_create(actor=lead, data=notice_input(title=f"通知{n}-{i}"))
            policy_notice_publish(actor=lead, notice=notice)

    publish(1)
    client.get("/notices/")
    with django_assert_num_queries(1) as first:
        client.get("/notices/")
    publish(4)
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get("/notices/").status_code == 200


def test_the_admin_shows_notices_read_only_to_an_administrator(lead):
    notice = policy_notice_create(actor=lead, data=notice_input(title="管理员可见"))
    policy_notice_publish(actor=lead, notice=notice)
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = _staff_client(admin_user)
    listing = client.get("/admin/coordination/policynotice/")
    assert listing.status_code == 200 and "管理员可见" in listing.content.decode()
    page = client.get(f"/admin/coordination/policynotice/{notice.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_beat_runs_the_publication_task_every_minute(settings, lead):
    from coordination.tasks import publish_due_notices_task

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "coordination.publish_due_notices"
    )
    assert entry["schedule"] <= 60
    notice = policy_notice_create(actor=lead, data=notice_input())
    policy_notice_schedule(
        actor=lead, notice=notice, publish_at=timezone.now() + dt.timedelta(minutes=5)
    )
    PolicyNotice.objects.filter(pk=notice.pk).update(
        publish_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert publish_due_notices_task.apply().get() == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.events.filter(kind="published", actor=None).exists()
