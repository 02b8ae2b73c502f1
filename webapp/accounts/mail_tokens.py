"""Organizer accounts: self sign-up with e-mail verification, invitations, password reset.

Verification and invitation links carry signed, expiring tokens (itsdangerous): a verification token
names the user and e-mail and only works while the account is unverified; an invitation names the
e-mail and organization. Password reset uses the single-use, digest-stored tokens of
webapp.accounts.services (issue/peek/consume_reset_token), and set_password() ends every session.
An unverified account is simply `active=False`: login refuses it until the link is opened. The
password is chosen on the page the verification link opens (or by a password reset, which verifies
the address too), never at sign-up: whoever signs up an address they do not own sets nothing.
Responses never reveal whether an e-mail address has an account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models.user import User
from webapp.accounts.services import (
    awaiting_verification,
    check_new_password,
    normalise_email,
    set_password,
)
from webapp.config import Settings, settings
from webapp.mail import mail_link, queue_mail
from webapp.security.audit import record
from webapp.service_error import ServiceError

VERIFY_MAX_AGE = 3 * 24 * 3600
INVITE_MAX_AGE = 14 * 24 * 3600

LinkFor = Callable[[str], str]


def verify_link(token: str) -> str:
    """The address-verification link of a mail, built on base_url (never the request's Host)."""
    return mail_link(settings(), "auth.verify_email", token=token)


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"odekake.{purpose}")


def make_token(settings: Settings, purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(settings, purpose).dumps(payload)


def read_token(settings: Settings, purpose: str, token: str, max_age: int) -> dict[str, Any] | None:
    try:
        value = _serializer(settings, purpose).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    return value if isinstance(value, dict) else None


# ------------------------------------------------------------------------------------------------
# sign-up and verification


def send_verification(session: Session, settings: Settings, user: User, verify_link: LinkFor) -> None:
    token = make_token(settings, "verify", {"u": user.id, "e": user.email})
    queue_mail(
        session,
        settings,
        user.email,
        _("おでかけマップ: メールアドレスの確認"),
        _("次のリンクを開き、パスワードを決めると登録が完了します（3日間有効）。")
        + "\n\n"
        + verify_link(token)
        + "\n\n"
        + _("心当たりがない場合は、このメールを破棄してください。")
        + "\n",
    )


def resend_verification(session: Session, settings: Settings, email: str, verify_link: LinkFor) -> None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and awaiting_verification(user):
        send_verification(session, settings, user, verify_link)


def verification_user(session: Session, settings: Settings, token: str) -> User | None:
    """The account a valid verification link names, or None (bad, expired or for another address)."""
    payload = read_token(settings, "verify", token, VERIFY_MAX_AGE)
    if not payload:
        return None
    user = session.get(User, payload.get("u"))
    if user is None or user.email != payload.get("e"):
        return None
    return user


def complete_verification(session: Session, settings: Settings, token: str, password: str) -> User:
    """Verify the address and set the password the owner chose (replacing whatever was there).

    Only a never-used account is activated by the link; a suspended one stays suspended.
    """
    user = verification_user(session, settings, token)
    if user is None or not awaiting_verification(user):
        raise ServiceError("bad_token", _("リンクの有効期限が切れたか、正しくありません。"), "token")
    set_password(session, user, password)  # applies the password policy
    user.active = True
    record(session, "organizer.verify_email", "user", user.id, user_id=user.id)
    session.flush()
    return user


# ------------------------------------------------------------------------------------------------
# password reset


def request_password_reset(session: Session, settings: Settings, email: str, reset_link: LinkFor) -> None:
    """Mail a single-use reset link (the token service of webapp.accounts.services stores its digest)."""
    from webapp.accounts.services import issue_reset_token

    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    # An unverified account may reset too: the mail proves the address, so the reset verifies it.
    if user is None or not (user.active or awaiting_verification(user)):
        return
    token = issue_reset_token(session, user)
    queue_mail(
        session,
        settings,
        user.email,
        _("おでかけマップ: パスワードの再設定"),
        _("次のリンクから新しいパスワードを設定してください（1時間有効、1回限り）。")
        + "\n\n"
        + reset_link(token)
        + "\n\n"
        + _("心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。")
        + "\n",
    )
    record(session, "auth.password_reset_requested", "user", user.id, user_id=user.id)


def user_for_reset(session: Session, settings: Settings, token: str) -> User | None:
    from webapp.accounts.services import peek_reset_token

    return peek_reset_token(session, token)


def reset_password(session: Session, settings: Settings, token: str, password: str) -> User:
    """Use up the token and set the password; every session of the user ends (set_password)."""
    from webapp.accounts.services import consume_reset_token

    owner = user_for_reset(session, settings, token)
    if owner is None:
        raise ServiceError("bad_token", _("リンクの有効期限が切れたか、すでに使われています。"), "token")
    # The policy (with this user's address) before the token is used up: a refused password
    # leaves the link working for the next try. set_password applies the same policy again.
    check_new_password(password, owner.email)
    user = consume_reset_token(session, token)
    if user is None:
        raise ServiceError("bad_token", _("リンクの有効期限が切れたか、すでに使われています。"), "token")
    set_password(session, user, password)
    record(session, "auth.password_reset", "user", user.id, user_id=user.id)
    if not user.active:
        # consume_reset_token only hands out active or awaiting-verification accounts.
        user.active = True
        record(session, "organizer.verify_email", "user", user.id, {"via": "password_reset"}, user_id=user.id)
    session.flush()
    return user


