"""The inbox reads in the reader's language: a message is stored as a catalogue code with its
parameters and rendered at read time; identical lines are grouped; one message opens on its own
page with links to its request and utility; one or all are marked read; the header counts the
unread ones with one query."""

import importlib
import re
import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from applications.services import fee_payment_record, service_application_transition
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from notifications.texts import codes, compose, render
from tests.factories import company, member_of

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def signed_in(client, applicant):
    client.force_login(applicant)
    return client


def _returned_water(submit, operator_staff):
    combined = submit(["water"])
    sa = combined.services.get()
    service_application_transition(
        actor=operator_staff("zs-water"),
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "请补充二次供水设计图"},
    )
    facts_process()
    return combined, sa


def _inbox_row(org, **kwargs) -> Delivery:
    event_id = uuid.uuid4()
    fields = {
        "event_id": event_id,
        "event_type": EventType.DEMAND_NOTICE,
        "channel": Channel.IN_APP,
        "recipient_organization": org,
        "idempotency_key": f"{event_id}:in_app:org{org.pk}",
        "subject": "旧消息",
        "body": "",
        **kwargs,
    }
    return Delivery.objects.create(**fields)


SAMPLES = {
    "case.state_changed": {
        "reference": "ZS-1",
        "request": str(uuid.uuid4()),
        "item": str(uuid.uuid4()),
        "utility": "water",
        "status": "returned",
        "reason": "",
        "comment": "",
        "fee": "1200.00",
    },
    "case.fee_quoted": {
        "reference": "ZS-1",
        "request": str(uuid.uuid4()),
        "item": str(uuid.uuid4()),
        "utility": "electricity",
        "fee": "1250.50",
        "fee_items": [{"label": "Meter", "amount_cny": "250.50"}],
        "comment": "",
    },
    "case.fee_paid": {
        "reference": "ZS-1",
        "request": str(uuid.uuid4()),
        "item": str(uuid.uuid4()),
        "utility": "electricity",
        "amount": "1250.50",
        "paid_on": "2026-01-05",
        "receipt": "GD-1",
    },
    "case.escalation": {"tier": 2, "reference": "ZS-1", "stage": "accepted", "note": ""},
    "action_item.assigned": {
        "meeting": "Power workgroup meeting",
        "due_day": "2026-12-04",
        "description": "Move the pipes on Cuiheng Avenue",
        "action_item": str(uuid.uuid4()),
    },
    "action_item.done": {
        "meeting": "Power workgroup meeting",
        "due_day": "2026-12-04",
        "description": "Move the pipes on Cuiheng Avenue",
        "done_note": "Done",
        "action_item": str(uuid.uuid4()),
    },
    "action_item.escalation": {
        "tier": 2,
        "origin": "referral",
        "kind": "opened",
        "meeting": "Power workgroup meeting",
        "description": "Move the pipes on Cuiheng Avenue",
        "note": "Needs the office",
        "action_item": str(uuid.uuid4()),
    },
    "case.referral": {
        "tier": 2,
        "kind": "opened",
        "reference": "ZS-1",
        "utility": "water",
        "project": "Cuiheng park",
        "case": str(uuid.uuid4()),
        "note": "Across departments",
    },
    "company.identity": {"event": "accept_review", "code": "91442000MA4X", "reason": ""},
    "project.shared": {"department": {"zh": "市自然资源局", "en": ""}, "code": "P", "name": "P"},
    "project.reassigned": {"department": {"zh": "市自然资源局", "en": ""}, "code": "P"},
    "project.claimed": {"code": "P", "company": {"zh": "某公司", "en": "Some Co."}},
    "policy_notice.published": {
        "notice": "00000000-0000-0000-0000-000000000001",
        "title": "T",
        "workgroup": {"zh": "获得电力工作组", "en": "Getting Electricity"},
    },
    "demand_notice.created": {
        "title": "T",
        "town": {"zh": "石岐街道", "en": "Shiqi"},
        "utilities": ["water", "gas"],
    },
    "demand_notice.reminder": {
        "title": "T",
        "town": {"zh": "石岐街道", "en": "Shiqi"},
        "utilities": ["water"],
    },
    "demand.received": {
        "demand": str(uuid.uuid4()),
        "kind": "complaint",
        "reference": "D-1",
        "title": "T",
        "utility": "water",
        "town": {"zh": "石岐街道", "en": "Shiqi"},
        "theme": "connection",
        "acknowledge_due": "2026-12-04",
        "answer_due": "2026-12-10",
    },
    "demand.receipt": {
        "kind": "need",
        "reference": "D-1",
        "title": "T",
        "answer_due": "2026-12-10",
        "link": "/x",
    },
    "demand.acknowledged": {
        "demand": str(uuid.uuid4()),
        "kind": "need",
        "reference": "D-1",
        "title": "T",
        "stage": "acknowledged",
        "due": "2026-12-10",
    },
    "demand.answered": {
        "demand": str(uuid.uuid4()),
        "kind": "need",
        "reference": "D",
        "title": "T",
    },
    "demand.reopened": {
        "demand": str(uuid.uuid4()),
        "kind": "need",
        "reference": "D",
        "title": "T",
    },
    "demand.escalation": {
        "demand": str(uuid.uuid4()),
        "kind": "opened",
        "reference": "D",
        "title": "T",
        "origin": "deadline",
        "tier": 1,
        "stage": "submitted",
    },
    "follow_up.escalation": {
        "tier": 1,
        "utility": "gas",
        "stage": "open",
        "follow_up": str(uuid.uuid4()),
    },
    "rating.invitation": {"utility": "gas", "request": str(uuid.uuid4())},
    "follow_up.opened": {
        "utility": "gas",
        "level": "dissatisfied",
        "due": "2026-12-04",
        "follow_up": str(uuid.uuid4()),
    },
    "follow_up.answered": {
        "utility": "gas",
        "level": "dissatisfied",
        "cause": "c",
        "fix": "f",
        "request": str(uuid.uuid4()),
    },
    "webhook.paused": {"url": "https://x.example/", "failures": 5, "probe_at": None},
    "webhook.resumed": {"url": "https://x.example/"},
    **{
        f"joint_works.{name}": {
            "plan": str(uuid.uuid4()),
            "road": "Heqing Road",
            "segment": "Xinggang Rd - Haotou Rd",
            "project": "Torch plant",
            "start": "2026-12-07",
            "end": "2026-12-18",
            "utilities": ["electricity", "water"],
            "lead": {"zh": "中山供电局", "en": "Zhongshan Power Supply Bureau"},
            "operator": {"zh": "中山公用水务", "en": "Zhongshan Water"},
            "reason": "",
            "cancelled": False,
            "reference": "ZS-1",
            "request": str(uuid.uuid4()),
            "restored_on": "2026-12-21",
            "moratoriums": [
                {"road": "Heqing Road", "restored_on": "2026-06-01", "until": "2031-06-01"}
            ],
            "overlaps": [
                {"road": "Heqing Road", "starts_on": "2026-12-08", "ends_on": "2026-12-10"}
            ],
        }
        for name in (
            "proposed",
            "window_proposed",
            "left",
            "locked",
            "warning",
            "window_set",
            "restored",
        )
    },
    **{
        code: {
            "reference": "ZS-1",
            "request": str(uuid.uuid4()),
            "document": "planning_permit",
            "agency": {"zh": "中山市自然资源局", "en": "Zhongshan Natural Resources Bureau"},
            "due_on": "2026-12-04",
            "due_stage": "constructing",
            "on_breach": "pause",
            "reason": "Permit not filed",
        }
        for code in (
            "commitment.due",
            "commitment.due_agency",
            "commitment.supplied",
            "commitment.verified",
            "commitment.breached",
        )
    },
}


