import pytest
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from applications.models import CommitmentText
from applications.services import combined_application_submit, commitment_text_seed
from tests.db_template import clone_test_database
from tests.factories import ProjectFactory, company, member_of, staff_of, submission, verify
from tests.world_snapshot import WorldSnapshot, world_restore, world_take
from workgroups.calendar import forget_cached_years
from workgroups.models import (
    CalendarDay,
    CalendarSource,
    EscalationTier,
    OperatorCoverage,
    SlaPolicy,
    Workgroup,
)
from workgroups.reference import load_reference_data
from workgroups.services import calendar_year_enter

# The package's calendar ends with 2026; deadlines set today reach into 2027, whose official
# arrangement the tests do not know: they hold it as Monday-Friday (tests of a missing year
# delete it).
TEST_YEARS = (2027,)


def load_test_world() -> None:
    """Reference data, the package's calendar years, and the tests' provisional years."""
    load_reference_data()
    commitment_text_seed()
    for year in TEST_YEARS:
        calendar_year_enter(actor=None, year=year, exceptions=[], source=CalendarSource.PROVISIONAL)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Every test starts in the portal's first language, whatever the previous test activated
    (a request to /en/... leaves English active in the thread)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test reads the working-day calendar from its own database state."""
    forget_cached_years()
    yield
    forget_cached_years()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The worker's database (its xdist suffix applied) is a clone of the migrated template
    (tests/db_template.py); `django_db_keepdb` then keeps it instead of migrating anew."""
    return clone_test_database()


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings):
    return django_db_modify_db_settings or request.config.getvalue("reuse_db")


_world: list[WorldSnapshot] = []  # this worker's, once loaded


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test's transaction then sees it for free, and a
    flush is followed by putting it back (tests/world_snapshot.py)."""
    with django_db_blocker.unblock():
        load_test_world()
        _world[:] = [world_take()]


def _world_put_back() -> None:
    if _world:
        world_restore(_world[0])
    else:
        load_test_world()


def _flushes(item: pytest.Item) -> bool:
    """Whether the test runs outside a transaction, so that its end flushes the database."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test flushed the database, put the world back, committed, before
    the next test: otherwise every later test of this worker would load it anew inside its own
    rolled-back transaction (seconds each)."""
    result = yield
    if nextitem is not None and _flushes(item):
        with item.config.stash[blocking_manager_key].unblock():
            if not _world_complete():
                _world_put_back()
    return result


@pytest.fixture
def reference(db):
    """The policy's organisations, workgroups, operators, SLAs (seed_reference).

    Put back when a transactional test has flushed the database before this one, or left
    only part of the world behind (a live-server test may create its own organisations after
    the flush).
    """
    if not _world_complete():
        _world_put_back()


def _world_complete() -> bool:
    return all(
        model.objects.exists()
        for model in (
            Workgroup,
            SlaPolicy,
            EscalationTier,
            OperatorCoverage,
            CalendarDay,
            CommitmentText,
        )
    )


@pytest.fixture
def applicant_org(reference):
    return company()


@pytest.fixture
def verified_org(applicant_org):
    """The applicant company, verified as holding its credit code (registry data)."""
    return verify(applicant_org)


@pytest.fixture
def applicant(applicant_org):
    return member_of(applicant_org, username="applicant")


@pytest.fixture
def project(applicant_org, applicant):
    return ProjectFactory(owner=applicant_org, created_by=applicant)


@pytest.fixture
def operator_staff(reference):
    """One staff user per operator code."""
    cache = {}

    def get(code: str):
        if code not in cache:
            cache[code] = staff_of(code, username=f"staff-{code}")
        return cache[code]

    return get


@pytest.fixture
def submit(applicant, applicant_org, project):
    def do(utilities, **kwargs):
        data = submission(applicant, applicant_org, utilities, **kwargs)
        return combined_application_submit(
            actor=applicant, applicant=applicant_org, project=project, data=data
        )

    return do
