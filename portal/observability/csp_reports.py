"""Content-Security-Policy violation reports: what a browser posts to /csp-report/ when the
policy (settings.CONTENT_SECURITY_POLICY) blocked something on a page of the portal.

Both shapes browsers send are read: `report-uri`'s `application/csp-report` (one report under
"csp-report") and the Reporting API's `application/reports+json` (a list of reports of type
"csp-violation"). Each violation is counted by directive in /metrics and logged as one line
with the page, the directive and what was blocked.

Anyone can post here, so nothing an attacker sends grows without bound: the view caps the body,
a request counts at most MAX_REPORTS_PER_REQUEST violations, the metric's label is a directive
name from a fixed list, logged values are cut short (URLs without their query), and each process
logs at most LOG_LINES_PER_MINUTE reports (the rest are still counted).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from csp.utils import DEFAULT_DIRECTIVES

from .metrics import CSP_REPORTS

logger = logging.getLogger("portal.csp")

# The content types a browser posts reports with (report-uri, older browsers, Reporting API).
CONTENT_TYPES = frozenset(
    {"application/csp-report", "application/json", "application/reports+json"}
)
MAX_REPORTS_PER_REQUEST = 20
LOG_LINES_PER_MINUTE = 60
_TEXT_LIMIT = 200
_DIRECTIVES = frozenset(DEFAULT_DIRECTIVES)


class InvalidReport(ValueError):
    """The body is not JSON, or holds no violation report."""


def _text(value: Any) -> str:
    return str(value)[:_TEXT_LIMIT] if value is not None else ""


def _url(value: Any) -> str:
    """A URL without its query and fragment (search terms, tokens), cut short; keywords such
    as "inline" or "eval" as they are."""
    text = str(value or "")
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        text = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return text[:_TEXT_LIMIT]


def _violations(data: Any) -> list[dict[str, str]]:
    """The violations of either report shape, each as the few fields the log line keeps."""
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        report = data["csp-report"]
        return [
            {
                "directive": _text(
                    report.get("effective-directive") or report.get("violated-directive")
                ),
                "blocked": _url(report.get("blocked-uri")),
                "document": _url(report.get("document-uri")),
                "source": _url(report.get("source-file")),
                "line": _text(report.get("line-number")),
                "disposition": _text(report.get("disposition")),
            }
        ]
    if isinstance(data, list):
        found = []
        for item in data[:MAX_REPORTS_PER_REQUEST]:
            if not isinstance(item, dict) or item.get("type") != "csp-violation":
                continue
            body = item.get("body")
            if not isinstance(body, dict):
                continue
            found.append(
                {
                    "directive": _text(body.get("effectiveDirective")),
                    "blocked": _url(body.get("blockedURL")),
                    "document": _url(body.get("documentURL") or item.get("url")),
                    "source": _url(body.get("sourceFile")),
                    "line": _text(body.get("lineNumber")),
                    "disposition": _text(body.get("disposition")),
                }
            )
        if found:
            return found
    raise InvalidReport("no Content-Security-Policy violation report in the body")


class _LogBudget:
    """At most `per_minute` log lines per process and minute (a fixed window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._window = 0
        self._used = 0

    def take(self) -> bool:
        window = int(time.monotonic() // 60)
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            if self._used >= self.per_minute:
                return False
            self._used += 1
            return True


_budget = _LogBudget(LOG_LINES_PER_MINUTE)


def csp_reports_record(body: bytes) -> int:
    """Count and log the violations in a report body; the number of violations read.

    Raises InvalidReport when the body is not a violation report.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise InvalidReport("the body is not JSON") from exc
    violations = _violations(data)
    for violation in violations:
        directive = violation["directive"]
        CSP_REPORTS.labels(directive if directive in _DIRECTIVES else "other").inc()
        if _budget.take():
            logger.warning(
                "Content-Security-Policy violation: %s blocked %s on %s",
                directive,
                violation["blocked"],
                violation["document"],
                extra={f"csp_{key}": value for key, value in violation.items()},
            )
    return len(violations)
