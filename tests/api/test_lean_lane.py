"""An API request with a token takes the lean lane (core/lean.py): no session, no CSRF
cookie, no messages, no page policy; still the request id, the metrics, the security headers,
the NUL guard and the problem JSON. Pages, and API calls signed in by cookie, keep everything."""

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.http import JsonResponse
from django.test import Client
from django.urls import path

from core.lean import API_POLICY, lane_middleware
from portal.observability.metrics import REQUESTS
from tests.factories import make_service, staff_of


def _stack_seen(request):
    """What the middleware in front of a view left on the request."""
    return JsonResponse(
        {
            "session": hasattr(request, "session"),
            "messages": hasattr(request, "_messages"),
            "user": type(request.user).__name__,
            "language": request.LANGUAGE_CODE,
        }
    )


urlpatterns = [
    path("api/probe/", _stack_seen),
    path("api/docs/probe/", _stack_seen),
    path("page/probe/", _stack_seen),
]


@pytest.fixture
def sessions_opened(monkeypatch):
    """Every session store opened from now on (loading, creating or saving needs one)."""
    opened = []
    original = SessionBase.__init__

    def spy(self, *args, **kwargs):
        opened.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SessionBase, "__init__", spy)
    return opened


@pytest.fixture
def item(reference, applicant_org, applicant, project):
    return make_service(applicant_org=applicant_org, applicant=applicant, project=project)


def _count(route: str, status: str) -> float:
    return REQUESTS.labels(route, "GET", status)._value.get()


def test_a_token_request_opens_no_session_and_sets_no_cookie(item, operator_api, sessions_opened):
    operator_api.cookies["sessionid"] = "a-stale-browser-session"
    sessions = Session.objects.count()
    listed = _count("api:work-item-list", "2xx")

    response = operator_api.get("/api/v1/work-items/", HTTP_X_REQUEST_ID="sync-7")

    assert response.status_code == 200
    assert [row["uuid"] for row in response.json()["results"]] == [str(item.uuid)]
    assert sessions_opened == []
    assert Session.objects.count() == sessions
    assert not response.cookies  # neither a session nor a CSRF cookie
    assert response["X-Request-ID"] == "sync-7"
    assert _count("api:work-item-list", "2xx") == listed + 1
    # The headers that matter for a JSON answer, without the page's policy.
    assert response["Content-Security-Policy"] == API_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in response["Vary"]


def test_a_token_request_still_gets_problem_json_in_its_language(item, operator_api):
    refused = operator_api.get("/api/v1/work-items/?page_size=0", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused["Content-Language"] == "en"
    assert refused.json()["errors"]["page_size"] == ["A whole number from 1 to 500."]

    nul = operator_api.get("/api/v1/work-items/?utility=water%00")
    assert nul.status_code == 400
    assert "utility" in nul.json()["errors"]

    unknown = operator_api.get("/api/v1/no-such-thing/")
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("not_found")


def test_a_wrong_token_is_401_without_a_session(bearer, reference, sessions_opened):
    response = bearer("zsp_not-a-token").get("/api/v1/work-items/")
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert sessions_opened == []
    assert not response.cookies


def test_an_api_call_signed_in_by_cookie_keeps_its_csrf_check(item, operator_api):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_of("csg-zhongshan", username="lane-operator"))

    assert browser.get("/api/v1/work-items/").status_code == 200  # the session signs it in
    forged = browser.post(
        "/api/v1/work-items/lease/", {"limit": 1}, content_type="application/json"
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]


@pytest.mark.urls(__name__)
def test_only_token_requests_under_api_skip_the_page_middleware(reference):
    token = {"HTTP_AUTHORIZATION": "Bearer zsp_anything"}
    client = Client()

    lean = client.get("/api/probe/", **token).json()
    assert lean == {
        "session": False,
        "messages": False,
        "user": "AnonymousUser",
        "language": "zh-hans",
    }

    for url, headers in (
        ("/api/probe/", {}),  # a browser's call to the API: its cookie may sign it in
        ("/page/probe/", token),  # a page, whatever header it is sent
        ("/api/docs/probe/", token),  # the API's own HTML page
    ):
        full = client.get(url, **headers)
        assert full.json()["session"] and full.json()["messages"], url
        assert "script-src 'self'" in full["Content-Security-Policy"], url


def test_pages_keep_csrf_sessions_policy_and_language(reference, applicant):
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert page["Content-Language"] == "zh-hans"
    assert client.get("/en/accounts/login/")["Content-Language"] == "en"

    client.force_login(applicant)
    assert client.get("/requests/").status_code == 200
    assert Session.objects.filter(session_key=client.cookies["sessionid"].value).exists()


def test_middleware_added_later_runs_for_the_api_unless_named_page_only(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.somewhere.AccessLogMiddleware"]
    lane = lane_middleware()
    assert lane[-1] == "tests.somewhere.AccessLogMiddleware"
    assert "django.middleware.security.SecurityMiddleware" in lane
    assert "core.input_guard.NullCharacterGuardMiddleware" in lane
    assert not set(lane) & set(settings.PAGE_ONLY_MIDDLEWARE)
