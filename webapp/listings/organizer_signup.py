"""Organizers join through sign-up or an invitation: the account (webapp.accounts) and its
organization (listings) are made together here, so accounts never needs to know about listings.

Tokens, verification and password reset are webapp.accounts.mail_tokens'.
"""

from __future__ import annotations

import secrets
import uuid

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.mail_tokens import INVITE_MAX_AGE, LinkFor, make_token, read_token, send_verification
from webapp.accounts.models.user import RoleMembership, User
from webapp.accounts.passwords import hash_password, password_problem
from webapp.accounts.services import awaiting_verification, create_user, normalise_email
from webapp.config import Settings
from webapp.listings.models.organization import ORGANIZATION_KINDS, Organization
from webapp.listings.organizer import add_member, plain_text
from webapp.mail import queue_mail
from webapp.security.audit import record
from webapp.service_error import ServiceError


def _placeholder_password(email: str) -> str:
    """A random password nobody is told: the account's own is chosen on the verification page."""
    while True:
        password = secrets.token_urlsafe(32)
        if password_problem(password, email) is None:
            return password


def sign_up(
    session: Session,
    settings: Settings,
    email: str,
    display_name: str,
    organization_name: str,
    organization_kind: str,
    verify_link: LinkFor,
) -> User | None:
    """Create an unverified organizer and their organization, and mail the verification link.

    No password is taken here: whoever signs an address up without owning it must not have a
    password that goes live when the owner opens the link. The owner chooses it on the page the
    link opens (complete_verification).

    Returns None when the address already has an account (mailing its owner a notice, or the
    verification link again while unverified), so the page shown is the same either way. Both
    paths hash one password with Argon2, so their timing does not tell them apart either.
    """
    email = normalise_email(email)
    org_name = plain_text(organization_name, 200)
    if not org_name:
        raise ServiceError("organization_required", _("団体名を入力してください。"), "organization_name")
    placeholder = _placeholder_password(email)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        hash_password(placeholder)  # the Argon2 work create_user does on the other path
        if awaiting_verification(existing):
            send_verification(session, settings, existing, verify_link)
            return None
        queue_mail(
            session,
            settings,
            email,
            _("おでかけマップ: 登録済みのメールアドレスです"),
            _("このメールアドレスはすでに登録されています。パスワードを忘れた場合は、ログイン画面から再設定してください。")
            + "\n",
        )
        return None
    user = create_user(session, email, placeholder, ["organizer"], display_name=plain_text(display_name, 200))
    user.active = False
    organization = Organization(
        source="organizer",
        source_id=uuid.uuid4().hex,
        name=org_name,
        kind=organization_kind if organization_kind in ORGANIZATION_KINDS else "other",
        # The sign-up address is a person's login, not the organization's public contact.
    )
    session.add(organization)
    session.flush()
    add_member(session, user, organization)
    record(session, "organizer.signup", "user", user.id, {"organization_id": organization.id}, user_id=user.id)
    send_verification(session, settings, user, verify_link)
    return user


# ------------------------------------------------------------------------------------------------
# invitations


def invite(
    session: Session,
    settings: Settings,
    inviter: User,
    email: str,
    organization: Organization,
    invite_link: LinkFor,
) -> None:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ServiceError("invalid_email", _("メールアドレスの形が正しくありません。"), "email")
    token = make_token(settings, "invite", {"e": email, "o": organization.id})
    queue_mail(
        session,
        settings,
        email,
        _("おでかけマップ: %(org)s の掲載担当者への招待", org=organization.name),
        _("%(org)s の活動情報を掲載・更新する担当者として招待されました。次のリンクから登録してください（14日間有効）。", org=organization.name)
        + "\n\n"
        + invite_link(token)
        + "\n",
    )
    record(session, "organizer.invite", "organization", organization.id, {"email": email}, user_id=inviter.id)


def read_invitation(session: Session, settings: Settings, token: str) -> tuple[str, Organization] | None:
    payload = read_token(settings, "invite", token, INVITE_MAX_AGE)
    if not payload:
        return None
    organization = session.get(Organization, payload.get("o"))
    if organization is None:
        return None
    return str(payload.get("e")), organization


def accept_invitation(
    session: Session, settings: Settings, token: str, password: str, display_name: str
) -> tuple[User, bool]:
    """Join the organization; creates the account when the address has none (the invitation mail
    proves the address). Returns the user and whether the account was created now."""
    invitation = read_invitation(session, settings, token)
    if invitation is None:
        raise ServiceError("bad_token", _("招待リンクの有効期限が切れています。"), "token")
    email, organization = invitation
    user = session.scalar(select(User).where(User.email == email))
    created = False
    if user is None:
        # create_user applies the password policy.
        user = create_user(session, email, password, ["organizer"], display_name=plain_text(display_name, 200))
        created = True
    elif "organizer" not in user.roles:
        user.memberships.append(RoleMembership(role="organizer"))
    add_member(session, user, organization)
    record(session, "organizer.invite_accepted", "organization", organization.id, user_id=user.id)
    session.flush()
    return user, created
