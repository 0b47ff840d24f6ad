"""In a real browser, both languages: a verified company's request form shows the business
licence as shared data (nothing to upload), and the document's service guide link opens the
guide at that document's section. Screenshots under test-artifacts/screenshots."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from applications.services.drafts import draft_create
from tests.factories import ProjectFactory, company, member_of, verify

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {"": "来自共享数据，无需提交", "/en": "From shared data, nothing to submit"}


def _sign_in(page: Page, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_verified_company_sees_the_licence_as_shared_data_and_the_guide_section(
    page: Page, live_server, shot, reference, prefix
):
    org = verify(company("verified-co", "中山市已核验智造有限公司"))
    user = member_of(org, username=f"verified{prefix.strip('/')}")
    project = ProjectFactory(owner=org, created_by=user)
    draft = draft_create(actor=user, owner=org, project=project)
    _sign_in(page, live_server.url, user)
    lang = "en" if prefix else "zh"

    page.goto(f"{live_server.url}{prefix}/requests/drafts/{draft.uuid}/")
    page.check("input[name=utilities][value=electricity]")
    licence = page.locator("#doc-business_licence")
    expect(licence).to_be_visible()
    expect(licence.locator(".shared-data")).to_contain_text(TEXT[prefix])
    expect(page.locator("#file-business_licence")).to_have_count(0)
    # Documents nobody fetches are still asked for.
    expect(page.locator("#file-authorisation")).to_have_count(1)
    expect(page.locator("#doc-authorisation [data-template-download]")).to_be_visible()
    licence.scroll_into_view_if_needed()
    shot(f"{lang}-guides-01-form-licence-shared")

    licence.locator("a.guide-link").click()
    expect(page).to_have_url(
        re.compile(rf"{re.escape(prefix)}/guides/electricity/#doc-business_licence$")
    )
    section = page.locator("#doc-business_licence")
    expect(section).to_be_in_viewport()
    expect(section).to_have_attribute("data-shared-from", "company_registry")
    expect(page.locator("[data-hotline]")).to_have_text("12345")
    shot(f"{lang}-guides-02-guide-section")

    # The utility's own link opens the guide's overview.
    page.goto(f"{live_server.url}{prefix}/requests/drafts/{draft.uuid}/")
    page.check("input[name=utilities][value=electricity]")
    page.locator("section[data-utility=electricity] a.guide-link").click()
    expect(page).to_have_url(re.compile(r"/guides/electricity/#overview$"))
    # Another business type chosen: its own guide.
    page.goto(f"{live_server.url}{prefix}/requests/drafts/{draft.uuid}/")
    page.check("input[name=utilities][value=electricity]")
    page.check("input[name=business_type][value=relocation]")
    page.locator("section[data-utility=electricity] a.guide-link").click()
    expect(page).to_have_url(re.compile(r"/guides/electricity/relocation/#overview$"))
    expect(page.locator("#overview")).to_be_in_viewport()
