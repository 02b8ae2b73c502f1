"""F18 (Security round 2): mail goes out over verified TLS, and a server that does not offer
STARTTLS gets nothing rather than the reset links in clear."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import replace
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from webapp.config import ConfigError, load_settings
from webapp.mail import deliver, queue_mail


class FakeSMTP:
    """Stands in for smtplib.SMTP / SMTP_SSL; records what the client did."""

    offers_starttls = True
    instances: ClassVar[list[FakeSMTP]] = []

    def __init__(self, host: str, port: int, timeout: float = 0, context: ssl.SSLContext | None = None) -> None:
        self.context = context
        self.tls_context: ssl.SSLContext | None = None
        self.sent: list[EmailMessage] = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def ehlo(self) -> None:
        return None

    def has_extn(self, name: str) -> bool:
        return name.lower() == "starttls" and self.offers_starttls

    def starttls(self, context: ssl.SSLContext | None = None) -> None:
        self.tls_context = context

    def send_message(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def close(self) -> None:
        return None


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.instances = []
    FakeSMTP.offers_starttls = True
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTP)
    return FakeSMTP


def _verifying(context: ssl.SSLContext | None) -> bool:
    return context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_starttls_with_a_verifying_context(app: Flask, session: Session, fake: type[FakeSMTP]) -> None:
    settings = replace(app.extensions["odekake_settings"], smtp_host="smtp.example.org")
    assert settings.smtp_tls == "starttls"  # the default
    message = queue_mail(session, settings, "a@example.org", "件名", "https://example.org/reset/x")
    assert deliver(session, settings, message)
    smtp = fake.instances[-1]
    assert _verifying(smtp.tls_context) and len(smtp.sent) == 1


def test_server_without_starttls_gets_nothing(app: Flask, session: Session, fake: type[FakeSMTP]) -> None:
    settings = replace(app.extensions["odekake_settings"], smtp_host="smtp.example.org")
    fake.offers_starttls = False
    message = queue_mail(session, settings, "a@example.org", "件名", "https://example.org/reset/x")
    assert not deliver(session, settings, message)
    assert fake.instances[-1].sent == []
    assert message.sent_at is None and "STARTTLS" in message.error and message.body  # kept for a retry


def test_smtps_verifies_and_none_is_explicit(app: Flask, session: Session, fake: type[FakeSMTP]) -> None:
    settings = replace(app.extensions["odekake_settings"], smtp_host="smtp.example.org", smtp_tls="ssl")
    assert deliver(session, settings, queue_mail(session, settings, "a@example.org", "s", "b"))
    assert _verifying(fake.instances[-1].context)
    fake.offers_starttls = False
    plain = replace(settings, smtp_tls="none")
    assert deliver(session, plain, queue_mail(session, plain, "a@example.org", "s", "b"))
    assert fake.instances[-1].tls_context is None


def test_smtp_tls_setting_is_checked(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="smtp_tls"):
        load_settings({"instance_dir": tmp_path, "env": "development", "smtp_tls": "maybe"}, environ={})