def test_every_catalogue_message_renders_in_chinese_and_in_english():
    assert sorted(SAMPLES) == codes()
    for code, params in SAMPLES.items():
        with override("zh-hans"):
            zh = render(code, params)
        with override("en"):
            en = render(code, params)
        assert zh is not None and en is not None, code
        assert CJK.search(zh.subject), f"{code}: {zh.subject}"
        # The English text has no Chinese but the names that have no English.
        assert not CJK.search(en.subject.replace("市自然资源局", "")), f"{code}: {en.subject}"
        assert not CJK.search(en.body), f"{code}: {en.body}"


def test_the_due_day_in_a_message_is_a_date_with_its_weekday():
    params = SAMPLES["follow_up.opened"]
    with override("zh-hans"):
        assert "2026年12月4日（星期五）" in render("follow_up.opened", params).body
    with override("en"):
        assert "Fri 4 Dec 2026" in render("follow_up.opened", params).body


def test_a_stored_message_keeps_its_code_and_chinese_text_for_email():
    message = compose("case.state_changed", SAMPLES["case.state_changed"])
    assert message["code"] == "case.state_changed"
    assert "退回补正" in message["subject"]
    assert "费用报价" in message["body"]


def test_a_message_about_my_request_reads_in_the_language_i_read_in(
    signed_in, submit, operator_staff
):
    combined, sa = _returned_water(submit, operator_staff)
    message = Delivery.objects.get(
        channel=Channel.IN_APP,
        recipient_organization=combined.applicant,
        payload__to="returned",
    )
    assert message.code == "case.state_changed"
    assert message.params["status"] == "returned"

    chinese = signed_in.get(f"/inbox/{message.uuid}/").content.decode()
    english = signed_in.get(f"/en/inbox/{message.uuid}/").content.decode()
    assert "退回补正" in chinese
    assert "Returned for correction" in english
    assert "退回补正" not in english
    # What the reader typed stays as typed, in both.
    assert "请补充二次供水设计图" in english
    # The message leads to its request and to the utility in it.
    assert f'href="/en/requests/{combined.uuid}/"' in english or (
        f"/requests/{combined.uuid}/" in english
    )
    assert f"#u-{sa.uuid}" in english
    listing = signed_in.get("/en/inbox/").content.decode()
    assert "Returned for correction" in listing and "Submitted" in listing


