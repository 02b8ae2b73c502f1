"""F6 and F7 (Security round 2): sign-up does the same Argon2 work for taken and new addresses, and
whoever signs up someone else's address sets nothing that goes live when the owner verifies it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import outbox_links
from tests.helpers import csrf_token, login
from webapp.accounts import passwords
from webapp.accounts.models.user import User

ATTACKER_PASSWORD = "attacker chosen secret"
VICTIM_PASSWORD = "my very own passphrase"


def _sign_up(client: FlaskClient, email: str, password: str = ATTACKER_PASSWORD) -> Any:
    token = csrf_token(client, "/auth/signup")
    return client.post(
        "/auth/signup",
        data={"csrf_token": token, "email": email, "password": password, "display_name": "X",
              "organization_name": "乗っ取りの会", "organization_kind": "other"},
    )  # fmt: skip


def _login_status(client: FlaskClient, email: str, password: str) -> int:
    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password})
    return r.status_code


# --- F7: pre-registration takeover ---------------------------------------------------------------


def test_attacker_password_never_goes_live_when_the_victim_verifies(app: Flask, session: Session) -> None:
    attacker, victim = app.test_client(), app.test_client()
    assert _sign_up(attacker, "victim@example.org").status_code == 302
    # the victim opens the link from their mailbox: it asks them to choose their password
    link = outbox_links(victim, "victim@example.org", "/auth/verify/")[0]
    page = victim.get(link)
    assert page.status_code == 200 and 'type="password"' in page.get_data(as_text=True)
    token = csrf_token(victim, link)
    r = victim.post(link, data={"csrf_token": token, "password": VICTIM_PASSWORD, "confirm": VICTIM_PASSWORD})
    assert r.status_code == 302
    # the attacker's password does not open the account; the victim's does
    assert _login_status(attacker, "victim@example.org", ATTACKER_PASSWORD) == 200
    login(victim, "victim@example.org", VICTIM_PASSWORD)
    user = session.scalar(select(User).where(User.email == "victim@example.org"))
    assert user is not None and user.active


def test_verification_page_shows_policy_errors_beside_the_field(app: Flask, session: Session) -> None:
    client = app.test_client()
    _sign_up(client, "hana@example.org")
    link = outbox_links(client, "hana@example.org", "/auth/verify/")[0]
    token = csrf_token(client, link)
    r = client.post(f"{link}?lang=en", data={"csrf_token": token, "password": "short", "confirm": "short"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.search(r'class="field__error" id="password-error">[^<]*at least 10 characters', body), body[-3000:]
    user = session.scalar(select(User).where(User.email == "hana@example.org"))
    assert user is not None and not user.active


def test_password_reset_works_for_an_unverified_account_and_verifies_it(app: Flask, session: Session) -> None:
    attacker, victim = app.test_client(), app.test_client()
    _sign_up(attacker, "owner@example.org")
    token = csrf_token(victim, "/auth/password/forgot")
    victim.post("/auth/password/forgot", data={"csrf_token": token, "email": "owner@example.org"})
    link = outbox_links(victim, "owner@example.org", "/auth/password/reset/")[0]
    token = csrf_token(victim, link)
    r = victim.post(link, data={"csrf_token": token, "password": VICTIM_PASSWORD, "confirm": VICTIM_PASSWORD})
    assert r.status_code == 302
    login(victim, "owner@example.org", VICTIM_PASSWORD)
    assert _login_status(attacker, "owner@example.org", ATTACKER_PASSWORD) == 200


# --- F6: sign-up timing --------------------------------------------------------------------------


@pytest.fixture()
def argon2_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = passwords._hasher

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def hash(self, password: str, **kw: Any) -> str:
            calls.append("hash")
            return real.hash(password, **kw)

        def verify(self, stored: str, password: str) -> bool:
            calls.append("verify")
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    return calls


def test_taken_and_new_addresses_cost_the_same_argon2_work(
    client: FlaskClient, make_user: Any, argon2_hashes: list[str]
) -> None:
    make_user("taken@example.org", "organizer")
    bodies = []
    counts = []
    for email in ("taken@example.org", "fresh@example.org"):
        argon2_hashes.clear()
        r = _sign_up(client, email)
        counts.append(list(argon2_hashes))
        bodies.append((r.status_code, r.headers.get("Location")))
    assert counts[0] == counts[1] == ["hash"], counts
    assert bodies[0] == bodies[1]
