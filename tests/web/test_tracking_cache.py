"""The tracking page is served from the cache while the rows it shows are unchanged
(core/page_cache.py, applications/selectors/page_versions.py)."""

import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import remove_perm

from applications.models import CombinedApplication, ServiceApplication
from applications.services import service_application_transition
from core.fingerprint import Fingerprint, stand_in_id
from notifications.constants import Channel
from notifications.models import Delivery
from notifications.services import facts_process
from tests.web.helpers import plan_issued
from workgroups.models import CompanyIdentity, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def combined(submit):
    return submit(["electricity", "water"])


@pytest.fixture
def planned(combined, operator_staff):
    """Electricity's plan and fee issued: the applicant's page offers to confirm them."""
    sa = combined.services.get(utility="electricity")
    return plan_issued(sa, actor=operator_staff(sa.operator.code))


def _url(combined, prefix="/en"):
    return f"{prefix}/requests/{combined.uuid}/"


def _main(response) -> str:
    """The page's body, without the layout around it."""
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_a_visit_with_the_csrf_cookie_is_kept_and_the_next_one_served_from_it(web, combined):
    _count, cookieless = _queries(web, _url(combined))  # sets the CSRF cookie, keeps nothing
    assert "cards" in cookieless.context
    first_count, first = _queries(web, _url(combined))
    second_count, second = _queries(web, _url(combined))
    # Session, user, the applicant organisation and the version of the rows: none of the
    # case's twenty, nor the layout's.
    assert second_count <= 4 < first_count
    assert second.content == first.content  # the whole page, as it was sent
    assert "cards" in first.context and second.context is None  # not rendered again
    assert second["Content-Type"] == first["Content-Type"]
    assert second.headers.get("Content-Security-Policy") == first.headers.get(
        "Content-Security-Policy"
    )


def test_a_new_message_and_its_reading_show_in_the_header_at_once(web, combined, operator_staff):
    web.get(_url(combined))
    assert "data-unread" not in web.get(_url(combined)).content.decode()  # kept
    sa = combined.services.get(utility="water")
    service_application_transition(
        actor=operator_staff(sa.operator.code),
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "请补充二次供水设计图"},
    )
    facts_process()  # the outbox tells the applicant, in the portal's inbox
    unread = Delivery.objects.filter(
        recipient_organization=combined.applicant, channel=Channel.IN_APP, read_at__isnull=True
    ).count()
    assert unread
    assert f'data-unread="{unread}"' in web.get(_url(combined)).content.decode()
    web.post("/en/inbox/read/", {"all": "1"})
    assert "data-unread" not in web.get(_url(combined)).content.decode()


def test_a_message_after_an_action_shows_and_then_the_page_is_kept_again(web, combined):
    web.get(_url(combined))
    web.get(_url(combined))
    sa = combined.services.get(utility="water")
    response = web.post(f"{_url(combined)}{sa.uuid}/withdraw/", {f"w{sa.pk}-reason": "项目调整"})
    assert response.status_code == 302
    shown = web.get(_url(combined))
    assert '<div class="messages"' in shown.content.decode() and "cards" in shown.context
    assert "withdrawn" in _main(shown).split("</div>")[0]
    again = web.get(_url(combined))
    assert '<div class="messages"' not in again.content.decode()  # a message is shown once
    assert web.get(_url(combined)).context is None  # and the page is kept again


def test_an_operators_step_shows_at_once(web, combined, operator_staff):
    web.get(_url(combined))
    sa = combined.services.get(utility="electricity")
    service_application_transition(
        actor=operator_staff(sa.operator.code), service_application=sa, transition="accept"
    )
    assert "Accepted" in _main(web.get(_url(combined)))


def test_a_change_made_outside_any_service_shows_at_once(web, combined):
    """The version is a digest of the rows themselves: no signal or timestamp is needed."""
    web.get(_url(combined))
    ServiceApplication.objects.filter(combined=combined, utility="water").update(
        last_reason="管网检修,请改期"
    )
    services = ServiceApplication.objects.filter(combined=combined)
    services.filter(utility="water").update(status="rejected")
    assert "管网检修,请改期" in _main(web.get(_url(combined)))


def test_the_company_losing_its_verification_shows_at_once(web, combined, verified_org):
    before = _main(web.get(_url(combined)))
    assert "data-verification" not in before
    CompanyIdentity.objects.filter(organization=verified_org).update(status="disputed")
    after = _main(web.get(_url(combined)))
    assert 'data-verification="disputed"' in after and after != before


def test_an_action_the_reader_may_no_longer_take_disappears(web, combined, planned):
    sa = planned
    assert "Confirm the plan and the fee" in _main(web.get(_url(combined)))
    for holder in sa.serviceapplicationgroupobjectpermission_set.select_related("group"):
        remove_perm("applications.act_as_applicant", holder.group, sa)
    assert "Confirm the plan and the fee" not in _main(web.get(_url(combined)))


