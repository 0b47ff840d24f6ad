"""Keyboard only (issue 11, item 9): an applicant files a complete two-utility request and the
operator moves it on without touching a mouse. Every control is reached with Tab (never
focused by script), ticked with Space, chosen with the arrow keys, files are picked through the
file chooser the Space key opens, and forms are sent with Enter."""

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from applications.constants import ServiceStatus
from applications.models import CombinedApplication
from applications.registry import documents_required
from tests.factories import DETAILS, PDF_BYTES, staff_of

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # UserFactory's
UTILITIES = ["water", "gas"]


def tab_to(page: Page, selector: str, limit: int = 500) -> None:
    """Press Tab until the focused element matches `selector`; fail if Tab never gets there."""
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Page, selector: str, value: str) -> None:
    """A select that starts on 'please choose': the arrow key moves to the wanted option."""
    tab_to(page, selector)
    index = page.evaluate(
        "([s, v]) => [...document.querySelector(s).options].findIndex(o => o.value === v)",
        [selector, value],
    )
    assert index > 0, f"{value} is not an option of {selector}"
    for _ in range(
        index - page.evaluate("(s) => document.querySelector(s).selectedIndex", selector)
    ):
        page.keyboard.press("ArrowDown")
    expect(page.locator(selector)).to_have_value(value)


def pick_file(page: Page, path: str) -> None:
    """Open the focused file input's chooser from the keyboard (Space, or Enter: both open it;
    a loaded browser now and then lets one key press pass without opening it) and pick `path`."""
    for key in ("Space", "Enter", "Space"):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press(key)
        except PlaywrightTimeoutError:
            continue
        chooser.value.set_files(path)
        return
    raise AssertionError("the file chooser does not open from the keyboard")


def sign_in_by_keyboard(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    type_into(page, "#id_username", username)
    type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_file_a_two_utility_request_and_move_it_on_with_the_keyboard_only(
    page: Page, live_server, tmp_path, applicant, project, shot
):
    base = live_server.url
    sign_in_by_keyboard(page, base, applicant.username)

    # Start a request for the project: the start page's button, with Enter.
    page.goto(f"{base}/requests/new/")
    tab_to(page, "form.card button.primary")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/requests/drafts/[0-9a-f-]+/$"))

    # The business type (a radio group: Space ticks the focused option).
    tab_to(page, "input[name=business_type]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=business_type]:checked")).to_have_count(1)
    for utility in UTILITIES:
        tab_to(page, f"input[name=utilities][value={utility}]")
        page.keyboard.press("Space")
        expect(page.locator(f"input[name=utilities][value={utility}]")).to_be_checked()

    water, gas = DETAILS["water"], DETAILS["gas"]
    choose(page, "#id_water-purpose", water["purpose"])
    choose(page, "#id_water-pipe_diameter_mm", water["pipe_diameter_mm"])
    type_into(page, "#id_water-daily_max_m3", water["daily_max_m3"])
    choose(page, "#id_gas-use_type", gas["use_type"])
    type_into(page, "#id_gas-appliances", "中餐灶4台")
    type_into(page, "#id_gas-appliance_count", gas["appliance_count"])
    type_into(page, "#id_gas-peak_m3_per_hour", gas["peak_m3_per_hour"])

    # Each document once, chosen through the file chooser Space opens on the file input.
    for doc_type in documents_required(UTILITIES):
        path = tmp_path / f"{doc_type}.pdf"
        path.write_bytes(PDF_BYTES + doc_type.encode())
        tab_to(page, f"#file-{doc_type}")
        pick_file(page, str(path))
    shot("keyboard-01-request-form")

    tab_to(page, "button[name=action][value=review]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/review/$"))
    shot("keyboard-02-review")
    tab_to(page, "form.form-actions button.primary")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    combined = CombinedApplication.objects.get()
    services = {sa.utility: sa for sa in combined.services.all()}
    assert set(services) == set(UTILITIES)
    assert all(sa.status == ServiceStatus.SUBMITTED for sa in services.values())
    shot("keyboard-03-submitted")

    # The water operator accepts it from the staff case page, still without a mouse.
    operator = staff_of("zs-water", username="keyboard-water")
    sign_in_by_keyboard(page, base, operator.username)
    page.goto(f"{base}/staff/cases/{combined.uuid}/")
    sa = services["water"]
    tab_to(page, f'#u-{sa.uuid} form[data-action="accept"] button[type=submit]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".message-success")).to_be_visible()
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.ACCEPTED
    shot("keyboard-04-operator-accepted")
