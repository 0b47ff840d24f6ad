import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from coordination.services import DemandInput, demand_submit
from tests.factories import PDF_BYTES, staff_of
from workgroups.models import Town

CST = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, h: int = 10, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, m, d, h, tzinfo=CST)


def demand_input(**overrides) -> DemandInput:
    """A complete demand about electricity in Nanlang (governed by 翠亨新区管委会)."""
    fields = {
        "kind": "complaint",
        "theme": "connection",
        "utility": "electricity",
        "town": Town.objects.get(code="nanlang"),
        "title": "报装后迟迟未通电",
        "description": "工厂变压器已安装两周，仍未安排送电。",
        "address": "南朗街道翠亨大道8号",
        "contact_name": "陈先生",
        "contact_mobile": "13800138000",
    }
    fields.update(overrides)
    return DemandInput(**fields)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test counts submissions in its own memory cache (never a shared Redis)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "co"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def submit_demand(reference):
    """Submit a demand as `actor` (None: without an account), at `when` if given."""

    def do(actor=None, when: dt.datetime | None = None, **overrides):
        if when is None:
            return demand_submit(actor=actor, data=demand_input(**overrides))
        with time_machine.travel(when, tick=False):
            return demand_submit(actor=actor, data=demand_input(**overrides), now=when)

    return do


@pytest.fixture
def staff(reference):
    """One user per organisation code, made on first use."""
    made = {}

    def get(code: str):
        if code not in made:
            made[code] = staff_of(code, username=f"co-{code}")
        return made[code]

    return get


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pdf(name: str = "photo.pdf", extra: bytes = b""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES + extra, "application/pdf")
