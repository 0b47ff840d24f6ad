"""Accessibility, measured: axe-core (vendored from npm under tests/browser/vendor/axe-core, no
download at test time) audits every page of the applicant's walk, the staff walk and the public
pages, in Chinese and in English, on a desktop and on a phone, against the WCAG 2.0/2.1 A and AA
rules. One violation anywhere fails the suite with the rule, the page and the offending nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.signin import sign_in
from tests.csp_pages import busy_portal
from tests.factories import staff_of

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world(reference):
    return {**busy_portal(), "lead": staff_of("ndrc", username="axe-lead")}


def _violations(page: Page) -> list[dict]:
    """Run axe in the page (evaluated through the DevTools protocol, so the page's CSP does
    not apply to the auditor) and return its A/AA violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_AA,
    )
    return result["violations"]


def _describe(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{path}: {violation['id']} ({violation['impact']}) {json.dumps(targets)}")
    return lines


def _walk(world) -> list[tuple[str | None, list[str]]]:
    """(who signs in, the paths they open), the pages of the applicant, staff and public walks."""
    combined, services, draft = world["combined"], world["services"], world["draft"]
    return [
        (
            None,
            [
                "/",
                "/transparency/",
                "/accounts/login/",
                "/accounts/signup/",
                "/demands/new/",
                "/verify/",
                "/guides/",
                "/guides/electricity/",
            ],
        ),
        (
            "applicant",
            [
                "/requests/",
                f"/requests/{combined.uuid}/",
                f"/requests/{combined.uuid}/{services['water'].uuid}/correct/",
                f"/requests/drafts/{draft.uuid}/",
                "/projects/",
                "/projects/new/",
                "/documents/",
                "/inbox/",
                "/demands/",
            ],
        ),
        ("gas", ["/staff/queue/", f"/staff/cases/{combined.uuid}/"]),
        (
            "lead",
            [
                "/staff/",
                "/staff/demands/",
                "/staff/demands/analysis/",
                "/staff/follow-ups/",
                "/staff/meetings/",
                "/staff/meetings/new/",
                "/staff/action-items/",
                "/staff/joint-works/",
            ],
        ),
        ("permit_agency", ["/staff/queue/?tab=permits"]),
        ("operator", [f"/staff/cases/{combined.uuid}/", "/staff/escalations/", "/inbox/"]),
        (
            "office",
            [
                "/staff/kpi/",
                "/staff/scorecards/",
                "/staff/calendar/",
                "/staff/follow-ups/",
                "/staff/referrals/",
            ],
        ),
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_of_the_walks_passes_wcag_21_a_and_aa_in_both_languages(
    page: Page, live_server, world, viewport
):
    page.set_viewport_size(viewport)
    base = live_server.url
    found: list[str] = []
    audited = 0
    for who, paths in _walk(world):
        if who is None:
            page.context.clear_cookies()
        else:
            sign_in(page, base, world[who])
        for path in paths:
            for prefix in ("", "/en"):
                response = page.goto(f"{base}{prefix}{path}")
                assert response is not None and response.ok, f"{prefix}{path}"
                page.wait_for_load_state("load")
                found += _describe(f"{prefix}{path}", _violations(page))
                audited += 1
    assert audited == 2 * sum(len(paths) for _, paths in _walk(world))
    assert found == [], "\n".join(found)


def test_the_auditor_reports_a_real_violation(page: Page, live_server, reference):
    """The check at work: the home page with its language attribute and an image's text
    alternative removed is reported, so a clean result above means something."""
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => { document.documentElement.removeAttribute('lang');"
        " const img = document.createElement('img'); img.src = '/static/none.png';"
        " document.body.appendChild(img); }"
    )
    rules = {violation["id"] for violation in _violations(page)}
    assert {"html-has-lang", "image-alt"} <= rules
