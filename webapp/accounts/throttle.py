"""Login throttling per account and per IP, stored in the database so it survives a restart.

Policy: 5 failed attempts for one e-mail address within 15 minutes lock that address until the
oldest of those failures is 15 minutes old; a successful login clears the count. The same address
is locked whether or not an account exists, so a lock never tells an attacker that an account is
real. Per IP the limit is higher (20 / 15 min): a city hall puts every staff PC behind one NAT
address and five typos across an office must not lock everyone out; flask-limiter's per-minute
limit on the login route stays in front of this.

Expiry: rows older than KEEP are deleted a batch at a time by every failed attempt (purge_some),
so the table stays bounded without a timer the city must remember; `odekake purge-login-attempts`
deletes them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from webapp.accounts.models.security import LoginAttempt
from webapp.orm import utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
# Rows older than this are no use to throttling; kept a while as a record of attacks.
KEEP = timedelta(days=90)
# Expired rows deleted by one failed attempt (see purge_some).
PURGE_BATCH = 200


# Second-factor attempts are counted under their own key, so that a correct password (which clears
# the password count) does not clear them: else right password + 4 wrong codes, again and again,
# guesses codes without end. Only a correct code clears them. ":" cannot occur in an address the
# login form accepts, so no one can type this key as an e-mail address.
SECOND_FACTOR_PREFIX = "2fa:"


def second_factor_key(email: str) -> str:
    return (SECOND_FACTOR_PREFIX + email)[:254]


@dataclass(frozen=True)
class Lock:
    """Why and until when further attempts are refused."""

    scope: str  # "account" | "ip"
    until: datetime

    def minutes_left(self, now: datetime | None = None) -> int:
        seconds = (self.until - (now or utcnow())).total_seconds()
        return max(1, int(seconds + 59) // 60)


def _failures_since(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> list[datetime]:
    rows = session.scalars(
        select(LoginAttempt.at)
        .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(max(MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP))
    ).all()
    return list(rows)


def _last_success(session: Session, email: str) -> datetime | None:
    return session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.success.is_(True))
    )


def check(session: Session, email: str, ip: str, now: datetime | None = None) -> Lock | None:
    """The lock in force for this address or IP, or None when an attempt may proceed."""
    now = now or utcnow()
    since = now - WINDOW
    success = _last_success(session, email)
    account_since = max(since, success) if success else since
    failures = _failures_since(session, LoginAttempt.email, email, account_since)
    if len(failures) >= MAX_FAILURES_PER_ACCOUNT:
        return Lock("account", failures[MAX_FAILURES_PER_ACCOUNT - 1] + WINDOW)
    if ip:
        failures = _failures_since(session, LoginAttempt.ip, ip, since)
        if len(failures) >= MAX_FAILURES_PER_IP:
            return Lock("ip", failures[MAX_FAILURES_PER_IP - 1] + WINDOW)
    return None


def record(session: Session, email: str, ip: str, success: bool, now: datetime | None = None) -> None:
    session.add(LoginAttempt(email=email[:254], ip=ip[:64], success=success, at=now or utcnow()))
    session.flush()


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete every attempt older than KEEP; returns how many (`odekake purge-login-attempts`)."""
    result = session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.at < (now or utcnow()) - KEEP)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_some(session: Session, now: datetime | None = None, limit: int = PURGE_BATCH) -> int:
    """Delete up to `limit` expired attempts: run on every failed attempt, so expiry needs no cron.

    Only the `limit` oldest rows by primary key are looked at (ids grow with time), so a call costs
    the same however large an attack has made the table, and each failure removes more expired rows
    than it adds.
    """
    cutoff = (now or utcnow()) - KEEP
    oldest = session.execute(select(LoginAttempt.id, LoginAttempt.at).order_by(LoginAttempt.id).limit(limit)).all()
    ids = [row_id for row_id, at in oldest if at < cutoff]
    if ids:
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.id.in_(ids)).execution_options(synchronize_session=False)
        )
        session.flush()
    return len(ids)
