"""Sending SMS: a pluggable backend chosen by the SMS_BACKEND setting, as Django chooses its
e-mail backend with EMAIL_BACKEND.

A real gateway (an operator's SMS platform, a cloud SMS service) is one class:

    class GatewayBackend(BaseSmsBackend):
        def send_messages(self, messages):
            for message in messages:
                ...  # call the gateway; raise SmsError (or an OSError) when it refuses
            return len(messages)

Only the delivery outbox calls it (notifications/services/delivery.py): each SMS is a Delivery
row, tried until it succeeds or is parked after NOTIFICATIONS_MAX_ATTEMPTS, and every attempt is
recorded. A backend raises on failure and never retries on its own.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The gateway refused or failed to take the message (the attempt is retried later)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # a mainland mobile number, 11 digits
    text: str


class BaseSmsBackend:
    """What every SMS backend implements: `send_messages`, returning how many were taken."""

    def __init__(self, **kwargs) -> None:
        pass

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        raise NotImplementedError("an SMS backend must define send_messages()")


class ConsoleBackend(BaseSmsBackend):
    """Writes each message to standard output (the default: development and the demo)."""

    def __init__(self, *, stream: TextIO | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}: {message.text}\n")
                self.stream.write("-" * 79 + "\n")
            self.stream.flush()
        return len(messages)


# What LocMemBackend sent, like django.core.mail.outbox (tests read and clear it).
outbox: list[SmsMessage] = []


class LocMemBackend(BaseSmsBackend):
    """Keeps messages in `notifications.sms.outbox` (the test settings use it)."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend(path: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)(**kwargs)


def send_sms(to: str, text: str) -> int:
    return get_backend().send_messages([SmsMessage(to=to, text=text)])
