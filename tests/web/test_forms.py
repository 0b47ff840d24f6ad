"""Forms that do not decide for the user (issue 11, items 3 and 4): selects start empty, the
rules between fields are shown before submitting, the error summary links each error to its
field, uploads survive a re-render, and the commitment is read before it is signed."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from applications.models import CombinedApplication, Commitment, Draft
from applications.registry import UTILITIES
from applications.selectors.commitments import commitment_text_current
from applications.services import commitment_text_publish
from tests.factories import DETAILS, staff_of
from tests.web.helpers import pdf, request_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(web, project) -> Draft:
    web.post("/en/requests/new/", {"project": str(project.uuid)})
    return Draft.objects.get()


def _url(draft, prefix="/en") -> str:
    return f"{prefix}/requests/drafts/{draft.uuid}/"


def _selected(html: str, name: str) -> str:
    """The value of the option selected in the select `name` (the first when none is)."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]* selected', select)
    return chosen.group(1) if chosen else re.search(r'<option value="([^"]*)"', select).group(1)


@pytest.mark.parametrize(("prefix", "please"), [("", "请选择"), ("/en", "Please choose")])
def test_every_select_of_the_request_form_starts_on_please_choose(web, draft, prefix, please):
    html = web.get(_url(draft, prefix)).content.decode()
    names = re.findall(r'<select name="([a-z_]+-[a-z_]+)"', html)
    expected = {
        f"{utility}-{name}"
        for utility, spec in UTILITIES.items()
        for name, form_field in spec.details_form.base_fields.items()
        if form_field.widget.__class__.__name__ == "Select"
    }
    assert set(names) == expected and len(expected) == 8
    for name in names:
        assert _selected(html, name) == "", name
        assert f'<option value="" selected>{please}</option>' in html
    # Nor is the business type ticked for the applicant.
    assert (
        'name="business_type" value="new_connection" required id="id_business_type_0" checked'
        not in html
    )
    assert not re.search(r'name="business_type"[^>]*checked', html)


def test_skipped_selects_are_errors_not_a_household_on_220_v(web, draft):
    data = request_post(["electricity"])
    for name in ("category", "voltage_level", "supply_mode"):
        data[f"electricity-{name}"] = ""
    response = web.post(_url(draft), data)
    assert response.status_code == 200
    errors = response.context["sections"][0][2].errors
    assert set(errors) == {"category", "voltage_level", "supply_mode"}
    assert errors["voltage_level"] == ["Choose one of the options."]
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S).group(0)
    assert "There is a problem" in summary
    for name in ("category", "voltage_level", "supply_mode"):
        assert f'href="#id_electricity-{name}"' in summary
        assert f'id="id_electricity-{name}"' in html
    assert CombinedApplication.objects.count() == 0
    draft.refresh_from_db()
    assert "category" not in draft.data["details"]["electricity"]


def test_the_summary_links_radio_groups_and_documents_to_their_first_control(web, draft):
    data = request_post(["cable_tv"], upload=False)
    del data["business_type"]
    response = web.post(_url(draft), data)
    links = [(link.text, link.href) for link in response.context["error_links"]]
    assert ("Business type: This field is required.", "#id_business_type_0") in links
    assert any(href == "#file-business_licence" for _text, href in links)


def test_the_chinese_summary_reads_in_chinese(web, draft):
    data = request_post(["electricity"])
    data["electricity-voltage_level"] = ""
    html = web.post(_url(draft, ""), data).content.decode()
    assert "存在以下问题" in html
    assert 'href="#id_electricity-voltage_level"' in html


