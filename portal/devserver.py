"""`make run`: prepare the embedded database, then run web + Celery worker + Celery beat together.

Usage: python -m portal.devserver  (PORT=8000 by default; DJANGO_SETTINGS_MODULE defaults to
portal.settings.local, which is SQLite + the filesystem broker unless DATABASE_URL / REDIS_URL
are set).

Each child runs in its own process group, so Ctrl-C reaches only this supervisor, which then
stops every group in order (TERM, then KILL after a grace period): no orphans. If any child
exits on its own, the others are stopped and the supervisor exits non-zero.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 15
READY_TIMEOUT_SECONDS = 90
BANNER_DELAY_SECONDS = 3


def manage(*args: str, capture: bool = False) -> str:
    """Run a manage.py command in the foreground; stop everything if it fails."""
    print(f"==> manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        capture_output=capture,
        text=True,
        check=False,
    )
    if capture:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed with exit code {result.returncode}")
    return result.stdout if capture else ""


def children(port: str) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [
            python, "-m", "gunicorn", "portal.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "2",
            "--no-control-socket",
        ],
        # solo pool: one process, no forking, both queues; plenty for a developer machine.
        "worker": [python, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
                   "--queues", "celery,webhooks", "--loglevel", "INFO"],
        # The DatabaseScheduler comes from CELERY_BEAT_SCHEDULER in settings.
        "beat": [python, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"],
    }  # fmt: skip


class Supervisor:
    """Start commands in their own process groups; stop them all when one ends or on a signal."""

    def __init__(self, commands: Mapping[str, Sequence[str]], *, cwd: Path = BASE_DIR) -> None:
        self.commands = commands
        self.cwd = cwd
        self.procs: dict[str, subprocess.Popen] = {}
        self.stop_requested = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop_requested:  # second Ctrl-C: do not wait for the grace period
            self._signal_all(signal.SIGKILL)
        self.stop_requested = True

    def start(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        for name, argv in self.commands.items():
            print(f"==> starting {name}: {' '.join(argv)}", flush=True)
            self.procs[name] = subprocess.Popen(argv, cwd=self.cwd, process_group=0)  # noqa: S603

    def exited(self) -> tuple[str, int] | None:
        """The first child found to have exited, with its exit code."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def wait(self) -> int:
        """Block until a signal or a child exit; stop everything; return the exit code."""
        while not self.stop_requested:
            dead = self.exited()
            if dead:
                print(f"==> {dead[0]} exited with code {dead[1]}; stopping the others", flush=True)
                self.stop()
                return dead[1] if dead[1] > 0 else 1  # 0 or killed by a signal: still a failure
            time.sleep(0.3)
        print("==> stopping web, worker and beat", flush=True)
        self.stop()
        return 0

    def stop(self) -> None:
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        # KILL whatever is left, grandchildren included (gunicorn workers, celery pool).
        self._signal_all(signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait()

    def _signal_all(self, sig: int) -> None:
        for proc in self.procs.values():
            # The group id is the child's pid (process_group=0); the group may be gone already.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)


def wait_until_serving(url: str, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not supervisor.stop_requested:
        if supervisor.exited():
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def main() -> int:
    try:
        return run()
    except KeyboardInterrupt:  # Ctrl-C while preparing: the manage.py child got it too
        return 130


def run() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    port = os.environ.get("PORT", "8000")
    print(f"==> settings: {os.environ['DJANGO_SETTINGS_MODULE']}", flush=True)

    manage("migrate", "--noinput")
    manage("seed_reference")
    demo_logins = manage("seed_demo", capture=True)
    manage("collectstatic", "--noinput", "--verbosity", "0")

    supervisor = Supervisor(children(port))
    supervisor.start()
    base_url = f"http://127.0.0.1:{port}/"
    if wait_until_serving(base_url + "healthz", supervisor):
        time.sleep(BANNER_DELAY_SECONDS)  # let Celery print its banners first; ours stays in view
        print(
            f"\n{'=' * 72}\n"
            f"Portal:  {base_url}\nAdmin:   {base_url}admin/\n\n"
            f"{demo_logins.rstrip()}\n\n"
            f"Ctrl-C stops web, worker and beat.\n{'=' * 72}\n",
            flush=True,
        )
    elif not supervisor.stop_requested and not supervisor.exited():
        print(f"==> web did not answer on {base_url} in {READY_TIMEOUT_SECONDS}s", flush=True)
        supervisor.stop()
        return 1
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
