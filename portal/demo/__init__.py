"""Demo data for `manage.py seed_demo`, built only through the real services.

Idempotent: organisations and people are upserted by their natural keys, and each demo case
is keyed by a fixed project code and skipped when that project exists; a case is built in one
transaction, so an interrupted run leaves no half case behind.
"""

from dataclasses import dataclass

from django.utils import timezone

from applications.models import JointWorksPlan, Project
from applications.services import commitment_text_seed
from coordination.models import Demand, FollowUp, ItemEscalation, Meeting
from indicators.selectors.kpi import indicators_available
from indicators.services.rollup import kpi_rollup_refresh
from workgroups.calendar import year_covered
from workgroups.models import CalendarSource, User
from workgroups.reference import load_reference_data
from workgroups.services import calendar_year_enter

from .cases import CaseResult, build_cases, build_shared_project
from .demands import DemoDemand, build_demands
from .follow_ups import build_follow_up
from .joint_works import build_joint_works
from .knowledge import build_knowledge
from .meetings import build_meetings
from .notices import build_notices
from .people import (
    COMPANIES,
    DEFAULT_DEMO_PASSWORD,
    DEMO_USERS,
    demo_password,
    ensure_companies,
    ensure_users,
    verify_companies,
)
from .referrals import build_referral

__all__ = [
    "COMPANIES",
    "DEFAULT_DEMO_PASSWORD",
    "DEMO_USERS",
    "DemoResult",
    "build_demo",
    "demo_password",
]


@dataclass(frozen=True)
class DemoResult:
    password: str
    users: dict[str, User]
    cases: list[CaseResult]
    shared_project: Project
    demands: list[tuple[DemoDemand, Demand, bool]]
    follow_up: FollowUp | None = None
    referral: ItemEscalation | None = None
    meetings: list[Meeting] | None = None
    # The knowledge base's articles and the training session (coordination/models/knowledge.py).
    knowledge: tuple | None = None
    joint_works: JointWorksPlan | None = None


def ensure_demo_calendar() -> None:
    """The demo needs deadlines next year before its official arrangement is out: it holds
    next year as Monday-Friday, marked provisional on the staff site's calendar page (a real
    installation enters the State Council's notice instead)."""
    next_year = timezone.localdate().year + 1
    if not year_covered(next_year):
        calendar_year_enter(
            actor=None, year=next_year, exceptions=[], source=CalendarSource.PROVISIONAL
        )


def build_demo(*, password: str) -> DemoResult:
    """Reference data, demo companies and users, then every demo case and demand not yet
    present, the follow-up of a bad rating, a case referred up and the electricity workgroup's
    meetings."""
    load_reference_data()
    commitment_text_seed()  # the migration's wording, back if a database was emptied
    ensure_demo_calendar()
    companies = ensure_companies()
    users = ensure_users(password)
    verify_companies(companies, users["registry-amr"])
    cases = build_cases(users)
    shared = build_shared_project(users)
    demands = build_demands(users)
    follow_up = build_follow_up(users)
    referral = build_referral(users)
    meetings = build_meetings(users)
    build_notices(users)
    knowledge = build_knowledge(users)
    joint_works = build_joint_works(users)
    # The indicators pages read a rollup beat rebuilds every few minutes: have it now
    # (PostgreSQL only: on the embedded SQLite database the pages say they need it).
    if indicators_available():
        kpi_rollup_refresh()
    return DemoResult(
        password,
        users,
        cases,
        shared,
        demands,
        follow_up,
        referral,
        meetings,
        knowledge,
        joint_works,
    )
