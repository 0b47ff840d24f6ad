"""Content-Security-Policy checks shared by the page crawl (tests/portal/test_csp.py) and the
browser walk (tests/browser/test_csp_walk.py): the policy every page must carry, a reader of what
in a page's HTML the policy would block, and a portal with something on every page."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import time_machine

from applications.services import (
    combined_application_submit,
    draft_create,
    service_application_transition,
    sla_sweep,
)
from tests.factories import ProjectFactory, UserFactory, company, member_of, staff_of, submission

# The policy of settings.CONTENT_SECURITY_POLICY, directive by directive.
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "report-uri": ["/csp-report/"],
}

# <script type=...> blocks a browser never runs (data for a script, e.g. json_script).
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


def policy_directives(header: str) -> dict[str, list[str]]:
    """'a x y; b z' -> {'a': ['x', 'y'], 'b': ['z']}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class _Inline(HTMLParser):
    """Collects what the policy refuses: inline scripts and style blocks without the page's
    nonce, on*= handlers, style attributes and javascript: URLs."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self._open: tuple[str, bool] | None = None  # (tag, allowed) of a script/style being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"line {line}: <{tag} {name}=...> event handler attribute")
            elif name == "style":
                self.problems.append(f"line {line}: <{tag} style={value!r}> style attribute")
            elif name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: <{tag} {name}={value!r}> javascript: URL")
        if tag in {"script", "style"}:
            nonced = self.nonce is not None and values.get("nonce") == self.nonce
            allowed = nonced or (
                tag == "script"
                and (
                    bool(values.get("src"))
                    or (values.get("type") or "").lower() in _DATA_SCRIPT_TYPES
                )
            )
            self._open = (tag, allowed)

    def handle_data(self, data: str) -> None:
        if self._open and not self._open[1] and data.strip():
            tag = self._open[0]
            self.problems.append(f"line {self.getpos()[0]}: inline <{tag}>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            self._open = None


def inline_problems(html: str, nonce: str | None = None) -> list[str]:
    """What in `html` a browser enforcing the policy would refuse to run or apply."""
    reader = _Inline(nonce)
    reader.feed(html)
    reader.close()
    return reader.problems


# --- a portal with something on every page ------------------------------------------------------

_CST = ZoneInfo("Asia/Shanghai")
PLAN = {
    "survey_result": "现场具备接入条件",
    "plan": "由10kV翠亨线T接,新建箱变一台",
    "fee_quote_cny": "12800.00",
    "required_permits": ["planning"],
}


def _on(day: int, hour: int = 10) -> time_machine.travel:
    return time_machine.travel(dt.datetime(2026, 11, day, hour, tzinfo=_CST), tick=False)


def busy_portal() -> dict:
    """One applicant company's request of November, in every kind of stage: electricity waits
    for a planning permit (the permit agency's queue), water was returned for correction, gas
    is long overdue for acceptance (an open escalation); a draft, and a user of each role.
    Needs the tests' reference world."""
    org = company("csp-maker", "中山市安全策略智造有限公司")
    applicant = member_of(org, username="csp-applicant")
    project = ProjectFactory(owner=org, created_by=applicant, name="翠亨新区安全示范园")
    people = {
        "applicant": applicant,
        "operator": staff_of("csg-zhongshan", username="csp-power"),
        "water": staff_of("zs-water", username="csp-water"),
        "gas": staff_of("towngas-zs", username="csp-gas"),
        "permit_agency": staff_of("natural-resources", username="csp-permits"),
        "office": staff_of("leadership-office", username="csp-office"),
        "root": UserFactory(username="csp-root", is_staff=True, is_superuser=True),
    }
    with _on(2):
        combined = combined_application_submit(
            actor=applicant,
            applicant=org,
            project=project,
            data=submission(applicant, org, ["electricity", "water", "gas"]),
        )
    services = {sa.utility: sa for sa in combined.services.all()}

    def move(actor, sa, name, day, **data):
        with _on(day):
            return service_application_transition(
                actor=actor, service_application=sa, transition=name, data=data or None
            )

    power = services["electricity"]
    power = move(people["operator"], power, "accept", 3)
    power = move(people["operator"], power, "start_survey", 3, hour=15)
    power = move(people["operator"], power, "issue_plan", 4, **PLAN)
    power = move(applicant, power, "confirm_plan", 5)
    move(people["water"], services["water"], "return_for_correction", 3, reason="请补充总平面图")
    sla_sweep()
    draft = draft_create(actor=applicant, owner=org, project=project)
    return {
        **people,
        "organization": org,
        "project": project,
        "combined": combined,
        "services": services,
        "draft": draft,
    }
