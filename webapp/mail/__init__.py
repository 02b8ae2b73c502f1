"""Outgoing mail. Every message is kept in the outbox table; with `smtp_host` set it is also sent.

In development and tests nothing leaves the machine: the outbox is the mailbox, shown on a dev-only
page. Sending happens after the request's commit, so a rolled-back sign-up never mails anyone.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.config import Settings
from webapp.mail.models import OutboxMessage
from webapp.orm import utcnow


def queue_mail(session: Session, settings: Settings, to: str, subject: str, body: str) -> OutboxMessage:
    """Record a message; deliver it by SMTP after commit when SMTP is configured."""
    message = OutboxMessage(to=to, subject=subject[:300], body=body)
    session.add(message)
    session.flush()
    if settings.smtp_host:
        message_id = message.id
        if has_request_context():
            from webapp.boundary import after_commit

            after_commit(lambda: deliver_after_commit(settings, message_id))
    return message


def deliver_after_commit(settings: Settings, message_id: int) -> None:
    """Send one queued message in its own transaction (the request's has committed already)."""
    from webapp.extensions import db

    with db.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        if message is not None and message.sent_at is None:
            deliver(session, settings, message)


def deliver(session: Session, settings: Settings, message: OutboxMessage) -> bool:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
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
