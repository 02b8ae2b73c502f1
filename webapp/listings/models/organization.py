"""Organization (団体・運営主体): who runs activities."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.orm import Base, TimestampMixin

if TYPE_CHECKING:
    from webapp.listings.models.activity import Activity

ORGANIZATION_KINDS = ("jichikai", "npo", "shakyo", "business", "city", "volunteer_group", "other")


class Organization(TimestampMixin, Base):
    __tablename__ = "organization"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(50), default="manual")
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(30), default="other")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    # Trusted organizations publish edits without moderation.
    trusted: Mapped[bool] = mapped_column(default=False)

    activities: Mapped[list[Activity]] = relationship(back_populates="organization")
