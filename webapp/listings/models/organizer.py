"""Organizer side: who belongs to which organization, proposed listing changes, photos, reconfirmation notices.

An organizer never writes to a published Activity directly: each edit is an ActivityRevision (a JSON
snapshot of the form) that a moderator approves, so the public page keeps the last approved version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models.user import User
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.orm import Base, TimestampMixin, utcnow

REVISION_STATUSES = ("draft", "pending", "approved", "changes_requested", "rejected")
PHOTO_STATUSES = ("pending", "published", "removed")


class OrganizationMembership(Base):
    __tablename__ = "organization_membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()


class ActivityRevision(TimestampMixin, Base):
    __tablename__ = "activity_revision"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'pending', 'approved', 'changes_requested', 'rejected')", name="status"
        ),
        # The moderation queue reads pending revisions oldest first.
        Index("ix_activity_revision_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    message: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    activity: Mapped[Activity] = relationship()
    organization: Mapped[Organization] = relationship()


class Photo(Base):
    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Server-generated, unguessable; the stored files are named after it, never after the upload.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    alt_text: Mapped[str] = mapped_column(String(300))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReconfirmationNotice(Base):
    """A "still running as shown?" mail sent for an activity; flagged when not answered in time."""

    __tablename__ = "reconfirmation_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()

    activity: Mapped[Activity] = relationship()
