"""The city's side of the 参加支援 record: intake routes, 支援プラン (versioned) and meetings.

- IntakeRoute: the routes a case arrives by (受付の経路), a list the city edits (`odekake intake-routes`).
- SupportPlan: one version of a person's 支援プラン. Version 1 is the plan "made"; later versions are
  revisions (見直し) of the same plan. Goals, planned supports and evaluation notes are about the
  person: encrypted at rest like every case free text.
- Meeting: a meeting of its own (kind, date, attending organisations, theme part, outputs); cases are
  linked to it through MeetingCase under the consent rules (cases.meetings).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.cases.models import EncryptedText
from webapp.orm import Base, utcnow

if TYPE_CHECKING:
    from webapp.cases.models import Consent, Person

# Meeting kinds (order = how they are listed). Only a 支援会議 (社会福祉法第106条の6) may discuss a
# person without their consent; every other kind needs the person's live consent to share.
MEETING_KINDS_ALL = (
    "multiagency_meeting",  # 重層的支援会議
    "support_meeting",  # 支援会議（法106条の6）
    "team_meeting",  # チーム会議
    "collaboration_meeting",  # 多機関協働支援会議
    "case_review",  # 事例検討
    "participation_subcommittee",  # 参加支援分科会
)
NO_CONSENT_KINDS = frozenset({"support_meeting"})
EVALUATIONS = ("", "met", "partly", "not_met")
OUTPUT_KINDS = ("develop_host", "new_place", "other")
# Roles the person wants (アセスメント): codes, labels in cases.labels.
ROLES_WANTED = ("work", "friends", "help_others", "use_skills", "learn", "place_to_be", "other")
# The intake routes the issue lists; the migration seeds the table with them, the city edits it.
DEFAULT_ROUTES = (
    ("ikomaru", "いこまる相談窓口"),
    ("jiritsu", "自立相談支援機関"),
    ("houkatsu", "地域包括支援センター"),
    ("shogai", "障がい相談支援事業所"),
    ("kodomo", "こども家庭センター"),
    ("minsei", "民生委員・児童委員"),
    ("jusoteki", "重層的支援会議"),
    ("self_family", "本人・家族"),
    ("agency", "関係機関"),
    ("other", "その他"),
    ("site_self", "本人からの相談（サイト）"),  # added by revision de33f76cb6be (参加の相談 → 受付)
)


class IntakeRoute(Base):
    """One route a case can arrive by; ``active`` routes are offered, retired ones stay readable."""

    __tablename__ = "intake_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class SupportPlan(Base):
    """One version of a 支援プラン (a revision adds a version; none is edited after its review)."""

    __tablename__ = "support_plan"
    __table_args__ = (
        UniqueConstraint("person_id", "version"),
        CheckConstraint("evaluation IN ('', 'met', 'partly', 'not_met')", name="evaluation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    made_on: Mapped[date] = mapped_column(Date)
    goals: Mapped[str] = mapped_column(EncryptedText, default="")
    supports: Mapped[str] = mapped_column(EncryptedText, default="")
    # 参加支援 among the planned supports, with the activity or host when known.
    includes_participation: Mapped[bool] = mapped_column(default=False)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    host_name: Mapped[str] = mapped_column(String(200), default="")
    confirmed_by_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    review_on: Mapped[date | None] = mapped_column(Date)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    review_note: Mapped[str] = mapped_column(EncryptedText, default="")
    # 終結時の評価: goals met / partly / not, with a note.
    evaluation: Mapped[str] = mapped_column(String(10), default="")
    evaluation_note: Mapped[str] = mapped_column(EncryptedText, default="")
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="plans")
    confirmed_by: Mapped[Meeting | None] = relationship()


class Meeting(Base):
    """A meeting held (開催): counted by kind in the KPIs whether or not a case was discussed."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('multiagency_meeting', 'support_meeting', 'team_meeting', 'collaboration_meeting', "
            "'case_review', 'participation_subcommittee')",
            name="kind",
        ),
        Index("ix_meeting_office_held", "office_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(30))
    regular: Mapped[bool] = mapped_column(default=True)  # 定例 or 随時
    held_on: Mapped[date] = mapped_column(Date)
    # Organisations that attended (not people): they carry the duty of confidentiality for a 支援会議.
    attendee_orgs: Mapped[list[str]] = mapped_column(default=list)
    # The theme part (テーマ部分: no person in it) and what the meeting decided to do.
    theme: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cases: Mapped[list[MeetingCase]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingCase.id"
    )
    outputs: Mapped[list[MeetingOutput]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingOutput.id"
    )


class MeetingCase(Base):
    """A case discussed at a meeting (the case part, encrypted), under the consent rules."""

    __tablename__ = "meeting_case"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id", ondelete="SET NULL"))
    without_consent: Mapped[bool] = mapped_column(default=False)
    case_part: Mapped[str] = mapped_column(EncryptedText, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="cases")
    person: Mapped[Person] = relationship(back_populates="meeting_links")
    consent: Mapped[Consent | None] = relationship()


class MeetingOutput(Base):
    """What a meeting decided to do (e.g. develop a new host for X in Y district), and when it was done."""

    __tablename__ = "meeting_output"
    __table_args__ = (CheckConstraint("kind IN ('develop_host', 'new_place', 'other')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    text: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(String(50), default="")
    done_on: Mapped[date | None] = mapped_column(Date)

    meeting: Mapped[Meeting] = relationship(back_populates="outputs")
