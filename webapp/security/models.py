"""AuditEvent (監査ログ): append-only record of reads and changes of protected data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.orm import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RateLimitHit(Base):
    """One rate-limit counter (flask-limiter's fixed window): webapp.security.rate_limits.

    ``key`` is flask-limiter's key behind the site's prefix (site_key:limits:LIMITER/<address>/<route>/5/1/hour);
    the count restarts when ``expires_at`` has passed. Expired rows are reused by the next hit of
    their key and deleted by `odekake purge-login-attempts`.
    """

    __tablename__ = "rate_limit_hit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
