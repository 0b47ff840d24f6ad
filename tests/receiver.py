"""A real HTTP server that plays an operator's webhook receiver in tests."""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class Receiver:
    """Records every request; answers with the scripted statuses first, then `default`, after
    `delay` seconds (a slow receiver; a large delay is one that hangs until the test ends).

    An event id arriving while a request with the same id is still being handled is recorded in
    `concurrent_duplicates`: the portal sent one message twice at the same time. `max_busy` is
    the most requests it was handling at once."""

    def __init__(
        self,
        secret: str,
        script: list[int] | None = None,
        default: int = 200,
        delay: float = 0.0,
    ) -> None:
        self.secret = secret
        self.script = list(script or [])
        self.default = default
        self.delay = delay
        self.requests: list[dict] = []
        self.concurrent_duplicates: list[str] = []
        self.in_flight: Counter[str] = Counter()
        self.busy = 0
        self.max_busy = 0
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.url = ""

    def handle(self, headers, body: bytes) -> int:
        event_id = headers.get(EVENT_ID_HEADER)
        with self.lock:
            if self.in_flight[event_id]:
                self.concurrent_duplicates.append(event_id)
            self.in_flight[event_id] += 1
            self.busy += 1
            self.max_busy = max(self.max_busy, self.busy)
            status = self.script.pop(0) if self.script else self.default
            self.requests.append(
                {
                    "event_id": event_id,
                    "valid_signature": verify(
                        self.secret,
                        int(headers.get(TIMESTAMP_HEADER, "0")),
                        body,
                        headers.get(SIGNATURE_HEADER, ""),
                    ),
                    "json": json.loads(body),
                    "status": status,
                    "received_at": time.time(),
                }
            )
        try:
            if self.delay:
                self.released.wait(self.delay)
        finally:
            with self.lock:
                self.in_flight[event_id] -= 1
                self.busy -= 1
        return status

    def delivered_event_ids(self) -> list[str]:
        """Event ids the receiver accepted (2xx), after dedupe by event id."""
        with self.lock:
            return sorted({r["event_id"] for r in self.requests if 200 <= r["status"] < 300})


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.handle(self.headers, body)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (a hanging receiver)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portal"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
