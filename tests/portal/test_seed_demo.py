"""`manage.py seed_demo`: idempotent, every role can sign in, every demo state exists."""

import importlib
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.urls import reverse

from applications.constants import PermitStatus, ServiceStatus
from applications.models import CombinedApplication, PermitRequest, ServiceApplication
from applications.workflow import LEAD_REVIEW as LEAD_REVIEW_PERM
from coordination.models import Article, TrainingAttendance
from coordination.selectors.knowledge import article_search, knowledge_scope
from portal.demo import COMPANIES, DEFAULT_DEMO_PASSWORD, DEMO_USERS
from workgroups.models import Organization, User
from workgroups.validators import org_code_check_character, validate_uscc

S = ServiceStatus
BASE_DIR = Path(__file__).resolve().parents[2]


def uscc_is_valid(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    models = [
        *apps.get_app_config("applications").get_models(),
        *apps.get_app_config("workgroups").get_models(),
        Group,
    ]
    return {model._meta.label: model._default_manager.count() for model in models}


def _statuses(project_code: str) -> dict[str, str]:
    combined = CombinedApplication.objects.get(project__code=project_code)
    return {sa.utility: sa.status for sa in combined.services.all()}


@pytest.fixture(scope="module")
def _demo_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """`seed_demo` once for the module's tests, in a transaction rolled back after the last:
    each test's own transaction nests in it as a savepoint, so what a test changes is undone
    and the next one reads the demo as seeded. Its files go to one folder for the module."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        output = _seed()
    yield output, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def seeded(_demo_world, db, settings):
    output, settings.MEDIA_ROOT = _demo_world
    return output


def test_seed_demo_refuses_when_the_settings_forbid_demo_data(db, settings, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "ci-only-" + "0" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "portal.example.gov.cn")
    production = importlib.import_module("portal.settings.production")

    settings.DEMO_DATA_ALLOWED = production.DEMO_DATA_ALLOWED
    before = _row_counts()
    with pytest.raises(CommandError, match="Nothing was created"):
        _seed()
    assert _row_counts() == before
    assert not User.objects.filter(username="admin").exists()


def test_seed_demo_under_the_production_settings_exits_non_zero_without_touching_the_db(
    tmp_path,
):
    # The Makefile's dummy production environment (PROD_ENV), with a database file that must
    # not even be opened: the command refuses before its first query.
    database = tmp_path / "production.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_NAME", "DEMO_PASSWORD")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": "ci-only-9f4c2a7e1b6d8350c4e2f7a9b1d3c5e7f0a2b4c6d8e0f1a3b5c7d9",
        "DJANGO_ALLOWED_HOSTS": "portal.example.gov.cn",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(BASE_DIR),
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "seed_demo"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "seed_demo refused" in done.stderr and "Nothing was created" in done.stderr
    assert "portal.settings.production" in done.stderr
    assert "zhongshan-demo-2026" not in done.stdout + done.stderr
    assert not database.exists()


def test_seed_demo_twice_creates_nothing_new(seeded):
    first = _row_counts()
    output = _seed()
    assert _row_counts() == first
    assert "created" not in output.split("Demo logins")[0]


def _sign_in():
    """A sign-in request: the limiter in front of the password check asks whose it is."""
    return RequestFactory().post("/accounts/login/")


def test_every_demo_login_authenticates_with_the_demo_password(seeded):
    for spec in DEMO_USERS:
        user = authenticate(_sign_in(), username=spec.username, password=DEFAULT_DEMO_PASSWORD)
        assert user is not None, spec.username
        assert user.email and user.first_name
        assert user.is_staff == (spec.is_staff or spec.is_superuser)
        assert spec.username in seeded
    assert seeded.count(DEFAULT_DEMO_PASSWORD) == len(DEMO_USERS)
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.get(username="applicant").is_staff
    assert User.objects.get(username="op-crgas").memberships.get().organization.code == "crgas-zs"


def test_demo_password_comes_from_the_environment(seeded, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass-2026")
    output = _seed()
    assert "another-demo-pass-2026" in output
    assert (
        authenticate(_sign_in(), username="op-power", password="another-demo-pass-2026") is not None
    )
    assert authenticate(_sign_in(), username="op-power", password=DEFAULT_DEMO_PASSWORD) is None


def test_demo_users_act_through_their_organisation_groups(seeded):
    permits = PermitRequest.objects.filter(
        service_application__combined__project__code="2026-442000-47-01-900004"
    ).select_related("agency")
    agency = User.objects.get(username="permit-nr")
    assert set(agency.groups.values_list("name", flat=True)) == {"org:natural-resources"}
    for permit in permits:
        mine = permit.agency.code == "natural-resources"
        assert agency.has_perm("applications.decide_permitrequest", permit) == mine
    lead = User.objects.get(username="lead-ndrc")
    assert set(lead.groups.values_list("name", flat=True)) == {"org:ndrc"}
    services = ServiceApplication.objects.all()
    assert services.filter(utility="electricity").exists()
    for sa in services:
        assert lead.has_perm(LEAD_REVIEW_PERM, sa) == (sa.utility == "electricity")


def test_demo_cases_are_in_every_state_the_demo_needs(seeded):
    code = "2026-442000-47-01-9000{:02d}".format
    submitted = _statuses(code(1))
    assert set(submitted) == {"electricity", "water", "gas", "network", "cable_tv"}
    assert set(submitted.values()) == {S.SUBMITTED}

    assert _statuses(code(2)) == {"water": S.RETURNED, "gas": S.SUBMITTED}

    combined = CombinedApplication.objects.get(project__code=code(3))
    planned = combined.services.get()
    assert planned.status == S.PLAN_ISSUED
    assert planned.fee_quote_cny == Decimal("12800.00")

    combined = CombinedApplication.objects.get(project__code=code(4))
    permitting = combined.services.get()
    assert permitting.status == S.PERMITTING
    permits = list(permitting.permits.values_list("status", flat=True))
    assert len(permits) == 3
    assert permits.count(PermitStatus.APPROVED) == 1
    assert permits.count(PermitStatus.PENDING) == 2

    assert _statuses(code(5)) == {"electricity": S.CONSTRUCTING}
    assert _statuses(code(6)) == {"cable_tv": S.CONNECTED, "network": S.CONNECTED}
    assert _statuses(code(7)) == {"water": S.CLOSED}
    assert _statuses(code(8)) == {"gas": S.WITHDRAWN}
    # Every case has its full audit trail, one row per transition at least.
    assert all(
        sa.history.exists()
        for combined in CombinedApplication.objects.all()
        for sa in combined.services.all()
    )


def test_demo_companies_have_valid_unified_social_credit_codes(seeded):
    for spec in COMPANIES:
        org = Organization.objects.get(code=spec.code)
        uscc = org.unified_social_credit_code
        assert len(uscc) == 18
        assert uscc_is_valid(uscc), uscc
        assert uscc[2:8] == "442000"  # Zhongshan
        assert org_code_check_character(uscc[8:16]) == uscc[16]
    assert Organization.objects.get(code=COMPANIES[0].code).name_zh == "中山市翠亨智造科技有限公司"


def test_demo_indicators_are_ready_without_waiting_for_beat(seeded, client):
    """Right after `seed_demo` the leadership office's dashboard shows the demo's connection."""
    from indicators.models import KpiRefresh

    assert KpiRefresh.objects.exists()
    client.force_login(User.objects.get(username="leadership"))
    page = client.get(reverse("staff:kpi"))
    assert page.status_code == 200
    assert 'data-table="connections"' in page.content.decode()


def test_the_demo_companies_are_verified_and_the_shared_project_waits_for_the_first(seeded):
    """`make run` shows 免证办: the demo applicant finds the pushed project by its code."""
    from applications.selectors.applicant import shared_project_for_claimant
    from portal.demo.cases import SHARED_PROJECT_CODE

    for spec in COMPANIES:
        org = Organization.objects.get(code=spec.code)
        assert org.identity.status == "verified", spec.code
        assert org.identity.registry_record.legal_representative == spec.legal_representative
    first = Organization.objects.get(code=COMPANIES[0].code)
    second = Organization.objects.get(code=COMPANIES[1].code)
    lookup = shared_project_for_claimant(organization=first, code=SHARED_PROJECT_CODE)
    assert lookup.project is not None and lookup.project.owner_credit_code == COMPANIES[0].uscc
    other = shared_project_for_claimant(organization=second, code=SHARED_PROJECT_CODE)
    assert other.project is None
    assert "registry-amr" in seeded


def test_demo_demands_give_staff_a_realistic_queue(seeded, client):
    """Right after `seed_demo` staff see demands in every state, the overdue one escalated."""
    from coordination.constants import DemandStatus
    from coordination.models import Demand, ItemEscalation

    statuses = set(Demand.objects.values_list("status", flat=True))
    assert statuses == {
        DemandStatus.ACKNOWLEDGED,
        DemandStatus.SUBMITTED,
        DemandStatus.ANSWERED,
        DemandStatus.CLOSED,
        DemandStatus.REOPENED,
    }
    overdue = Demand.objects.get(title="水费账单重复扣款")
    assert ItemEscalation.objects.filter(demand=overdue, tier=1).exists()
    linked = Demand.objects.exclude(service_application=None).get()
    assert linked.organization.code == "demo-cuiheng-zhizao"
    client.force_login(User.objects.get(username="lead-water"))
    page = client.get(reverse("staff:demands")).content.decode()
    assert f'data-demand="{overdue.uuid}"' in page
    assert 'data-tier="1"' in page
    client.force_login(User.objects.get(username="leadership"))
    page = client.get(reverse("staff:demands"), {"state": "all"}).content.decode()
    assert page.count("data-demand=") == Demand.objects.count() == 6
    referred = ItemEscalation.objects.get(origin="referral", item_kind="demand")
    assert (referred.demand.utility, referred.tier) == ("cable_tv", 2)
    held = client.get(reverse("staff:demand_escalations")).content.decode()
    assert f'data-escalation="{referred.uuid}"' in held
    client.force_login(User.objects.get(username="applicant"))
    mine = client.get(reverse("applications:demands")).content.decode()
    assert mine.count("data-demand=") == 2


def test_demo_follow_up_waits_in_the_water_workgroups_queue(seeded, client):
    """Right after `seed_demo` the water workgroup's lead agency has a follow-up of a bad
    rating to call; other workgroups see none."""
    from coordination.models import FollowUp

    follow_up = FollowUp.objects.get()
    assert (follow_up.workgroup.code, follow_up.status) == ("water", "open")
    assert follow_up.rating.level == "dissatisfied"
    client.force_login(User.objects.get(username="lead-water"))
    page = client.get(reverse("staff:follow_ups")).content.decode()
    assert f'data-follow-up="{follow_up.uuid}"' in page
    client.force_login(User.objects.get(username="lead-ndrc"))
    assert str(follow_up.uuid) not in client.get(reverse("staff:follow_ups")).content.decode()
    _seed()
    assert FollowUp.objects.count() == 1


def test_demo_case_referral_waits_for_the_leadership_office(seeded, client):
    """Right after `seed_demo` the office finds the water case referred up by its lead agency;
    the case's operator reads the referral on the case page."""
    from coordination.models import ItemEscalation

    referral = ItemEscalation.objects.get(item_kind="case")
    sa = referral.service_application
    assert (sa.combined.project.code, sa.utility, referral.tier) == (
        "2026-442000-47-01-900005",
        "electricity",
        2,
    )
    assert "Referred up" in seeded and sa.combined.reference in seeded
    client.force_login(User.objects.get(username="leadership"))
    page = client.get(reverse("staff:referrals")).content.decode()
    assert f'data-escalation="{referral.uuid}"' in page
    client.force_login(User.objects.get(username="op-power"))
    case = client.get(reverse("staff:case", args=[sa.combined.uuid])).content.decode()
    assert f'data-escalation="{referral.uuid}"' in case
    _seed()
    assert ItemEscalation.objects.filter(item_kind="case").count() == 1


def test_demo_town_staff_read_the_cases_of_their_area(seeded, client):
    """The development zone's user sees exactly the demo cases in the towns it governs."""
    import re

    assert "town-cuiheng" in seeded
    client.force_login(User.objects.get(username="town-cuiheng"))
    page = client.get(reverse("staff:queue")).content.decode()
    listed = set(re.findall(r'data-case="([0-9a-f-]+)"', page))
    area = ServiceApplication.objects.filter(
        combined__project__town__governing_organization__code="cuiheng"
    ).exclude(status=S.DRAFT)
    assert listed == {str(sa.uuid) for sa in area} and listed
    elsewhere = CombinedApplication.objects.get(project__code="2026-442000-47-01-900004")
    assert client.get(reverse("staff:case", args=[elsewhere.uuid])).status_code == 404


def test_demo_kpi_shows_demands_answered_on_time_per_workgroup(seeded, client):
    """The KPI page's demand figure, computed in SQL over the rollup, matches the demo's
    demands counted one by one."""
    from django.db.models import F
    from django.utils import timezone

    from applications.selectors.staff import staff_scope
    from coordination.models import Demand
    from indicators.selectors.kpi import KpiFilter, kpi_demands

    leadership = User.objects.get(username="leadership")
    filters = KpiFilter.last_months(timezone.localdate())
    rows = {
        r["workgroup_id"]: r
        for r in kpi_demands(scope=staff_scope(user=leadership), filters=filters)
    }
    demands = Demand.objects.all()
    assert sum(r["received"] for r in rows.values()) == demands.count() == 6
    for workgroup_id, row in rows.items():
        mine = demands.filter(workgroup_id=workgroup_id)
        assert row["received"] == mine.count()
        assert row["on_time"] == mine.filter(first_answered_at__lte=F("answer_due_at")).count()
    assert sum(r["on_time"] for r in rows.values()) >= 1
    client.force_login(leadership)
    page = client.get(reverse("staff:kpi")).content.decode()
    assert 'data-table="demands"' in page
    assert "诉求按时答复情况" in page


def test_demo_meetings_show_a_realistic_agenda_and_an_overdue_action_item(seeded, client):
    """Right after `seed_demo` the electricity workgroup has a held meeting with minutes and
    two action items (one overdue and escalated) and a scheduled one whose agenda lists the
    workgroup's open matters; an invited town reads it, another workgroup does not."""
    from coordination.models import ActionItem, ItemEscalation, Meeting

    past, upcoming = Meeting.objects.order_by("starts_at")
    assert (past.status, upcoming.status) == ("published", "scheduled")
    assert past.minutes and past.decisions
    items = ActionItem.objects.filter(meeting=past)
    assert items.count() == 2
    overdue = items.get(owner__code="csg-zhongshan")
    assert ItemEscalation.objects.filter(action_item=overdue, tier=1).exists()
    kinds = set(upcoming.agenda.values_list("kind", flat=True))
    assert "demand" in kinds and len(kinds) >= 2
    client.force_login(User.objects.get(username="lead-ndrc"))
    page = client.get(reverse("staff:meeting", args=[upcoming.uuid])).content.decode()
    assert page.count("data-agenda-item=") == upcoming.agenda.count()
    client.force_login(User.objects.get(username="op-power"))
    assert client.get(reverse("staff:meeting", args=[upcoming.uuid])).status_code == 200
    queue = client.get(reverse("staff:action_items") + "?state=mine").content.decode()
    assert str(overdue.uuid) in queue
    client.force_login(User.objects.get(username="lead-water"))
    assert client.get(reverse("staff:meeting", args=[upcoming.uuid])).status_code == 404
    _seed()
    assert Meeting.objects.count() == 2 and ActionItem.objects.count() == 2


def test_the_demo_has_a_published_and_a_scheduled_policy_notice(seeded, client):
    from coordination.models import NoticeRecipient, PolicyNotice

    statuses = dict(PolicyNotice.objects.values_list("title", "status"))
    assert sorted(statuses.values()) == ["published", "scheduled"]
    published = PolicyNotice.objects.get(status="published")
    # Sent to every demo company (no filter), and on the public page with its infographic.
    assert NoticeRecipient.objects.filter(notice=published).count() >= 2
    page = client.get(f"/notices/{published.uuid}/").content.decode()
    assert published.title in page and "data-infographic" in page
    assert client.get(f"/notices/{published.uuid}/infographic/")["Content-Type"] == "image/png"


def test_the_demo_knowledge_base_is_searchable_and_the_training_counted(seeded):
    lead = User.objects.get(username="lead-ndrc")
    found = list(article_search(scope=knowledge_scope(user=lead), query="临时用电"))
    assert found and found[0].title == "临时用电报装受理要点"
    decision = Article.objects.get(kind="decision")
    assert decision.meeting is not None and decision.meeting.workgroup.code == "electricity"
    assert TrainingAttendance.objects.filter(organization__code="csg-zhongshan").count() == 3


def test_demo_joint_works_digs_once_for_four_utilities_and_shows_trenches_avoided(seeded, client):
    """One joint works plan with one permit set took electricity, water, gas and network to the
    road restored; the request's decision package is signed; the KPI page counts 3 trenches
    avoided."""
    from applications.models import DecisionPackage, JointWorksPlan
    from portal.demo.joint_works import JOINT_WORKS_CODE

    (plan,) = JointWorksPlan.objects.filter(project__code=JOINT_WORKS_CODE)
    assert plan.status == "restored"
    assert sorted(
        plan.participants.filter(active=True).values_list("service_application__utility", flat=True)
    ) == ["electricity", "gas", "network", "water"]
    permits = PermitRequest.objects.filter(service_application__combined__project=plan.project)
    assert sorted(permits.values_list("permit_type", flat=True)) == [
        "planning",
        "road_excavation",
        "road_occupation",
    ]
    assert set(permits.values_list("joint_works_plan", flat=True)) == {plan.pk}
    assert DecisionPackage.objects.filter(combined__project=plan.project).exists()
    assert "Joint works" in _seed()  # the summary names it; a second run builds nothing
    assert JointWorksPlan.objects.filter(project__code=JOINT_WORKS_CODE).count() == 1
    client.force_login(User.objects.get(username="leadership"))
    page = client.get(reverse("staff:kpi")).content.decode()
    table = page[page.index('data-table="joint_works"') :]
    assert "减少开挖次数" in table
    # The row of this month: its last column, trenches avoided, is 3 (four utilities, one dug).
    assert '<td class="num">3</td></tr>' in table[: table.index("</table>")]
