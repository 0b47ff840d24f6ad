"""Redis gone (stopped, or frozen with SIGSTOP) never takes the API or sign-in down.

Each test runs a private redis-server (ports 16391-16399, never the machine's 6379) as the
default cache, then stops or freezes it: API calls with a bearer token and sign-ins, right and
wrong, still answer, each well under a second; tokens come from the database, the rate limit
and the sign-in lockout count in the process; the fallbacks are counted and logged once.
"""

import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from core import cache_guard
from tests.factories import company, member_of
from workgroups.api_tokens import _cache_key, api_token_create, api_token_revoke, token_digest
from workgroups.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.faults]

PORTS = range(16391, 16400)
# What the test tells apart: a request that waits on the dead Redis without end (no socket
# timeout, no stand-in) from one that goes on without it. On 2 cores shared by 3 test workers a
# normal request has taken over 1 s, so the bound is generous; a hang never returns at all.
MAX_SECONDS = 3.0
WORK_ITEMS = "/api/v1/work-items/"
LOGIN = "/en/accounts/login/"


class PrivateRedis:
    """redis-server in the foreground of its own process, on the first port of our range that
    it can have (another test process may hold one)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the port it had before, or else on the first free one."""
        for port in [self.port] if self.port else PORTS:
            if self._start_on(port):
                self.port = port
                return
        raise AssertionError(f"redis-server could not start on any of {list(PORTS)}")

    def _start_on(self, port: int) -> bool:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required for the Redis fault tests"
        process = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=port, socket_timeout=0.2, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    # Ours, not another test process's server on the same port.
                    if client.info("server")["process_id"] == process.pid:
                        self.process = process
                        return True
                except redis.RedisError:
                    pass
                time.sleep(0.05)
        finally:
            client.close()
        if process.poll() is None:
            process.kill()
        process.wait(10)
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(10)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=1)


@pytest.fixture
def private_redis(tmp_path, settings):
    """The default cache is a private Redis, with the production socket timeouts."""
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": f"fault-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    settings.API_TOKEN_CACHE_SECONDS = 60
    settings.REDIS_CACHE_RETRY_SECONDS = 0.5
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "8/day", "anon": "60/minute"},
    }
    yield server
    server.stop()
    cache_guard.reset()


def fallbacks(use: str) -> float:
    return REGISTRY.get_sample_value("portal_redis_fallbacks_total", {"use": use}) or 0.0


class Timed:
    """Every request through it is timed; the slowest is what the test is about."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, send, *args, **kwargs):
        started = time.perf_counter()
        response = send(*args, **kwargs)
        self.seconds.append(time.perf_counter() - started)
        assert response.status_code < 500, response.content[:300]
        return response


@pytest.fixture
def token(reference, django_user_model):
    admin = django_user_model.objects.create_superuser("token-admin", "admin@example.cn", "x")
    token, plaintext = api_token_create(
        actor=admin,
        organization=Organization.objects.get(code="csg-zhongshan"),
        name="dispatch",
        scopes=["work_items:read"],
    )
    return token, plaintext, admin


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_api_and_sign_in_answer_quickly_while_redis_is_gone(
    private_redis, token, client, caplog, fault
):
    _token, plaintext, _admin = token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    member_of(company(), username="13600136000", password="pass-1234")
    member_of(company(code="other"), username="13500135000", password="pass-1234")
    timed = Timed()

    assert timed(api.get, WORK_ITEMS).status_code == 200  # the token is cached in Redis now
    key = f"{private_redis.client().keys('*apitoken*')[0].decode()}"
    assert key.endswith(_cache_key(token_digest(plaintext)))
    before = {use: fallbacks(use) for use in ("tokens", "throttle", "stats")}

    if fault == "stopped":
        private_redis.stop()
    else:
        private_redis.freeze()
    timed.seconds.clear()
    caplog.set_level(logging.WARNING, logger="core.cache_guard")

    # The API: the token from the database; the day's budget of 8 counted in this process.
    statuses = [timed(api.get, WORK_ITEMS).status_code for _ in range(9)]
    assert statuses == [200] * 8 + [429]
    assert timed(APIClient().get, WORK_ITEMS).status_code in (401, 403)
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer zsp_" + "x" * 43)
    assert timed(bad.get, WORK_ITEMS).status_code == 401
    assert timed(APIClient().get, "/api/v1/stats/").status_code == 200  # cached per process

    # Sign-in (its limiter keeps its failures in the database): five wrong passwords pause the
    # name even against the right one...
    for _ in range(4):
        wrong = timed(client.post, LOGIN, {"username": "13600136000", "password": "wrong"})
        assert wrong.status_code == 200
        assert "Please enter a correct" in wrong.content.decode()
    assert (
        timed(client.post, LOGIN, {"username": "13600136000", "password": "x"}).status_code == 429
    )
    locked = timed(client.post, LOGIN, {"username": "13600136000", "password": "pass-1234"})
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    # ...and someone else signs in as usual.
    signed_in = timed(client.post, LOGIN, {"username": "13500135000", "password": "pass-1234"})
    assert signed_in.status_code == 302

    slowest = max(timed.seconds)
    print(f"\nRedis {fault}: {len(timed.seconds)} requests, slowest {slowest:.3f} s")
    assert slowest < MAX_SECONDS, timed.seconds
    assert fallbacks("tokens") > before["tokens"]
    assert fallbacks("throttle") - before["throttle"] >= 9
    assert fallbacks("stats") > before["stats"]
    warnings = [r for r in caplog.records if r.name == "core.cache_guard"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once a minute, not per call
    assert "is not answering" in warnings[0].getMessage()


def test_a_token_revoked_while_redis_is_frozen_stays_revoked_when_it_thaws(
    private_redis, token, caplog
):
    revoked, plaintext, admin = token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(WORK_ITEMS).status_code == 200  # cached in Redis for 60 s
    private_redis.freeze()
    assert api.get(WORK_ITEMS).status_code == 200  # this process now knows Redis is gone

    api_token_revoke(actor=admin, token=revoked)  # the cache's delete cannot reach Redis
    assert api.get(WORK_ITEMS).status_code == 401  # the database says so

    private_redis.thaw()  # Redis still holds the live copy of the token
    assert private_redis.client().keys("*apitoken*")
    time.sleep(0.6)  # REDIS_CACHE_RETRY_SECONDS: the next call tries Redis again
    caplog.set_level(logging.INFO, logger="core.cache_guard")
    assert api.get(WORK_ITEMS).status_code == 401
    assert private_redis.client().keys("*apitoken*") == []  # the owed delete came first
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_a_restarted_redis_is_used_again_after_the_retry_interval(private_redis, token):
    _token, plaintext, _admin = token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    private_redis.stop()
    assert api.get(WORK_ITEMS).status_code == 200
    tokens_down = fallbacks("tokens")

    private_redis.start()  # empty, on the same port
    time.sleep(0.6)
    assert api.get(WORK_ITEMS).status_code == 200
    assert fallbacks("tokens") == tokens_down
    assert private_redis.client().keys("*apitoken*")  # cached there again