def test_staff_reading_the_same_kind_of_message_are_led_to_the_staff_case_page(
    client, submit, operator_staff
):
    combined = submit(["water"])
    facts_process()
    staff = operator_staff("zs-water")
    message = Delivery.objects.get(
        channel=Channel.IN_APP,
        recipient_organization__memberships__user=staff,
        code="case.state_changed",
    )
    client.force_login(staff)
    page = client.get(f"/en/inbox/{message.uuid}/").content.decode()
    assert f"/en/staff/cases/{combined.uuid}/" in page


def test_someone_elses_message_is_not_found(client, signed_in, submit, operator_staff):
    combined, _sa = _returned_water(submit, operator_staff)
    message = Delivery.objects.filter(
        channel=Channel.IN_APP, recipient_organization=combined.applicant
    ).first()
    client.force_login(member_of(company("other", "另一公司")))
    assert client.get(f"/en/inbox/{message.uuid}/").status_code == 404
    assert client.post(f"/en/inbox/{message.uuid}/read/").status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_a_row_without_a_code_shows_its_stored_text(signed_in, applicant_org):
    _inbox_row(applicant_org, subject="旧的中文消息", body="正文")
    page = signed_in.get("/en/inbox/").content.decode()
    assert "旧的中文消息" in page


def test_identical_messages_are_one_line_with_their_count(signed_in, applicant_org):
    params = SAMPLES["demand_notice.reminder"]
    for _ in range(3):
        _inbox_row(applicant_org, **compose("demand_notice.reminder", params))
    _inbox_row(applicant_org, **compose("webhook.resumed", SAMPLES["webhook.resumed"]))
    page = signed_in.get("/en/inbox/")
    html = page.content.decode()
    assert len(page.context["lines"]) == 2
    assert html.count("Reminder: Early demand notice: T") == 1
    assert "×3" in html
    grouped = next(line for line in page.context["lines"] if line.count == 3)
    assert len(grouped.unread_ids) == 3
    # Marking the line read marks the three.
    signed_in.post("/en/inbox/read/", {"delivery": grouped.unread_ids})
    assert Delivery.objects.filter(pk__in=grouped.unread_ids, read_at__isnull=True).count() == 0


