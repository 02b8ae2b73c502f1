"""Outgoing mail. Every message is kept in the outbox table; with `smtp_host` set it is also sent.

In development and tests nothing leaves the machine: the outbox is the mailbox, shown on a dev-only
page. Sending is a job (webapp.jobs) handed over after the request's commit, so a rolled-back
sign-up never mails anyone: on the queue with retries and backoff when Redis is configured, inline
otherwise. A message still unsent after its retries stays in the outbox with its error;
`odekake send-mail` (a timer) hands every unsent message to the queue again.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.config import Settings
from webapp.config import settings as current_settings
from webapp.jobs import MAIL_RETRY, enqueue
from webapp.mail.models import OutboxMessage
from webapp.orm import utcnow


def mail_link(settings: Settings, endpoint: str, base_url: str | None = None, **values: Any) -> str:
    """An absolute link for a mail, on the configured site address (settings.base_url).

    Never on the request's Host header: a client chooses that, and a reset link pointing at the
    client's host hands it the token.
    """
    parts = urlsplit(base_url or settings.base_url)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


class InsecureTransport(smtplib.SMTPException):
    """The server did not offer STARTTLS although smtp_tls requires it: nothing is sent in clear."""


def queue_mail(session: Session, settings: Settings, to: str, subject: str, body: str) -> OutboxMessage:
    """Record a message; in a request, a delivery job follows the commit when SMTP is configured.

    Outside a request (commands) the caller commits first, then calls :func:`send_pending`.
    """
    message = OutboxMessage(to=to, subject=subject[:300], body=body)
    session.add(message)
    session.flush()
    if settings.smtp_host and has_request_context():
        enqueue(deliver_message, message.id, retry=MAIL_RETRY)
    return message


class DeliveryFailed(RuntimeError):
    """SMTP refused or could not be reached: raised by the job so that the queue retries it."""


def deliver_message(message_id: int) -> None:
    """Job: send one outbox message in its own transaction (the request's has committed already)."""
    from webapp.extensions import db

    settings = current_settings()
    if not settings.smtp_host:
        return
    with db.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.sent_at is not None:
            return
        sent = deliver(session, settings, message)
        error = message.error
    if not sent:  # after the commit: the error stays recorded while the queue retries
        raise DeliveryFailed(f"outbox message {message_id}: {error}")


def send_pending(settings: Settings) -> int:
    """Hand every unsent message to a delivery job; returns how many. Outside a request, after the
    caller's commit (it reads in a transaction of its own)."""
    from webapp.extensions import db

    if not settings.smtp_host:
        return 0
    with db.transaction() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        ids = list(session.scalars(query))
    for message_id in ids:
        enqueue(deliver_message, message_id, retry=MAIL_RETRY)
    return len(ids)


def deliver(session: Session, settings: Settings, message: OutboxMessage) -> bool:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    try:
        with _connect(settings) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        message.error = str(exc)[:300]
        session.flush()
        return False
    message.sent_at = utcnow()
    message.error = ""
    # Links in the body are credentials (verification, reset); once delivered they need not stay here.
    message.body = ""
    session.flush()
    return True


def _connect(settings: Settings) -> smtplib.SMTP:
    """An SMTP connection as settings.smtp_tls requires, certificates verified against the system CAs.

    "starttls" fails when the server does not offer it: a stripped STARTTLS (a machine in the path
    removing it from the EHLO answer) must not turn reset links into clear text.
    """
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=20, context=context)
        return smtp
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
    try:
        smtp.ehlo()
        if settings.smtp_tls == "starttls":
            if not smtp.has_extn("starttls"):
                raise InsecureTransport(f"{settings.smtp_host} does not offer STARTTLS; not sending in clear")
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver_pending(session: Session, settings: Settings) -> int:
    """Retry unsent messages (CLI); returns how many were sent."""
    if not settings.smtp_host:
        return 0
    sent = 0
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))):
        sent += deliver(session, settings, message)
    return sent


def outbox(session: Session, to: str | None = None, limit: int = 50) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if to:
        query = query.where(OutboxMessage.to == to)
    return list(session.scalars(query))
