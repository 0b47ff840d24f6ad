"""Error reports go to a Sentry-compatible service when SENTRY_DSN is set, and nowhere when not.
The "service" is a local HTTP server recording what the SDK sends."""

import gzip
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
import sentry_sdk

BASE_DIR = Path(__file__).resolve().parents[2]

FAIL_ONE_REQUEST = """
import django
django.setup()
import sentry_sdk
from django.conf import settings
from django.test import Client
settings.ROOT_URLCONF = "tests.portal.urls"
settings.ALLOWED_HOSTS = ["testserver"]
assert sentry_sdk.get_client().is_active()
response = Client(raise_request_exception=False).get("/test-boom", HTTP_X_REQUEST_ID="req-sentry-1")
assert response.status_code == 500
sentry_sdk.flush(10)
"""


class Collector:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.received = threading.Event()

    def __enter__(self) -> "Collector":
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "br":
                    body = brotli.decompress(body)
                elif encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                collector.bodies.append(body)
                collector.received.set()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_port}/42"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_error_reports_are_off_without_a_dsn():
    assert "SENTRY_DSN" not in os.environ
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.skipif(sys.platform != "linux", reason="subprocess environment")
def test_a_server_error_is_reported_with_its_request_id_when_a_dsn_is_set():
    with Collector() as service:
        env = dict(
            os.environ, DJANGO_SETTINGS_MODULE="portal.settings.test", SENTRY_DSN=service.dsn
        )
        result = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", FAIL_ONE_REQUEST],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        assert service.received.wait(10)

    sent = b"\n".join(service.bodies).decode()
    assert "a test view that always fails" in sent
    assert "req-sentry-1" in sent
