"""The submitter's side: the public form with or without an account, the confirmation and
private link shown once, the answer in the account pages and the inbox, and the verdict
(solved, or not solved: reopened once, then closed)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.access import demand_access_token, demand_private_path
from coordination.constants import DemandStatus, Verdict
from coordination.models import Demand, DemandHistory
from coordination.services import demand_transition
from notifications.constants import Channel, EventType
from notifications.models import Delivery
from notifications.services import facts_process
from tests.error_summary import assert_error_summary
from tests.factories import PNG_BYTES, company, member_of

from .conftest import client_for, pdf

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "complaint",
    "utility": "water",
    "theme": "payment",
    "town": "",
    "address": "石岐街道民生路2号",
    "title": "水费账单重复扣款",
    "description": "三月份水费被扣了两次，请核实退款。",
}


@pytest.fixture
def form_data(reference):
    from workgroups.models import Town

    return {**FORM, "town": str(Town.objects.get(code="shiqi").pk)}


def _answer(demand, staff, text="已核实，重复扣款将于3个工作日内退回。"):
    return demand_transition(
        actor=staff("water-bureau"), demand=demand, transition="answer", data={"answer": text}
    )


def test_anyone_submits_without_an_account_and_sees_the_private_link_once(form_data, client):
    data = {**form_data, "contact_name": "林女士", "contact_email": "lin@example.cn"}
    response = client.post(reverse("applications:demand_new"), data)
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert (demand.workgroup.code, demand.town.code) == ("water", "shiqi")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert demand.reference in html
    link = re.search(r"data-private-link>([^<]+)<", html).group(1)
    assert link.endswith(demand_private_path(demand))
    # Shown once: the same page again no longer holds it.
    again = client.get(response["Location"]).content.decode()
    assert "data-private-link" not in again and demand_access_token(demand) not in again


def test_the_private_link_opens_its_demand_and_nothing_else(submit_demand, staff, client):
    mine = submit_demand(utility="water")
    other = submit_demand(utility="water", title="另一个人的诉求")
    _answer(mine, staff)
    page = client.get(demand_private_path(mine))
    assert page.status_code == 200
    assert "已核实" in page.content.decode()
    # Another demand with my token, my demand with a wrong token: not found.
    token = demand_access_token(mine)
    wrong = reverse("applications:demand_private", args=[other.uuid, token])
    assert client.get(wrong).status_code == 404
    forged = reverse("applications:demand_private", args=[mine.uuid, "0" * 64])
    assert client.get(forged).status_code == 404
    assert client.post(forged, {"action": "confirm_solved"}).status_code == 404
    mine.refresh_from_db()
    assert mine.status == DemandStatus.ANSWERED


def test_the_submitter_without_an_account_says_it_is_solved(submit_demand, staff, client):
    demand = submit_demand(utility="water")
    _answer(demand, staff)
    path = demand_private_path(demand)
    response = client.post(path, {"action": "confirm_solved"})
    assert response.status_code == 302
    demand.refresh_from_db()
    assert (demand.status, demand.verdict) == (DemandStatus.CLOSED, Verdict.SOLVED)
    entry = DemandHistory.objects.filter(demand=demand).last()
    assert (entry.transition, entry.actor, entry.actor_label) == ("confirm_solved", None, "陈先生")
    # Staff moves are not for the link's holder.
    assert client.post(path, {"action": "close"}).status_code == 404


def test_signed_in_the_submitter_reads_the_answer_in_the_account_and_the_inbox(
    form_data, applicant, applicant_org, staff
):
    client = client_for(applicant)
    response = client.post(reverse("applications:demand_new"), form_data)
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert demand.organization == applicant_org
    page = client.get(response["Location"]).content.decode()
    assert "data-private-link" not in page  # the account is the way back
    _answer(demand, staff)
    facts_process()
    listing = client.get(reverse("applications:demands")).content.decode()
    assert f'data-demand="{demand.uuid}"' in listing
    detail = client.get(reverse("applications:demand_detail", args=[demand.uuid])).content.decode()
    assert "重复扣款将于3个工作日内退回" in detail
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert demand.reference in inbox
    answered = Delivery.objects.filter(event_type=EventType.DEMAND_ANSWERED)
    assert set(answered.values_list("channel", flat=True)) == {Channel.IN_APP, Channel.EMAIL}
    assert answered.get(channel=Channel.EMAIL).recipient_user == applicant


def test_not_solved_reopens_once_then_closes(submit_demand, staff, applicant):
    demand = submit_demand(actor=applicant, utility="water")
    client = client_for(applicant)
    detail = reverse("applications:demand_detail", args=[demand.uuid])
    _answer(demand, staff)
    empty = client.post(detail, {"action": "report_unsolved", "reason": ""})
    assert_error_summary(empty, "请说明尚未解决的问题。", field="id_reason")
    assert "field-error" in empty.content.decode()
    client.post(detail, {"action": "report_unsolved", "reason": "退款仍未到账。"})
    demand.refresh_from_db()
    assert (demand.status, demand.reopen_count) == (DemandStatus.REOPENED, 1)
    assert demand.verdict == Verdict.UNSOLVED
    # Back with the workgroup, on a new 5-working-day clock.
    assert demand.due_at is not None
    _answer(demand, staff, text="已再次核实并退款。")
    client.post(detail, {"action": "report_unsolved", "reason": "还是没有到账。"})
    demand.refresh_from_db()
    assert (demand.status, demand.verdict) == (DemandStatus.CLOSED, Verdict.UNSOLVED)
    assert demand.reopen_count == 1


def test_signed_in_submitters_see_only_their_organisations_demands(submit_demand, applicant):
    mine = submit_demand(actor=applicant)
    rival = member_of(company(code="rival", name="另一家公司"), username="rival")
    theirs = submit_demand(actor=rival)
    anonymous = submit_demand()
    client = client_for(applicant)
    listing = client.get(reverse("applications:demands")).content.decode()
    assert str(mine.uuid) in listing
    assert str(theirs.uuid) not in listing and str(anonymous.uuid) not in listing
    for other in (theirs, anonymous):
        url = reverse("applications:demand_detail", args=[other.uuid])
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "confirm_solved"}).status_code == 404


def test_attachments_are_checked_by_content_and_served_only_to_who_may_see(
    form_data, applicant, staff
):
    client = client_for(applicant)
    # Named .pdf, sent as a PDF, but a shell script: the content decides.
    script = SimpleUploadedFile("invoice.pdf", b"#!/bin/sh\necho hi\n", "application/pdf")
    new = reverse("applications:demand_new")
    refused = client.post(new, {**form_data, "attachments": [script]})
    assert_error_summary(refused, "仅接受 PDF、JPEG 和 PNG 格式的文件。", field="id_attachments")
    assert 'id="id_attachments_errors"' in refused.content.decode()
    assert not Demand.objects.exists()
    photo = SimpleUploadedFile("meter.png", PNG_BYTES, "image/png")
    response = client.post(
        reverse("applications:demand_new"), {**form_data, "attachments": [pdf("bill.pdf"), photo]}
    )
    assert response.status_code == 302
    demand = Demand.objects.get()
    files = list(demand.attachments.order_by("pk"))
    assert [f.content_type for f in files] == ["application/pdf", "image/png"]
    own = reverse("applications:demand_attachment", args=[demand.uuid, files[0].uuid])
    assert client.get(own).status_code == 200
    lead = client_for(staff("water-bureau"))
    staff_url = reverse("staff:demand_attachment", args=[demand.uuid, files[1].uuid])
    assert lead.get(staff_url).status_code == 200
    assert client_for(staff("ndrc")).get(staff_url).status_code == 404
    rival = member_of(company(code="rival", name="另一家公司"), username="rival")
    assert client_for(rival).get(own).status_code == 404


def test_odd_input_gives_field_errors_never_a_server_error(form_data, client):
    odd = {
        **form_data,
        "title": "标" * 500,
        "description": "字" * 50_000,
        "address": " ",
        "contact_name": "x" * 500,
        "contact_mobile": "not-a-number",
        "contact_email": "not-an-address",
        "kind": "nonsense",
        "town": "999999999999",
        "utility": "-1",
    }
    response = client.post(reverse("applications:demand_new"), odd)
    assert_error_summary(response, "nonsense 不在可用的选项中", field="id_kind_0")
    html = response.content.decode()
    for name in ("title", "description", "contact_name", "contact_mobile", "kind", "town"):
        assert f'id="id_{name}_errors"' in html, name
    assert not Demand.objects.exists()
    # A NUL is refused before the form (core.input_guard): the page names each such field.
    nul = {**form_data, "title": "标题\x00", "address": "\x00", "utility": "\x00"}
    response = client.post(reverse("applications:demand_new"), nul)
    assert response.status_code == 400
    html = response.content.decode()
    for name in ("title", "address", "utility"):
        assert f"<code>{name}</code>" in html, name
    assert "<code>description</code>" not in html
    assert not Demand.objects.exists()
    # Without any contact at all.
    response = client.post(reverse("applications:demand_new"), {**form_data, "contact_name": "x"})
    assert_error_summary(response, "请填写手机号码或电子邮箱。", field="id_contact_mobile")
    assert 'id="id_contact_mobile_errors"' in response.content.decode()


def test_submissions_are_throttled_without_a_captcha(form_data, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "demand_submit": "2/hour",
        },
    }
    data = {**form_data, "contact_name": "林女士", "contact_mobile": "13900139000"}
    assert client.post(reverse("applications:demand_new"), data).status_code == 302
    assert client.post(reverse("applications:demand_new"), data).status_code == 302
    third = client.post(reverse("applications:demand_new"), data)
    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert Demand.objects.count() == 2
    # Another address has its own budget.
    other = client.post(reverse("applications:demand_new"), data, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_the_form_speaks_chinese_first_and_english_under_en(reference, client):
    chinese = client.get(reverse("applications:demand_new"))
    assert chinese.status_code == 200
    assert "诉求" in chinese.content.decode()
    english = client.get("/en" + reverse("applications:demand_new"))
    assert english.status_code == 200
    assert "Tell the workgroups what you need" in english.content.decode()