def test_each_language_has_its_own_page(web, combined):
    assert "Working days used" in _main(web.get(_url(combined, "/en")))
    chinese = _main(web.get(_url(combined, "")))
    assert "Working days used" not in chinese and "已用工作日" in chinese


def test_a_new_sign_in_gets_forms_whose_tokens_it_can_send(combined, applicant, planned):
    """The forms of a cached page carry CSRF tokens of the session that rendered it; a new
    sign-in has a new secret and must not be sent the old tokens."""
    sa = planned
    old = Client(enforce_csrf_checks=True)
    old.force_login(applicant)
    old.get(_url(combined))
    new = Client(enforce_csrf_checks=True)
    new.force_login(applicant)
    html = new.get(_url(combined)).content.decode()
    token = re.search(
        rf'action="[^"]*/{sa.uuid}/confirm_plan/".*?name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
        re.S,
    ).group(1)
    response = new.post(
        f"/en/requests/{combined.uuid}/{sa.uuid}/confirm_plan/",
        {"csrfmiddlewaretoken": token, f"c{sa.pk}-comment": "同意"},
    )
    assert response.status_code == 302
    sa.refresh_from_db()
    assert sa.fee_confirmed_at is not None  # the plan confirmed: the token was accepted


def test_another_company_gets_404_after_the_owner_was_served(combined, web, rival):
    web.get(_url(combined))
    other = Client()
    other.force_login(rival)
    assert other.get(_url(combined)).status_code == 404


def test_the_page_is_served_while_the_cache_does_not_answer(web, combined, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.PooledClientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(2):
        response = web.get(_url(combined))
        assert response.status_code == 200 and combined.reference in _main(response)


def _direct(stages, *, pk):
    return [Organization.objects.filter(pk=pk)]


def _through_a_stage(stages, *, pk):
    ids = stages.stage("orgs", Organization.objects.filter(pk=pk))
    return [Organization.objects.filter(ids.holds("pk"))]


def _with_a_join(stages, *, pk):
    # Organisations with or without members: a LEFT JOIN, read through `pk IN (...)`.
    return [
        Organization.objects.filter(pk=pk).filter(
            Q(memberships__isnull=True) | Q(memberships__isnull=False)
        )
    ]


@pytest.mark.parametrize(
    ("build", "joined"), [(_direct, False), (_through_a_stage, False), (_with_a_join, True)]
)
def test_the_version_covers_every_column_and_row(build, joined):
    version = Fingerprint(build, pk=stand_in_id())
    assert (" r WHERE r." in version._compile()[0]) is joined  # each way of reading the rows
    org = Organization.objects.order_by("pk").first()
    before = version(pk=org.pk)
    assert before == version(pk=org.pk)
    Organization.objects.filter(pk=org.pk).update(name_en=org.name_en + " ")
    changed = version(pk=org.pk)
    assert changed != before
    Organization.objects.filter(pk=org.pk).update(name_en=org.name_en)
    assert version(pk=org.pk) == before
    assert version(pk=-1) != before  # no row at all is a version of its own


def test_a_stand_in_that_does_not_reach_the_statement_is_refused():
    version = Fingerprint(lambda stages, *, pk: [Organization.objects.all()], pk=stand_in_id())
    with pytest.raises(ValueError, match="stand-in"):
        version(pk=1)


def test_the_cache_is_unused_on_a_database_without_digests(web, combined, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    web.get(_url(combined))  # the CSRF cookie
    first_count, first = _queries(web, _url(combined))
    second_count, second = _queries(web, _url(combined))
    assert "cards" in first.context and "cards" in second.context  # rendered both times
    assert second_count == first_count
    assert CombinedApplication.objects.filter(pk=combined.pk).exists()


def test_the_version_statement_is_prepared_once_per_connection_and_reads_alike_unprepared():
    """PostgreSQL parses and plans the statement once per connection (core/fingerprint.py);
    with prepared statements off (DATABASE_PREPARED_STATEMENTS=false, for PgBouncer < 1.21)
    the same statement answers the same."""
    version = Fingerprint(_through_a_stage, pk=stand_in_id())
    org = Organization.objects.order_by("pk").first()

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%WITH "fp_orgs" AS MATERIALIZED%'],
            )
            return cursor.fetchone()[0]

    raw = connection.connection
    prepared_digest = version(pk=org.pk)
    assert version(pk=org.pk) == prepared_digest and prepared() == 1
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None  # as DATABASE_PREPARED_STATEMENTS=false configures it
    try:
        assert version(pk=org.pk) == prepared_digest
    finally:
        raw.prepare_threshold = threshold
