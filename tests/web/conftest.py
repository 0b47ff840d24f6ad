import pytest

from tests.factories import ProjectFactory, company, member_of


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test counts login failures in its own memory cache (never a shared Redis)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "web-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def web(client, applicant):
    """A browser session of the applicant company's user."""
    client.force_login(applicant)
    return client


@pytest.fixture
def rival_org(reference):
    return company(code="rival", name="中山另一家公司")


@pytest.fixture
def rival(rival_org):
    return member_of(rival_org, username="rival")


@pytest.fixture
def rival_project(rival_org, rival):
    return ProjectFactory(owner=rival_org, created_by=rival)
