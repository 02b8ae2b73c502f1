"""Mail: the outbox always records; with SMTP configured, delivery happens after the commit."""

from __future__ import annotations

import re
import smtplib
from dataclasses import replace
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import new_listing, sign_up_and_verify
from tests.helpers import csrf_token
from webapp.mail import deliver, deliver_pending, queue_mail
from webapp.mail.models import OutboxMessage


class FakeSMTP:
    sent: ClassVar[list[EmailMessage]] = []
    fail = False

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port = host, port

    def __enter__(self) -> FakeSMTP:
        if FakeSMTP.fail:
            raise ConnectionRefusedError("connection refused")
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def ehlo(self) -> None:
        return None

    def has_extn(self, name: str) -> bool:
        return name == "starttls"

    def starttls(self, context: Any = None) -> None:
        return None

    def close(self) -> None:
        return None

    def send_message(self, message: EmailMessage) -> None:
        FakeSMTP.sent.append(message)


@pytest.fixture()
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.sent = []
    FakeSMTP.fail = False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def test_without_smtp_nothing_leaves(app: Flask, session: Session, fake_smtp: type[FakeSMTP]) -> None:
    settings = app.extensions["odekake_settings"]
    assert settings.smtp_host == ""
    message = queue_mail(session, settings, "a@example.org", "件名", "本文")
    assert message.sent_at is None and deliver_pending(session, settings) == 0 and fake_smtp.sent == []


def test_smtp_delivery_and_retry(app: Flask, session: Session, fake_smtp: type[FakeSMTP]) -> None:
    settings = replace(app.extensions["odekake_settings"], smtp_host="smtp.example.org", mail_from="map@example.org")
    fake_smtp.fail = True
    message = queue_mail(session, settings, "a@example.org", "確認", "リンク: https://example.org/x")
    assert not deliver(session, settings, message)
    assert message.sent_at is None and "refused" in message.error and message.body
    fake_smtp.fail = False
    assert deliver_pending(session, settings) == 1
    assert message.sent_at is not None and message.body == ""  # the link is not kept once delivered
    sent = fake_smtp.sent[0]
    assert sent["To"] == "a@example.org" and sent["From"] == "map@example.org" and sent["Subject"] == "確認"


def test_signup_mail_is_sent_after_commit(app: Flask, client: FlaskClient, session: Session, fake_smtp: type[FakeSMTP]) -> None:
    original = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(original, smtp_host="smtp.example.org")
    try:
        token = csrf_token(client, "/auth/signup")
        r = client.post(
            "/auth/signup",
            data={"csrf_token": token, "email": "smtp@example.org", "password": "correct horse battery",
                  "organization_name": "送信の会"},
        )
        assert r.status_code == 302
    finally:
        app.extensions["odekake_settings"] = original
    assert [m["To"] for m in fake_smtp.sent] == ["smtp@example.org"]
    assert "/auth/verify/" in fake_smtp.sent[0].get_content()
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.to == "smtp@example.org"))
    assert row is not None and row.sent_at is not None


def test_dev_outbox_is_not_served_in_production(app: Flask, client: FlaskClient) -> None:
    original = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(original, env="production")
    try:
        assert client.get("/organizer/dev/outbox").status_code == 404
    finally:
        app.extensions["odekake_settings"] = original


def test_new_listings_are_rate_limited(client: FlaskClient) -> None:
    sign_up_and_verify(client, "many@example.org")
    for _ in range(30):
        new_listing(client)
    page = client.get("/organizer/").get_data(as_text=True)
    org_id = re.search(r'name="organization_id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    token = csrf_token(client, "/organizer/")
    r = client.post("/organizer/activities/new", data={"csrf_token": token, "organization_id": org_id})
    assert r.status_code == 429
