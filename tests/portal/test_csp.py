"""Content-Security-Policy: every HTML page of the portal, for every kind of visitor, carries the
policy, and nothing in its HTML is of a kind the policy blocks (inline script or style, on*=
handler, style attribute); browsers' violation reports are counted and logged, and odd reports
are refused, never a 500."""

from __future__ import annotations

import json
import logging
from collections import Counter as Tally
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import path, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from prometheus_client import REGISTRY

from applications.models import PermitRequest
from tests.csp_pages import EXPECTED_POLICY, busy_portal, inline_problems, policy_directives

pytestmark = pytest.mark.django_db

# Never followed: the sign-out and language forms' targets, files, the JSON API and probes.
SKIP_PREFIXES = (
    "/accounts/logout/",
    "/admin/logout/",
    "/i18n/",
    "/static/",
    "/api/v1/",
    "/api/schema/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/csp-report/",
    "/en/",  # the same pages in English: the Chinese ones are crawled
)
# Enough of each kind of page: a few query strings per path (?page=2, ?tab=permits), and per
# admin model its change list, add form and a few of its objects' pages.
VARIANTS_PER_PATH = 3
PAGES_PER_ADMIN_MODEL = 5


def _kind(path: str) -> tuple[str, int]:
    """The kind of page a path is, and how many of that kind the crawl visits."""
    if path.startswith("/admin/") and path.count("/") > 3:
        return "/".join(path.split("/")[:4]), PAGES_PER_ADMIN_MODEL
    return path, VARIANTS_PER_PATH


@pytest.fixture
def world(reference):
    return busy_portal()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def _links(url: str, html: str) -> list[str]:
    reader = _Links()
    reader.feed(html)
    found = []
    for href in reader.hrefs:
        parts = urlsplit(urljoin(url, href))
        if parts.scheme not in {"", "http"} or parts.netloc not in {"", "testserver"}:
            continue
        if parts.path.startswith(SKIP_PREFIXES):
            continue
        query = "" if parts.path.startswith("/admin/") else parts.query  # sort orders, filters
        found.append(parts.path + (f"?{query}" if query else ""))
    return found


def page_problems(response) -> list[str]:
    """What is wrong with one HTML answer: its policy header, or what its HTML needs that
    the policy refuses."""
    header = response.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy header"]
    problems = []
    directives = policy_directives(header)
    if directives != EXPECTED_POLICY:
        problems.append(f"policy differs: {header}")
    for directive in ("script-src", "style-src", "default-src"):
        unsafe = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"} & set(
            directives.get(directive, [])
        )
        if unsafe:
            problems.append(f"{directive} allows {sorted(unsafe)}")
    nonce = next(
        (
            s[len("'nonce-") : -1]
            for s in directives.get("script-src", [])
            if s.startswith("'nonce-")
        ),
        None,
    )
    return problems + inline_problems(response.content.decode(), nonce)


def crawl(client: Client, seeds: list[str], limit: int = 250) -> tuple[int, dict[str, list[str]]]:
    """Visit the seeds and every page of the site they link to (GET only): the number of HTML
    pages checked, and the problems found, by URL. A 5xx fails at once."""
    queue, seen, per_kind = deque(seeds), set(), Tally()
    pages, problems = 0, {}
    while queue and pages < limit:
        url = queue.popleft()
        kind, most = _kind(url.split("?")[0])
        if url in seen or (per_kind[kind] >= most and url not in seeds):
            continue
        seen.add(url)
        per_kind[kind] += 1
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(url, response["Location"]))
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        if found := page_problems(response):
            problems[url] = found
        queue.extend(_links(url, response.content.decode()))
    return pages, problems


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_public_pages_carry_the_policy_and_nothing_it_blocks(world):
    user = world["applicant"]
    reset = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    seeds = [
        "/",
        "/transparency/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/signup/person/",
        reverse("password_reset"),
        reverse("password_reset_done"),
        reset,
        reverse("password_reset_complete"),
        "/admin/login/",
        "/api/docs/",
        "/no-such-page/",  # 404
        "/requests/",  # sign-in first: redirected to the login page
    ]
    pages, problems = crawl(_client(), seeds)

    assert problems == {}
    assert pages >= 10


