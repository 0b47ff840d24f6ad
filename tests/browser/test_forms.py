"""Forms that do not decide for the user, and a commitment signed knowingly (issue 11, items 3
and 4), in a real browser and in both languages: skipped selects are errors (never a household
on 220 V), the error summary takes the focus and each link focuses its field, a rule between
fields is shown before submitting, an upload survives a form sent back with errors, and the
commitment's text, due point and consequences are read before ticking, on the review page and
in the confirmation. Screenshots go to test-artifacts/screenshots/forms-*."""

import re

import pytest
from playwright.sync_api import Page, expect

from applications.models import CombinedApplication, Commitment, Draft
from applications.selectors.commitments import commitment_text_current
from applications.services import draft_create
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # UserFactory's
LANGS = [("", "zh"), ("/en", "en")]
PROBLEM = {"zh": "存在以下问题", "en": "There is a problem"}
# The danger and brand reds of site.css: the error colours.
REDS = {"rgb(185, 28, 28)", "rgb(183, 28, 28)"}


@pytest.fixture
def signed_in(page: Page, live_server, applicant, applicant_org, project):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", applicant.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    return draft


def _pdf(tmp_path, name: str):
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(PDF_BYTES + name.encode())
    return str(path)


def _open(page: Page, base: str, draft: Draft) -> None:
    page.goto(f"{base}/requests/drafts/{draft.uuid}/")
    page.check("input[name=business_type][value=new_connection]")


@pytest.mark.parametrize(("prefix", "lang"), LANGS)
def test_skipped_selects_are_errors_and_the_summary_leads_to_each_field(
    page: Page, live_server, signed_in, shot, prefix, lang
):
    base = live_server.url + prefix
    _open(page, base, signed_in)
    page.check("input[name=utilities][value=electricity]")
    # Every select starts on "please choose", none on its first option.
    for name in ("category", "voltage_level", "supply_mode"):
        expect(page.locator(f"#id_electricity-{name}")).to_have_value("")
    page.fill("#id_electricity-capacity_kva", "100")
    shot(f"forms-{lang}-01-selects-empty")
    page.click("button[name=action][value=review]")

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()  # error_summary.js moved the focus to it
    expect(summary.locator("h2")).to_have_text(PROBLEM[lang])
    for name in ("category", "voltage_level", "supply_mode"):
        expect(summary.locator(f"a[href='#id_electricity-{name}']")).to_have_count(1)
        expect(page.locator(f"#id_electricity-{name}")).to_have_value("")
        expect(page.locator(f"#id_electricity-{name}")).to_have_attribute("aria-invalid", "true")
    assert CombinedApplication.objects.count() == 0
    details = Draft.objects.get(pk=signed_in.pk).data["details"]["electricity"]
    assert "voltage_level" not in details and "category" not in details
    shot(f"forms-{lang}-02-error-summary")

    summary.locator("a[href='#id_electricity-voltage_level']").click()
    expect(page.locator("#id_electricity-voltage_level")).to_be_focused()
    summary.locator("a[href='#id_electricity-category']").click()
    expect(page.locator("#id_electricity-category")).to_be_focused()

    # A chosen option is not tinted like an error; a valid field has no error border.
    chosen = page.locator("label.choice:has(input:checked)").first
    assert chosen.evaluate("el => getComputedStyle(el).borderColor") not in REDS
    assert chosen.evaluate("el => getComputedStyle(el).backgroundColor") != "rgb(254, 226, 226)"
    capacity = page.locator("#id_electricity-capacity_kva")
    assert capacity.evaluate("el => getComputedStyle(el).borderTopColor") not in REDS
    shot(f"forms-{lang}-03-field-focused")


@pytest.mark.parametrize(("prefix", "lang"), LANGS)
def test_a_rule_between_fields_is_shown_before_submitting_and_checked_after(
    page: Page, live_server, signed_in, shot, prefix, lang
):
    base = live_server.url + prefix
    _open(page, base, signed_in)
    page.check("input[name=utilities][value=network]")
    hint = page.locator("#id_network-bandwidth_mbps_helptext")
    expect(hint).to_be_visible()
    expect(hint).to_have_text(
        "网络业务类型为宽带或专线时必填。"
        if lang == "zh"
        else "Required when Network service is Broadband or Dedicated line."
    )
    expect(hint).not_to_have_class(re.compile("rule-applies"))
    page.select_option("#id_network-service_type", "broadband")
    expect(hint).to_have_class(re.compile("rule-applies"))
    expect(page.locator("#id_network-bandwidth_mbps")).to_have_attribute("aria-required", "true")
    shot(f"forms-{lang}-04-rule-hint")
    page.fill("#id_network-access_points", "2")
    page.check("#id_network-preferred_carriers_0")
    page.click("button[name=action][value=review]")
    link = page.locator(".error-summary a[href='#id_network-bandwidth_mbps']")
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("#id_network-bandwidth_mbps")).to_be_focused()
    page.select_option("#id_network-service_type", "mobile_coverage")
    expect(page.locator("#id_network-bandwidth_mbps_helptext")).not_to_have_class(
        re.compile("rule-applies")
    )