def test_mark_one_read_then_all_read(signed_in, applicant_org):
    first = _inbox_row(applicant_org, **compose("webhook.resumed", SAMPLES["webhook.resumed"]))
    second = _inbox_row(applicant_org, **compose("rating.invitation", SAMPLES["rating.invitation"]))
    third = _inbox_row(applicant_org, subject="第三条")

    response = signed_in.post(f"/en/inbox/{first.uuid}/read/")
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert 'data-unread="2"' in signed_in.get("/en/inbox/").content.decode()

    signed_in.post("/en/inbox/read/", {"all": "1"})
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.read_at is not None and third.read_at is not None
    assert "data-unread=" not in signed_in.get("/en/inbox/").content.decode()


def test_marking_read_needs_a_post_with_its_csrf_token(client, applicant, applicant_org):
    message = _inbox_row(applicant_org)
    client.force_login(applicant)
    assert client.get(f"/en/inbox/{message.uuid}/read/").status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(applicant)
    assert strict.post(f"/en/inbox/{message.uuid}/read/").status_code == 403
    message.refresh_from_db()
    assert message.read_at is None


def test_the_header_counts_unread_messages_with_one_query(signed_in, applicant_org):
    for n in range(4):
        _inbox_row(applicant_org, subject=f"消息{n}")
    with CaptureQueriesContext(connection) as queries:
        html = signed_in.get("/en/requests/").content.decode()
    assert 'data-unread="4"' in html
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "notifications_delivery" in q["sql"]
    ]
    assert len(counts) == 1


def test_the_grouped_list_runs_a_constant_number_of_queries(
    signed_in, applicant_org, django_assert_max_num_queries
):
    _inbox_row(applicant_org, **compose("webhook.resumed", SAMPLES["webhook.resumed"]))
    with django_assert_max_num_queries(12) as small:
        signed_in.get("/en/inbox/")
    for code, params in SAMPLES.items():
        for _ in range(2):
            _inbox_row(applicant_org, **compose(code, params))
    with django_assert_max_num_queries(len(small.captured_queries)):
        signed_in.get("/en/inbox/")


def test_existing_rows_get_a_code_where_their_payload_says_enough(
    signed_in, submit, operator_staff
):
    combined, sa = _returned_water(submit, operator_staff)
    rows = Delivery.objects.filter(recipient_organization=combined.applicant, channel="in_app")
    rows.update(code="", params={})
    migration = importlib.import_module(
        "notifications.migrations.0011_delivery_codes_for_existing_rows"
    )
    migration.forwards(apps, None)
    returned = rows.get(payload__to="returned")
    assert returned.code == "case.state_changed"
    assert returned.params["reference"] == combined.reference
    html = signed_in.get(f"/en/inbox/{returned.uuid}/").content.decode()
    assert "Returned for correction" in html
    assert "请补充二次供水设计图" in html  # the stored reason, as typed


def test_the_applicant_is_told_of_a_fee_to_confirm_and_of_a_payment_recorded(
    signed_in, submit, operator_staff, applicant
):
    combined = submit(["water"])
    sa = combined.services.get()
    water = operator_staff("zs-water")
    for name, data in (
        ("accept", {}),
        ("start_survey", {}),
        (
            "issue_plan",
            {
                "survey_result": "现场具备条件",
                "plan": "DN100 接入",
                "fee_quote_cny": "880.00",
                "fee_items": "接水工程费 = 880.00",
            },
        ),
    ):
        sa = service_application_transition(
            actor=water, service_application=sa, transition=name, data=data
        )
    service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    fee_payment_record(
        actor=water,
        service_application=sa,
        data={"amount_cny": "880.00", "paid_on": "2026-01-05", "receipt_number": "SW-9"},
    )
    facts_process()

    mine = Delivery.objects.filter(
        channel=Channel.IN_APP, recipient_organization=combined.applicant
    )
    quoted = mine.get(code="case.fee_quoted")
    paid = mine.get(code="case.fee_paid")
    assert "880.00" in quoted.subject and "接水工程费" in quoted.body
    assert "SW-9" in paid.body
    english = signed_in.get(f"/en/inbox/{paid.uuid}/").content.decode()
    assert "payment of 880.00 CNY recorded" in english
    # The operator reported it: the operator is not told of its own report.
    assert not Delivery.objects.filter(
        code="case.fee_paid", recipient_organization=sa.operator
    ).exists()