@pytest.mark.parametrize(
    ("prefix", "hint"),
    [
        ("/en", "Required when Network service is Broadband or Dedicated line."),
        ("", "网络业务类型为宽带或专线时必填。"),
    ],
)
def test_rules_between_fields_are_shown_next_to_the_field_before_submitting(
    web, draft, prefix, hint
):
    html = web.get(_url(draft, prefix)).content.decode()
    assert f'<p class="help" id="id_network-bandwidth_mbps_helptext">{hint}</p>' in html
    assert 'aria-describedby="id_network-bandwidth_mbps_helptext"' in html
    assert "data-rules=" in html and "network-service_type" in html


def test_the_server_still_enforces_the_rules(web, draft):
    data = request_post(["network"])
    data["network-service_type"] = "broadband"
    data["network-bandwidth_mbps"] = ""
    response = web.post(_url(draft), data)
    assert response.status_code == 200
    assert response.context["sections"][3][2].errors["bandwidth_mbps"] == [
        "Give the bandwidth for a wired service."
    ]
    # The documents sent the first time are kept: only the answer changes.
    data = request_post(["network"], upload=False)
    data["network-service_type"] = "mobile_coverage"
    data["network-bandwidth_mbps"] = ""
    assert web.post(_url(draft), data).status_code == 302


def test_a_file_uploaded_with_an_error_elsewhere_is_kept_and_not_asked_again(web, draft):
    data = request_post(["cable_tv"])
    data["cable_tv-service_type"] = ""
    response = web.post(_url(draft), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Already uploaded:" in html and "business_licence.pdf" in html
    assert 'name="remove-business_licence"' in html
    rows = {row.doc_type: row for row in response.context["rows"]}
    assert not rows["business_licence"].errors

    fixed = request_post(["cable_tv"], upload=False)  # no file sent again
    response = web.post(_url(draft), fixed)
    assert response.status_code == 302 and response.url.endswith("/review/")


def test_an_uploaded_file_can_be_removed(web, draft):
    web.post(_url(draft), request_post(["cable_tv"], action="save"))
    draft.refresh_from_db()
    assert "authorisation" in draft.documents
    data = request_post(["cable_tv"], upload=False, action="save")
    data["remove-authorisation"] = "1"
    web.post(_url(draft), data)
    draft.refresh_from_db()
    assert "authorisation" not in draft.documents and "business_licence" in draft.documents


def test_a_correction_keeps_a_file_sent_with_an_error_elsewhere(web, submit, operator_staff):
    from applications.services import service_application_transition

    combined = submit(["cable_tv"])
    sa = combined.services.get()
    service_application_transition(
        actor=operator_staff(sa.operator.code),
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "执照不清晰"},
    )
    url = f"/en/requests/{combined.uuid}/{sa.uuid}/correct/"
    data = {"cable_tv-service_type": "", "cable_tv-terminals": "20"}
    data["file-business_licence"] = pdf("clear_licence.pdf", "clear")
    response = web.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_cable_tv-service_type"' in html
    kept = re.search(r'name="kept-business_licence" value="([0-9a-f-]+)"', html).group(1)
    assert "clear_licence.pdf" in html

    data = {"cable_tv-service_type": "tv", "cable_tv-terminals": "20"}
    data["kept-business_licence"] = kept
    assert web.post(url, data).status_code == 302
    sa.refresh_from_db()
    link = sa.document_links.get(doc_type="business_licence")
    assert str(link.document.uuid) == kept


@pytest.mark.parametrize(("prefix", "please"), [("", "请选择"), ("/en", "Please choose")])
def test_the_project_form_town_starts_on_please_choose(web, prefix, please):
    html = web.get(f"{prefix}/projects/new/").content.decode()
    assert f'<option value="" selected>{please}</option>' in html


