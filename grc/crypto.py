"""Encryption of sensitive fields at rest (DPP 2.4) with Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from ``FIELD_ENCRYPTION_KEY`` in the environment, never from the repository.
Rotation: put the new key first and the old keys after it, comma-separated
(``FIELD_ENCRYPTION_KEY=new,old``); values are read with any key and written with the first,
and ``python manage.py rotate_field_key`` re-encrypts every stored value with the new key,
after which the old key can be dropped.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet_for(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not a valid Fernet key list.") from exc


def fernet() -> MultiFernet:
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY)


def encrypt_text(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured("An encrypted field cannot be read with FIELD_ENCRYPTION_KEY.") from exc


def rotate_text(stored: str) -> str:
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; the app sees plain text.

    It cannot be filtered or ordered on in SQL: keep a separate non-PII field (an id, a
    keyed hash) where a lookup is needed. ``blank`` values are stored as an empty string.
    """

    description = "Text encrypted at rest with FIELD_ENCRYPTION_KEY"
    is_encrypted = True  # read by the audit trail: names of such fields are logged, never values

    def from_db_value(self, value: str | None, expression: Any, connection: BaseDatabaseWrapper) -> str | None:
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)


class EncryptedCharField(EncryptedTextField):
    """Same as EncryptedTextField; rendered as a single-line input in forms."""

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(form_class=form_class, choices_form_class=choices_form_class, **kwargs)


def blind_index(value: str) -> str:
    """A keyed SHA-256 of a normalised value, for finding encrypted values without decrypting.

    Keyed with the current field key, so the hash reveals nothing without the key; after a key
    rotation, ``rotate_field_key`` recomputes the stored indexes.
    """

    key = settings.FIELD_ENCRYPTION_KEY.split(",")[0].strip().encode()
    return hmac.new(key, value.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
