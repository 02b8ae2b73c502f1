"""Argon2id password hashing; a dummy verify keeps unknown-user and wrong-password timing alike.

New passwords are refused when too short, too long, or on the shipped list of common passwords
(data/common-passwords.txt, ~10k entries from well-known patterns; no network at run time).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from webapp.config import PROJECT_ROOT

MIN_LENGTH = 10
# Argon2 is fed the whole string; an unbounded one is a cheap way to burn server CPU.
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = PROJECT_ROOT / "data" / "common-passwords.txt"
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("odekake-dummy-password-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend the same time as a real verify (used when a locked or unknown account is tried)."""
    verify_password(None, password)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def is_common(password: str) -> bool:
    folded = password.strip().lower()
    if folded in common_passwords():
        return True
    # "password1234!!" and "aaaaaaaaaaaa": strip the padding people add to pass length rules.
    core = folded.rstrip("0123456789!@#$%^&*?._- ")
    return (bool(core) and core in common_passwords()) or len(set(folded)) <= 2


def password_problem(password: str, email: str = "") -> str | None:
    """A reason code when a new password is unacceptable, else None.

    Codes: too_short, too_long, common (on the shipped list), like_email (contains the mailbox name).
    """
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if is_common(password):
        return "common"
    local = email.split("@", 1)[0].strip().lower()
    if len(local) >= 4 and local in password.lower():
        return "like_email"
    return None