def test_the_applicants_pages_carry_the_policy_and_nothing_it_blocks(world):
    combined, water, draft = world["combined"], world["services"]["water"], world["draft"]
    seeds = [
        "/",
        "/requests/",
        f"/requests/{combined.uuid}/",  # the tracking page, with its clock bars (SVG)
        f"/requests/{combined.uuid}/{water.uuid}/correct/",
        "/requests/new/",
        f"/requests/drafts/{draft.uuid}/",
        f"/requests/drafts/{draft.uuid}/review/",
        "/projects/",
        "/projects/new/",
        f"/projects/{world['project'].uuid}/edit/",
        "/documents/",
        "/inbox/",
        "/accounts/colleagues/",
        "/staff/queue/",  # not staff: the page that says so (403)
        "/transparency/",
    ]
    pages, problems = crawl(_client(world["applicant"]), seeds)

    assert problems == {}
    assert pages >= 14


def test_the_staff_pages_carry_the_policy_and_nothing_it_blocks(world):
    combined = world["combined"]
    for role, seeds in {
        "operator": ["/staff/queue/", f"/staff/cases/{combined.uuid}/", "/staff/escalations/"],
        "permit_agency": ["/staff/queue/?tab=permits"],
        "office": ["/staff/kpi/", "/staff/scorecards/", "/staff/calendar/", "/staff/queue/"],
    }.items():
        pages, problems = crawl(_client(world[role]), seeds)

        assert problems == {}, role
        assert pages >= len(seeds), role
    assert PermitRequest.objects.filter(status="pending").exists()  # the permits tab had a row


def test_the_admin_pages_carry_the_policy_and_nothing_it_blocks(world):
    # The periodic task page (django-celery-beat) runs its script from a file too.
    task = PeriodicTask.objects.create(
        name="csp-check",
        task="applications.sla_sweep",
        crontab=CrontabSchedule.objects.create(minute="*/5"),
    )
    seeds = ["/admin/", f"/admin/django_celery_beat/periodictask/{task.pk}/change/"]
    pages, problems = crawl(_client(world["root"]), seeds, limit=400)

    assert problems == {}
    assert pages >= 60  # every change list and add form, and the objects they list


def test_the_api_docs_page_runs_no_inline_script_and_loads_its_start_up_script_as_a_file(world):
    client = _client()
    page = client.get("/api/docs/")
    assert page_problems(page) == []
    html = page.content.decode()
    assert 'src="/api/docs/?script="' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"/api/schema/"' in script.content.decode()


def test_the_csrf_failure_page_carries_the_policy_and_nothing_it_blocks(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert page_problems(response) == []
    assert "表单未提交" in response.content.decode()


def _fails(request):
    raise RuntimeError("a page that always fails")


# This module is also the URL map of the test below: a failing page of its own, so the request
# counters other tests read (tests.portal.urls's test-boom) stay as they expect.
urlpatterns = [path("csp-fails/", _fails, name="csp-fails")]
handler500 = "core.api.error_views.server_error"


def test_the_server_error_page_carries_the_policy(settings, world):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/csp-fails/")

    assert response.status_code == 500
    assert page_problems(response) == []


def test_the_admin_marks_overdue_cases_with_a_class_not_a_style(world):
    response = _client(world["root"]).get("/admin/applications/serviceapplication/")
    html = response.content.decode()

    assert 'class="overdue"' in html  # gas waits for acceptance since 2 November
    assert page_problems(response) == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>", "inline <script>"),
        ('<button onclick="go()">x</button>', "event handler"),
        ('<div style="color:red">x</div>', "style attribute"),
        ("<style>p{color:red}</style>", "inline <style>"),
        ('<a href="javascript:go()">x</a>', "javascript: URL"),
        ('<script nonce="other">alert(1)</script>', "inline <script>"),
    ],
)
def test_the_page_reader_finds_what_the_policy_blocks(html, expected):
    problems = inline_problems(f"<p>ok</p>{html}", nonce="n0nce")

    assert len(problems) == 1 and expected in problems[0]


def test_the_page_reader_lets_files_data_blocks_and_the_pages_nonce_pass():
    html = (
        '<script src="/static/portal/site.js" defer></script>'
        '<script id="d" type="application/json">{"a": 1}</script>'
        '<script nonce="n0nce">start()</script>'
        '<svg viewBox="0 0 100 8"><rect class="party-operator" width="60" height="8"/></svg>'
    )

    assert inline_problems(html, nonce="n0nce") == []


