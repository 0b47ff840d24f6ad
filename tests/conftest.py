import pytest
from django.utils import translation

from applications.models import CommitmentText
from applications.services import combined_application_submit, commitment_text_seed
from tests.factories import ProjectFactory, company, member_of, staff_of, submission, verify
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
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test's transaction then sees it for free."""
    with django_db_blocker.unblock():
        load_test_world()


@pytest.fixture
def reference(db):
    """The policy's organisations, workgroups, operators, SLAs (seed_reference).

    Reloaded when a transactional test has flushed the database before this one, or left
    only part of the world behind (a live-server test may create its own organisations after
    the flush): loading is idempotent.
    """
    if not _world_complete():
        load_test_world()


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
