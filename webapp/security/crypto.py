"""Field encryption for case data (要配慮個人情報): Fernet with settings.encryption_key.

A case's name and contact are stored only as Fernet tokens. The key comes from settings (env
ODEKAKE_ENCRYPTION_KEY in production); development and tests generate one into instance/.
Rotation: MultiFernet accepts several comma-separated keys, the first encrypts.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from webapp.config import settings
from webapp.service_error import ServiceError


def make_cipher(key_text: str) -> MultiFernet:
    keys = [k.strip() for k in key_text.split(",") if k.strip()]
    if not keys:
        raise ServiceError("no_encryption_key", "encryption_key is not set; case fields cannot be stored")
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


# Engine dialect → key, so that an encrypted column (models.case.EncryptedText) is read and written
# with the key of the app that made its engine, also outside an app context (CLI helpers, tests).
_ENGINE_KEYS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def bind_engine_key(engine: Any, key_text: str) -> None:
    _ENGINE_KEYS[engine.dialect] = key_text


@functools.lru_cache(maxsize=8)
def _cached_cipher(key_text: str) -> MultiFernet:
    return make_cipher(key_text)


def key_text_for_dialect(dialect: Any) -> str | None:
    """The key text bound to this engine's dialect (webapp.cases.name_index derives its HMAC key)."""
    return _ENGINE_KEYS.get(dialect)


def cipher_for_dialect(dialect: Any) -> MultiFernet | None:
    """The cipher bound to this engine's dialect, or None (then the current app's key is used)."""
    key = _ENGINE_KEYS.get(dialect)
    return _cached_cipher(key) if key else None


def _cipher() -> MultiFernet:

    return make_cipher(settings().encryption_key)


def encrypt(plain: str, cipher: MultiFernet | None = None) -> str:
    """Empty stays empty (an absent name is not a secret); anything else becomes a token."""
    if not plain:
        return ""
    return (cipher or _cipher()).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str, cipher: MultiFernet | None = None) -> str:
    if not token:
        return ""
    try:
        return (cipher or _cipher()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ServiceError("bad_ciphertext", "a stored field cannot be decrypted with the configured key") from None


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