# --- the report endpoint ------------------------------------------------------------------------

URI_REPORT = {
    "csp-report": {
        "document-uri": "https://portal.example.gov.cn/staff/queue/?q=secret-search",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 102,
        "source-file": "https://portal.example.gov.cn/staff/queue/",
        "status-code": 200,
        "script-sample": "",
    }
}


REPORTS = "application/reports+json"  # the Reporting API's content type


def _reporting_api(directive: str, n: int = 1) -> list[dict]:
    return [
        {
            "type": "csp-violation",
            "age": 3,
            "url": "https://portal.example.gov.cn/requests/",
            "user_agent": "Chrome",
            "body": {
                "documentURL": "https://portal.example.gov.cn/requests/",
                "blockedURL": "https://cdn.example.com/x.js",
                "effectiveDirective": directive,
                "disposition": "enforce",
                "lineNumber": 1,
            },
        }
    ] * n


def _count(directive: str) -> float:
    return REGISTRY.get_sample_value("portal_csp_reports_total", {"directive": directive}) or 0.0


def _post(body, content_type: str, client: Client | None = None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return (client or Client(enforce_csrf_checks=True)).post(
        "/csp-report/", data, content_type=content_type
    )


def test_a_report_uri_report_is_counted_and_logged_without_the_query(db, caplog):
    before = _count("script-src-elem")
    with caplog.at_level(logging.WARNING, logger="portal.csp"):
        response = _post(URI_REPORT, "application/csp-report")

    assert response.status_code == 204  # and no CSRF token was needed
    assert _count("script-src-elem") == before + 1
    (line,) = [r for r in caplog.records if r.name == "portal.csp"]
    assert line.csp_directive == "script-src-elem"
    assert line.csp_blocked == "inline"
    assert line.csp_document == "https://portal.example.gov.cn/staff/queue/"
    assert "secret-search" not in line.getMessage()


def test_reporting_api_reports_are_counted_each_and_shown_in_metrics(settings, db):
    settings.METRICS_TOKEN = "csp-metrics-token"
    settings.METRICS_ALLOWED_NETWORKS = []
    before = _count("script-src-elem")

    response = _post(_reporting_api("script-src-elem", 3), REPORTS)

    assert response.status_code == 204
    metrics = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer csp-metrics-token")
    line = f'portal_csp_reports_total{{directive="script-src-elem"}} {before + 3}'
    assert line in metrics.content.decode()


def test_a_directive_outside_the_policy_is_counted_as_other(db):
    made_up = "made-up-" + "x" * 50
    before = _count("other")

    assert _post(_reporting_api(made_up), REPORTS).status_code == 204
    assert _count("other") == before + 1
    assert _count(made_up) == 0


def test_one_request_counts_at_most_twenty_reports(db):
    before = _count("style-src-attr")

    assert _post(_reporting_api("style-src-attr", 30), REPORTS).status_code == 204
    assert _count("style-src-attr") == before + 20


def test_an_oversized_report_is_refused_with_413(settings, db):
    settings.CSP_REPORT_MAX_BYTES = 1024
    report = {"csp-report": {**URI_REPORT["csp-report"], "script-sample": "x" * 2000}}
    before = _count("script-src-elem")

    assert _post(report, "application/csp-report").status_code == 413
    assert _count("script-src-elem") == before


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "application/csp-report", 400),
        ("[" * 5000 + "]" * 5000, "application/csp-report", 400),  # nesting beyond the parser
        ('{"csp-report": "x"}', "application/csp-report", 400),
        ('[{"type": "deprecation", "body": {}}]', "application/reports+json", 400),
        ("\x00" * 10, "application/json", 400),
        (json.dumps(URI_REPORT), "text/plain", 415),
        (json.dumps(URI_REPORT), "application/x-www-form-urlencoded", 415),
    ],
)
def test_what_is_not_a_report_is_refused_never_a_500(db, body, content_type, status):
    assert _post(body, content_type).status_code == status


def test_reports_are_posted_never_read(db):
    assert Client().get("/csp-report/").status_code == 405


def test_the_policy_sends_reports_to_the_endpoint(db):
    header = Client().get("/")["Content-Security-Policy"]
    (target,) = policy_directives(header)["report-uri"]

    assert _post(URI_REPORT, "application/csp-report").status_code == 204
    assert target == reverse("csp_report")
