"""Fields encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).

The key comes from the environment (`FIELD_ENCRYPTION_KEY`: one or more comma-separated
Fernet keys, the first encrypts, every one decrypts, so a key is rotated by putting the new one
first); without it, a key is derived from SECRET_KEY (changing SECRET_KEY then makes the values
unreadable: production sets FIELD_ENCRYPTION_KEY, docs/operations.md). The database holds only
tokens: a copy of it alone reveals nothing. Encrypted values cannot be searched or indexed.
"""

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = ["EncryptedTextField", "decrypt", "encrypt", "fernet"]


def _keys() -> list[bytes]:
    configured = [k.strip() for k in (settings.FIELD_ENCRYPTION_KEY or "").split(",") if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    digest = hashlib.sha256(f"field-encryption:{settings.SECRET_KEY}".encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated."
        ) from exc


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; reads give the plain text back ("" stays "")."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "An encrypted value cannot be read with FIELD_ENCRYPTION_KEY: was the key "
                "changed without keeping the old one after it?"
            ) from exc

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
