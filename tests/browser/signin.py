"""Signing in through the real login form, shared by the browser tests."""

import re

from playwright.sync_api import Page, expect

PASSWORD = "pass-1234"  # UserFactory's


def sign_in(page: Page, base: str, user, prefix: str = "") -> None:
    """Forget the previous user, sign `user` in on `{base}{prefix}/accounts/login/` and wait
    until the portal has moved on from the login page."""
    page.context.clear_cookies()
    page.goto(f"{base}{prefix}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