@pytest.mark.parametrize(("prefix", "lang"), LANGS)
def test_an_uploaded_file_survives_a_form_sent_back_with_errors(
    page: Page, live_server, signed_in, shot, tmp_path, prefix, lang
):
    base = live_server.url + prefix
    _open(page, base, signed_in)
    page.check("input[name=utilities][value=cable_tv]")
    page.fill("#id_cable_tv-terminals", "12")  # the service type is skipped
    for doc_type in ("business_licence", "authorisation", "property_right"):
        page.set_input_files(f"#file-{doc_type}", _pdf(tmp_path, f"{lang}-{doc_type}"))
    page.click("button[name=action][value=review]")
    expect(page.locator(".error-summary a[href='#id_cable_tv-service_type']")).to_have_count(1)
    for doc_type in ("business_licence", "authorisation", "property_right"):
        current = page.locator(f"#current-{doc_type}")
        expect(current).to_contain_text(f"{lang}-{doc_type}.pdf")
        expect(current).to_contain_text("已上传" if lang == "zh" else "Already uploaded")
        expect(page.locator(f"#remove-{doc_type}")).not_to_be_checked()
        expect(page.locator(f"#doc-{doc_type} .field-error")).to_have_count(0)
    shot(f"forms-{lang}-05-upload-kept")

    page.select_option("#id_cable_tv-service_type", "tv")
    page.click("button[name=action][value=review]")  # nothing uploaded again
    expect(page).to_have_url(re.compile(r"/review/$"))
    for doc_type in ("business_licence", "authorisation", "property_right"):
        expect(page.locator(".doc-summary")).to_contain_text(f"{lang}-{doc_type}.pdf")


@pytest.mark.parametrize(("prefix", "lang"), LANGS)
def test_the_commitment_is_read_before_ticking_on_review_and_in_the_confirmation(
    page: Page, live_server, signed_in, shot, tmp_path, prefix, lang
):
    base = live_server.url + prefix
    wording = commitment_text_current()
    due = wording.due_point_zh if lang == "zh" else wording.due_point_en
    consequences = wording.consequences_zh if lang == "zh" else wording.consequences_en
    promise = (wording.text_zh if lang == "zh" else wording.text_en).split("{document}")[0]
    _open(page, base, signed_in)
    page.check("input[name=utilities][value=water]")
    page.select_option("#id_water-purpose", "non_residential")
    page.select_option("#id_water-pipe_diameter_mm", "100")
    page.fill("#id_water-daily_max_m3", "80")
    committed = ("property_right", "planning_permit", "construction_permit")
    for doc_type in committed:
        text = page.locator(f"#commitment-{doc_type}")
        expect(text).to_be_visible()  # before the box is ticked
        expect(page.locator(f"#commit-{doc_type}")).not_to_be_checked()
        expect(text).to_contain_text(promise)
        expect(text).to_contain_text(due)
        expect(text).to_contain_text(consequences)
        expect(page.locator(f"#commit-{doc_type}")).to_have_attribute(
            "aria-describedby", f"commitment-{doc_type}"
        )
    page.locator("#commitment-property_right").scroll_into_view_if_needed()
    shot(f"forms-{lang}-06-commitment-before-ticking")
    for doc_type in committed:
        page.check(f"#commit-{doc_type}")
    for doc_type in ("business_licence", "authorisation", "site_plan"):
        page.set_input_files(f"#file-{doc_type}", _pdf(tmp_path, doc_type))
    page.click("button[name=action][value=review]")
    expect(page).to_have_url(re.compile(r"/review/$"))

    review = page.locator(".commitments-review")
    expect(review).to_contain_text(promise)
    expect(review).to_contain_text(due)
    expect(review).to_contain_text(consequences)
    shot(f"forms-{lang}-07-commitment-review")
    page.click("form.form-actions button.primary")
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))

    signed = page.locator(".commitments-signed")
    expect(signed.locator(".commitment")).to_have_count(3)
    expect(signed).to_contain_text(promise)
    expect(signed).to_contain_text(consequences)
    expect(signed).to_contain_text(
        f"第 {wording.version} 版" if lang == "zh" else f"wording version {wording.version}"
    )
    shot(f"forms-{lang}-08-commitment-confirmation")
    combined = CombinedApplication.objects.get()
    assert set(
        Commitment.objects.filter(combined=combined).values_list("wording__version", flat=True)
    ) == {wording.version}
