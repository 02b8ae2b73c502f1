"""Host (受け入れ先) register: who can receive people, on the public map or not.

The register itself (name, kind, offers, 受け入れ条件, pipeline stage) is shared by every office's
participation-support staff; the contact history and the 受け入れ先支援 notes are kept per host and
seen only by the offices that work with it (HostOffice). Free text that may name people is
encrypted at rest (cases' EncryptedText, the same key).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.cases.models import EncryptedText
from webapp.orm import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from webapp.accounts.models.user import Office
    from webapp.listings.models.organization import Organization

# listing_org: the organization behind listings on the map; the others are not on the map.
HOST_KINDS = ("listing_org", "company", "business", "farm", "temple", "npo", "other")
# What a host can offer a person (役割, 体験, ボランティア, 就労体験).
OFFERS = ("role", "experience", "volunteer", "work_experience")
# 受け入れ先支援: what the host needs from the office.
SUPPORT_NEEDS = ("training", "consultation", "honorarium", "other")
CONTACT_CHANNELS = ("visit", "phone", "mail", "meeting", "other")
# 開拓 pipeline: 候補 → 打診中 → 合意 → 受け入れ中, and 見送り (with a reason) from any of them.
STAGES = ("candidate", "approached", "agreed", "receiving", "declined")
MOVES: dict[str, tuple[str, ...]] = {
    "candidate": ("approached", "declined"),
    "approached": ("agreed", "candidate", "declined"),
    "agreed": ("receiving", "approached", "declined"),
    "receiving": ("agreed", "declined"),
    "declined": ("candidate",),
}
WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")  # Monday .. Sunday


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Host(TimestampMixin, Base):
    __tablename__ = "host"
    __table_args__ = (
        CheckConstraint(_in("kind", HOST_KINDS), name="kind"),
        CheckConstraint(_in("stage", STAGES), name="stage"),
        Index("ix_host_stage", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    # A host that runs listings on the map; None for a 協力企業・団体 that is not on the map.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    # The organisation's own contact (担当者名・電話・メール), not a resident's.
    contact: Mapped[str] = mapped_column(String(300), default="")
    districts: Mapped[list[str]] = mapped_column(default=list)  # district codes served
    offers: Mapped[list[str]] = mapped_column(default=list)
    # 受け入れ条件 agreed: how many people, which weekdays, what the host can accommodate.
    capacity: Mapped[int | None] = mapped_column()
    weekdays: Mapped[list[str]] = mapped_column(default=list)
    accommodations: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(20), default="candidate")
    stage_on: Mapped[date] = mapped_column(Date)
    declined_reason: Mapped[str] = mapped_column(Text, default="")
    # The unmet-needs row (地区 × 関心) the 開拓 started from, if any.
    origin_district: Mapped[str] = mapped_column(String(50), default="")
    origin_interest: Mapped[str] = mapped_column(String(50), default="")
    # The draft listing proposed for this host (moderation decides whether it is ever published).
    listing_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    organization: Mapped[Organization | None] = relationship()
    offices: Mapped[list[HostOffice]] = relationship(back_populates="host", cascade="all, delete-orphan")
    events: Mapped[list[HostStageEvent]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="HostStageEvent.id"
    )
    contacts: Mapped[list[HostContact]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="HostContact.on.desc(), HostContact.id.desc()"
    )
    support_notes: Mapped[list[HostSupportNote]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="HostSupportNote.on.desc(), HostSupportNote.id.desc()"
    )

    @property
    def office_ids(self) -> set[int]:
        return {o.office_id for o in self.offices}


class HostOffice(Base):
    """An office that works with this host: its staff see the contact history and support notes."""

    __tablename__ = "host_office"
    __table_args__ = (UniqueConstraint("host_id", "office_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), index=True)

    host: Mapped[Host] = relationship(back_populates="offices")
    office: Mapped[Office] = relationship()


class HostStageEvent(Base):
    """One dated step of the 開拓 pipeline (who, on which Japan date, why)."""

    __tablename__ = "host_stage_event"
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage"),
        Index("ix_host_stage_event_stage_on", "stage", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(EncryptedText, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    host: Mapped[Host] = relationship(back_populates="events")


class HostContact(Base):
    """Contact history: a dated visit, call or meeting with the host, by one office."""

    __tablename__ = "host_contact"
    __table_args__ = (CheckConstraint(_in("channel", CONTACT_CHANNELS), name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="SET NULL"))
    on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="visit")
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    host: Mapped[Host] = relationship(back_populates="contacts")


class HostSupportNote(Base):
    """受け入れ先支援: what the host needs (研修, 相談, 謝礼 …) and what the office does about it."""

    __tablename__ = "host_support_note"
    __table_args__ = (CheckConstraint(_in("need", SUPPORT_NEEDS), name="need"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="SET NULL"))
    on: Mapped[date] = mapped_column(Date)
    need: Mapped[str] = mapped_column(String(20), default="other")
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    host: Mapped[Host] = relationship(back_populates="support_notes")


# The host's answer to a 打診 (HostAnswer in the glossary); "" while none is given.
HOST_ANSWERS = ("accept", "visit_first", "not_now", "more_info")
# 今は難しい: why (定員 / 内容が合わない / 日程 / その他 with text).
NOT_NOW_REASONS = ("capacity", "mismatch", "schedule", "other")
MESSAGE_SIDES = ("host", "staff")


class HostRequest(Base):
    """受け入れのご相談: a placement's 打診 sent to a register host's people (its organizer accounts).

    It shows the host only what the person's share_host consent (``consent_id``) names, read at the
    moment it is shown: once that consent is withdrawn the request is gone for the host (404) and
    its thread closed. The answer is recorded here and on the placement (answered_at, host_accepted,
    host_answer); it moves no stage — the supporter does.
    """

    __tablename__ = "host_request"
    __table_args__ = (
        CheckConstraint("answer IN ('', 'accept', 'visit_first', 'not_now', 'more_info')", name="answer"),
        CheckConstraint("reason IN ('', 'capacity', 'mismatch', 'schedule', 'other')", name="reason"),
        Index("ix_host_request_host_answer", "host_id", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host.id", ondelete="CASCADE"))
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id", ondelete="SET NULL"), index=True)
    # The office of the person's case: its staff answer the thread.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(String(20), default="")
    reason_text: Mapped[str] = mapped_column(EncryptedText, default="")
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None] = mapped_column()
    # Set when the consent is withdrawn or the placement leaves 打診 unanswered for good.
    closed_at: Mapped[datetime | None] = mapped_column()

    host: Mapped[Host] = relationship()
    messages: Mapped[list[HostMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="HostMessage.id"
    )


class HostMessage(Base):
    """One message of a request's thread (もう少し知りたい): the host's people and the supporters."""

    __tablename__ = "host_message"
    __table_args__ = (CheckConstraint("side IN ('host', 'staff')", name="side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("host_request.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[HostRequest] = relationship(back_populates="messages")
