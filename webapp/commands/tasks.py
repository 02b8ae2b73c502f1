"""Job functions behind the timer commands (reconfirmations, purges, mail): each command hands its
function to the queue when Redis is configured (`odekake worker` runs it), or runs it here.

They live with the commands, the composition root, because they reach across features; a job
function takes plain values and returns a one-line summary (kept as the RQ job's result).
"""

from __future__ import annotations


def send_reconfirmations(base_url: str | None = None) -> str:
    from flask import current_app

    from webapp.config import settings as current_settings
    from webapp.extensions import db
    from webapp.listings.freshness import send_reconfirmations as send
    from webapp.mail import mail_link, send_pending

    settings = current_settings()
    # A request context for the mail text's language only; the links come from base_url.
    with current_app.test_request_context(), db.transaction() as session:
        count = send(session, settings, lambda t: mail_link(settings, "organizer.reconfirm", base_url, token=t))
    handed = send_pending(settings)
    return f"reconfirmation requests: {count} listing(s); mails handed to delivery: {handed}"


def send_mail() -> str:
    from webapp.config import settings as current_settings
    from webapp.mail import send_pending

    return f"unsent mails handed to delivery: {send_pending(current_settings())}"


def purge_cases() -> str:
    from webapp.cases.services import purge_expired
    from webapp.extensions import db

    with db.transaction() as session:
        count = purge_expired(session)
    return f"deleted {count} closed cases past retention"


def purge_login_attempts() -> str:
    from webapp.accounts import throttle
    from webapp.extensions import db
    from webapp.security.rate_limits import purge_expired

    with db.transaction() as session:
        count = throttle.purge(session)
    assert db.engine is not None
    counters = purge_expired(db.engine)
    return (
        f"deleted {count} login attempts older than {throttle.KEEP.days} days"
        f" and {counters} rate-limit counters whose window had ended"
    )


def remind_hosts(base_url: str | None = None) -> str:
    """Remind hosts (once) of 受け入れのご相談 unanswered after proposal_overdue_days."""
    from flask import current_app

    from webapp.config import settings as current_settings
    from webapp.extensions import db
    from webapp.hosts.requests import remind_unanswered, request_link
    from webapp.mail import send_pending

    settings = current_settings()
    # A request context for the mail text's language only; the links come from base_url.
    with current_app.test_request_context(), db.transaction() as session:
        count = remind_unanswered(session, settings, request_link(settings, base_url))
    handed = send_pending(settings)
    return f"host reminders: {count} request(s); mails handed to delivery: {handed}"
