"""Blind index of case names: find a Person by name without decrypting anyone's name.

A name is stored only as a Fernet token (Person.name_enc). Beside it, Person keeps two keyed
hashes (HMAC-SHA256): of the name normalised by jatext.fold with spaces removed (so 山田 花子,
山田　花子 and 山田花子 agree, as do full/half width and katakana/hiragana), and of its reading
(jatext.reading, folded the same way), so やまだはなこ or ヤマダハナコ typed in the search box finds
山田花子. A search computes the same hashes of what was typed and compares: equality only, the
whole name — on purpose no surname-only key, which would show which cases share a family name.

The HMAC key is derived (HKDF-SHA256) from the first key of settings.encryption_key, so whoever
can read the index without that key cannot test guessed names against it. After a key rotation
(a new first key) `odekake reindex-case-names` recomputes every row.

The index is kept in step by mapper events (before insert / before update, when name_enc
changed): every code path that sets a name — create, edit, import, demo — is covered without
calling anything. `keep_in_step()` registers them (once, from create_app).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from jatext.normalize import clean, fold
from webapp.cases.models import Person
from webapp.security.crypto import cipher_for_dialect, decrypt, key_text_for_dialect

_INFO = b"odekake person name blind index v1"


@lru_cache(maxsize=8)
def _hmac_key(key_text: str) -> bytes:
    first = next((k.strip() for k in key_text.split(",") if k.strip()), "")
    if not first:
        raise ValueError("encryption_key is not set")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(first.encode("ascii"))


def _key_text(dialect: Any | None = None) -> str:
    bound = key_text_for_dialect(dialect) if dialect is not None else None
    if bound:
        return bound
    from webapp.config import settings

    return settings().encryption_key


def normalised(text: str) -> str:
    """The matching key of a name: folded (jatext), without any space."""
    return "".join(fold(text).split())


def _reading_key(text: str) -> str:
    from jatext.reading import reading

    # Spaces out first: SudachiPy reads a space between 姓 and 名 as 「きごう」.
    return normalised(reading("".join(clean(text).split())))


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest() if text else ""


def name_keys(name: str, key_text: str) -> tuple[str, str]:
    """(HMAC of the normalised name, HMAC of its reading); both "" for no name."""
    key = _hmac_key(key_text)
    base = normalised(name)
    if not base:
        return "", ""
    return _mac(key, base), _mac(key, _reading_key(name))


def query_keys(q: str, key_text: str | None = None) -> set[str]:
    """The hashes a typed search may equal: as written, and as read (kanji typed → its reading)."""
    key = _hmac_key(key_text or _key_text())
    keys = {_mac(key, normalised(q)), _mac(key, _reading_key(q))}
    keys.discard("")
    return keys


def name_condition(q: str, key_text: str | None = None) -> Any:
    """SQL condition: the person's name or its reading equals what was typed (indexed columns)."""
    keys = sorted(query_keys(q, key_text))
    return or_(Person.name_index.in_(keys), Person.name_reading_index.in_(keys))


def matches(person: Person, q: str, key_text: str | None = None) -> bool:
    keys = query_keys(q, key_text)
    return bool(keys) and (person.name_index in keys or person.name_reading_index in keys)


def update(person: Person, name: str, key_text: str | None = None) -> None:
    person.name_index, person.name_reading_index = name_keys(name, key_text or _key_text())


def _before_write(_mapper: Any, connection: Any, target: Person) -> None:
    state = inspect(target)
    if state.persistent and not state.attrs.name_enc.history.has_changes():
        return
    key_text = _key_text(connection.dialect)
    name = decrypt(target.name_enc, cipher_for_dialect(connection.dialect)) if target.name_enc else ""
    target.name_index, target.name_reading_index = name_keys(name, key_text)


def keep_in_step() -> None:
    for name in ("before_insert", "before_update"):
        if not event.contains(Person, name, _before_write):
            event.listen(Person, name, _before_write)


def rebuild(session: Session) -> int:
    """Recompute every row (after a key rotation, or for rows written before the index existed)."""
    dialect = session.get_bind().dialect
    key_text = _key_text(dialect)
    cipher = cipher_for_dialect(dialect)
    count = 0
    for person in session.scalars(select(Person)):
        name = decrypt(person.name_enc, cipher) if person.name_enc else ""
        keys = name_keys(name, key_text)
        if (person.name_index, person.name_reading_index) != keys:
            person.name_index, person.name_reading_index = keys
            count += 1
    session.flush()
    return count
