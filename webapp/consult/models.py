"""ConsultRequest (参加の相談 from the public site) and OfficeDistrict (which office covers a district).

The resident's name/nickname, contact and message are encrypted at rest (cases' EncryptedText).
No health details are asked for. The consent text's version is stored with the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.cases.models import EncryptedText
from webapp.orm import Base, utcnow

if TYPE_CHECKING:
    from webapp.accounts.models.user import Office

CONTACT_METHODS = ("phone", "mail")
# What the resident would like (the two phrases on every activity page, and a general one).
WISHES = ("anxious", "accompany", "find")
STATUSES = ("new", "received")


class OfficeDistrict(Base):
    """The office that receives 参加の相談 from residents of a district (one office per district)."""

    __tablename__ = "office_district"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), index=True)
    district_code: Mapped[str] = mapped_column(String(50), unique=True)

    office: Mapped[Office] = relationship()


class ConsultRequest(Base):
    __tablename__ = "consult_request"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'received')", name="status"),
        CheckConstraint("contact_method IN ('phone', 'mail')", name="contact_method"),
        Index("ix_consult_request_office_status", "office_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="SET NULL"))
    district: Mapped[str] = mapped_column(String(50), default="")
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(EncryptedText, default="")
    contact_method: Mapped[str] = mapped_column(String(10), default="phone")
    contact: Mapped[str] = mapped_column(EncryptedText, default="")
    wishes: Mapped[list[str]] = mapped_column(default=list)
    message: Mapped[str] = mapped_column(EncryptedText, default="")
    consent_version: Mapped[str] = mapped_column(String(30))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    received_at: Mapped[datetime | None] = mapped_column()
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The case (Person: the 受付) opened from this request by 「受付する」; cleared if that case is deleted.
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)

    office: Mapped[Office | None] = relationship()
