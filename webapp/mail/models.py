"""The outbox: every mail the site sends is a row here before (and whether or not) it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.orm import Base, utcnow


class OutboxMessage(Base):
    """Every mail the site sends; in development and tests this table is the mailbox."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(String(300), default="")