def test_the_project_form_answers_200_with_a_linked_summary(web):
    response = web.post("/en/projects/new/", {"name": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_town"' in html
    assert 'href="#id_kind_0"' in html


# --- The commitment (承诺制) -------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_commitment_text_due_point_and_consequences_show_before_ticking(web, draft, prefix):
    html = web.get(_url(draft, prefix)).content.decode()
    wording = commitment_text_current()
    english = prefix == "/en"
    text = (wording.text_en if english else wording.text_zh).split("{document}")[0]
    due = wording.due_point_en if english else wording.due_point_zh
    consequences = wording.consequences_en if english else wording.consequences_zh
    assert html.count(text) == 3  # property right, planning and construction permits
    assert escape(due) in html and escape(consequences) in html
    box = re.search(r'<input type="checkbox" id="commit-property_right"[^>]*>', html).group(0)
    assert 'aria-describedby="commitment-property_right"' in box and "checked" not in box
    assert html.index('id="commitment-property_right"') < html.index('id="commit-property_right"')


def test_the_review_repeats_the_commitment_and_the_request_records_its_version(
    web, draft, applicant
):
    assert web.post(_url(draft), request_post(["water"], commit=True)).status_code == 302
    review = web.get(f"{_url(draft)}review/")
    html = review.content.decode()
    wording = commitment_text_current()
    assert escape(wording.consequences_en) in html and escape(wording.due_point_en) in html
    assert f'name="commitment_wording" value="{wording.pk}"' in html

    draft.refresh_from_db()
    response = web.post(
        f"{_url(draft)}review/",
        {"client_token": str(draft.client_token), "commitment_wording": str(wording.pk)},
    )
    assert response.status_code == 302
    combined = CombinedApplication.objects.get()
    signed = list(Commitment.objects.filter(combined=combined))
    assert {c.wording_id for c in signed} == {wording.pk} and len(signed) == 3
    assert all(wording.text_en.split("{document}")[0] in c.statement for c in signed)

    confirmation = web.get(response.url).content.decode()
    assert "Commitments signed" in confirmation
    assert escape(wording.consequences_en) in confirmation
    assert f"wording version {wording.version}" in confirmation


def test_a_commitment_is_not_signed_in_words_the_applicant_did_not_see(web, draft):
    web.post(_url(draft), request_post(["water"], commit=True))
    draft.refresh_from_db()
    shown = commitment_text_current()
    newer = commitment_text_publish(
        code=shown.code,
        text_zh="新版承诺：开工前提供{document}。",
        text_en="New wording: we provide the {document} before works start.",
        due_point_zh="开工前",
        due_point_en="Before works start",
        consequences_zh="暂停施工。",
        consequences_en="Works are held.",
        effective_from=timezone.now() - dt.timedelta(seconds=1),
    )
    for posted in ({}, {"commitment_wording": str(shown.pk)}):
        response = web.post(
            f"{_url(draft)}review/", {"client_token": str(draft.client_token), **posted}
        )
        assert response.status_code == 200
        assert "The commitment wording has changed" in response.content.decode()
    assert CombinedApplication.objects.count() == 0
    html = web.get(f"{_url(draft)}review/").content.decode()
    assert "New wording: we provide the" in html and "Works are held." in html
    assert f'name="commitment_wording" value="{newer.pk}"' in html
    response = web.post(
        f"{_url(draft)}review/",
        {"client_token": str(draft.client_token), "commitment_wording": str(newer.pk)},
    )
    assert response.status_code == 302
    assert {c.wording.version for c in Commitment.objects.all()} == {newer.version}


def test_the_staff_case_page_shows_the_signed_wording_version(submit):
    from django.test import Client

    combined = submit(["water"], commit_where_allowed=True)
    sa = combined.services.get()
    staff = staff_of(sa.operator.code, username="water-staff")
    client = Client()
    client.force_login(staff)
    html = client.get(reverse("staff:case", args=[combined.uuid])).content.decode()
    version = commitment_text_current().version
    assert f'data-wording-version="{version}"' in html
    assert f"承诺书第 {version} 版" in html


def test_details_of_every_utility_still_pass(web, draft):
    """The factories' details, the ones every other test files, are a complete answer."""
    assert web.post(_url(draft), request_post(list(DETAILS))).status_code == 302
