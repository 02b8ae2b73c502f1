"""Optional TOTP second factor (RFC 6238, pyotp) with single-use recovery codes.

Codes are accepted one step either side of now (clock drift on phones) and never twice: the last
accepted step is stored, so a code read over a shoulder cannot be replayed. Recovery codes are 80-bit
random values stored as SHA-256 digests and burned on use. The secret itself is stored encrypted
(Fernet, settings.encryption_key — the key of the encrypted case fields, rotated the same way).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models.security import RecoveryCode, TotpCredential
from webapp.accounts.models.user import User
from webapp.accounts.sessions import digest
from webapp.orm import utcnow
from webapp.security import crypto
from webapp.service_error import ServiceError

log = logging.getLogger(__name__)

ISSUER = "おでかけマップ"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud over the phone
_RECOVERY_RE = re.compile(r"[^a-z0-9]")


def credential(dbs: Session, user: User) -> TotpCredential | None:
    return dbs.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def enabled(dbs: Session, user: User) -> bool:
    cred = credential(dbs, user)
    return cred is not None and cred.confirmed_at is not None


def begin_enrolment(dbs: Session, user: User) -> TotpCredential:
    """A new unconfirmed secret (replacing an earlier unconfirmed one); refuses when already on."""
    cred = credential(dbs, user)
    if cred is not None and cred.confirmed_at is not None:
        raise ValueError("TOTP is already enabled")
    if cred is None:
        cred = TotpCredential(user_id=user.id, secret_enc=crypto.encrypt(pyotp.random_base32()))
        dbs.add(cred)
    dbs.flush()
    return cred


def secret_of(cred: TotpCredential) -> str:
    """The base32 secret, decrypted (shown once at enrolment, and used to check codes)."""
    return crypto.decrypt(cred.secret_enc)


def provisioning_uri(cred: TotpCredential, user: User) -> str:
    return pyotp.TOTP(secret_of(cred)).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images; no inline script or style)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5))


def _match_step(cred: TotpCredential, code: str, now: float | None = None) -> int | None:
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    try:
        totp = pyotp.TOTP(secret_of(cred))
    except ServiceError:
        # Not decryptable with the configured key (e.g. restored under another key): refuse every
        # code rather than fail open or crash; an administrator re-enrols the user.
        log.error("TOTP secret of user %s cannot be decrypted with the configured key", cred.user_id)
        return None
    now = time.time() if now is None else now
    step_now = int(now // totp.interval)
    found = None
    for step in (step_now - 1, step_now, step_now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    if found is None or found <= cred.last_step:
        return None
    return found


def confirm(dbs: Session, user: User, code: str, now: float | None = None) -> list[str] | None:
    """Turn TOTP on when `code` matches the pending secret; returns the new recovery codes."""
    cred = credential(dbs, user)
    if cred is None or cred.confirmed_at is not None:
        return None
    step = _match_step(cred, code, now)
    if step is None:
        return None
    cred.last_step = step
    cred.confirmed_at = utcnow()
    dbs.flush()
    return new_recovery_codes(dbs, user)


def new_recovery_codes(dbs: Session, user: User) -> list[str]:
    """Replace every recovery code of `user`; the plain codes are shown once and never stored."""
    for old in dbs.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        dbs.delete(old)
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        dbs.add(RecoveryCode(user_id=user.id, code_hash=digest(raw)))
    dbs.flush()
    return codes


def remaining_recovery_codes(dbs: Session, user: User) -> int:
    rows = dbs.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    return len(rows)


def verify(dbs: Session, user: User, code: str, now: float | None = None) -> str | None:
    """Check a second-factor code. Returns "totp" or "recovery" on success, None otherwise."""
    cred = credential(dbs, user)
    if cred is None or cred.confirmed_at is None:
        return None
    step = _match_step(cred, code, now)
    if step is not None:
        cred.last_step = step
        dbs.flush()
        return "totp"
    folded = _RECOVERY_RE.sub("", code.lower())
    if len(folded) != 16:
        return None
    row = dbs.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest(folded), RecoveryCode.used_at.is_(None)
        )
    )
    if row is None:
        return None
    row.used_at = utcnow()
    dbs.flush()
    return "recovery"


def disable(dbs: Session, user: User) -> None:
    cred = credential(dbs, user)
    if cred is not None:
        dbs.delete(cred)
    for row in dbs.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        dbs.delete(row)
    dbs.flush()
