"""参加支援 case records (要配慮個人情報): Person, Consent, Placement and its history, FollowUp, CaseNote.

Staff-side only: never in the public search index, public pages or the API. Name and contact are
encrypted at rest (services.crypto); so is the free text that says most about the person — what
matters to them, case notes, consent notes, meeting summaries and follow-up notes (EncryptedText,
the same Fernet key). The case code is the everyday handle. Access rules live in cases.services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, Dialect, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from webapp.orm import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from webapp.accounts.models.user import Office, User
    from webapp.listings.models.activity import Activity

class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token (services.crypto, the key of name_enc/contact_enc), plain in Python.

    Empty stays empty, as for names. A token cannot be searched or compared in SQL: code that looks
    for text in these columns decrypts first (cases.services.list_cases). Needs the app context for
    the key, like every other case read and write.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        from webapp.security.crypto import cipher_for_dialect, encrypt

        return None if value is None else encrypt(str(value), cipher_for_dialect(dialect) if value else None)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        from webapp.security.crypto import cipher_for_dialect, decrypt

        return None if value is None else decrypt(str(value), cipher_for_dialect(dialect) if value else None)


# 分野 of the person's main support context.
FIELDS = ("elderly", "disability", "children", "poverty", "hikikomori", "other")
AGE_BANDS = ("under_15", "15_19", "20s", "30s", "40s", "50s", "60s", "70s", "80_plus", "unknown")
REFERRAL_SOURCES = ("ikomaru", "houkatsu", "csw", "school", "self", "family", "medical", "other")
CONTACT_PREFERENCES = ("phone", "mail", "visit", "via_referrer", "do_not_contact")
MOBILITY = ("walk", "bicycle", "bus_train", "car", "needs_pickup", "")
# Free time slots: weekday 0=Monday .. 6=Sunday × part of day.
DAY_PARTS = ("am", "pm", "ev")

CONSENT_PURPOSES = ("record_keeping", "share_host", "multiagency_meeting")
# What a share_host consent may let the host see of the person (docs/HOSTS.md): 呼び名 (the name as
# the person wants to be called, typed on the consent), 年代, 希望すること (interests, roles wanted,
# goals in their own words), 配慮してほしいこと (accessibility needs, worries about going alone,
# accompaniment) and 支援者の連絡先 (the supporter's name, office and mail). Nothing else ever: never
# the case code, the registered name, the contact, the notes or any other part of the case file.
SHARE_FIELDS = ("nickname", "age_band", "wishes", "accommodations", "supporter_contact")
CONSENT_METHODS = ("written", "oral")
MEETING_KINDS = ("multiagency_meeting", "support_meeting")

# The ladder (つなぎ). Terminal-ish stages can still be reopened by a recorded move.
STAGES = (
    "candidate",
    "proposed",
    "accompanied_visit",
    "trial",
    "participating",
    "settled",
    "paused",
    "ended",
)
ACTIVE_STAGES = ("candidate", "proposed", "accompanied_visit", "trial", "participating")
# Outcomes recorded as evidence of missing resources (社会資源の不足) for KPI reports.
OUTCOMES = ("", "no_suitable_activity", "host_no_capacity", "declined_by_person", "declined_by_host", "other")
FOLLOWUP_TARGETS = ("person", "host")
WELLBEING_SCALES = ("", "who5", "swemwbs")
WELLBEING_RANGES = {"who5": (0, 25), "swemwbs": (7, 35)}


class Person(TimestampMixin, Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("field IN ('elderly', 'disability', 'children', 'poverty', 'hikikomori', 'other')", name="field"),
        Index("ix_person_office_field", "office_id", "field"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Pseudonymous handle, shown everywhere instead of a name.
    case_code: Mapped[str] = mapped_column(String(20), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="RESTRICT"), index=True)
    # Fernet tokens (services.crypto); empty when not given. Never logged, never in audit details.
    name_enc: Mapped[str] = mapped_column(Text, default="")
    contact_enc: Mapped[str] = mapped_column(Text, default="")
    # Blind index (webapp.cases.name_index): keyed HMACs of the normalised name and of its reading,
    # so staff can find a case by name without decrypting every name. Empty when there is no name.
    name_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    name_reading_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    age_band: Mapped[str] = mapped_column(String(20), default="unknown")
    district: Mapped[str] = mapped_column(String(50), default="")
    field: Mapped[str] = mapped_column(String(20), default="other")
    field_other: Mapped[str] = mapped_column(String(100), default="")
    interests: Mapped[list[str]] = mapped_column(default=list)
    interests_text: Mapped[str] = mapped_column(Text, default="")
    what_matters: Mapped[str] = mapped_column(EncryptedText, default="")
    # ["0am", "1pm", …]: weekday digit + day part.
    free_slots: Mapped[list[str]] = mapped_column(default=list)
    mobility: Mapped[str] = mapped_column(String(20), default="")
    max_travel_m: Mapped[int | None] = mapped_column()
    max_cost_yen: Mapped[int | None] = mapped_column()
    accessibility_needs: Mapped[list[str]] = mapped_column(default=list)
    solo_worry: Mapped[bool] = mapped_column(default=False)
    needs_accompany: Mapped[bool] = mapped_column(default=False)
    audiences: Mapped[list[str]] = mapped_column(default=list)
    referral_source: Mapped[str] = mapped_column(String(30), default="other")
    contact_preference: Mapped[str] = mapped_column(String(30), default="phone")
    legal_hold: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column()
    # 受付 (intake): the day the case was received (Japan date; None on records made before it was asked,
    # read as the day the record was opened, see intake_day), the route (an IntakeRoute code, a list the
    # city edits), the referring organisation and the つなぐシート summary of what was handed over.
    received_on: Mapped[date | None] = mapped_column(Date)
    intake_route: Mapped[str] = mapped_column(String(40), default="")
    referring_org: Mapped[str] = mapped_column(String(200), default="")
    handover_summary: Mapped[str] = mapped_column(EncryptedText, default="")
    # 複合課題: every 分野 that applies (``field`` stays the main one, for the by-field tables).
    fields: Mapped[list[str]] = mapped_column(default=list)
    # 世帯まるごと: persons with the same key are one household (the first linked person's case code).
    household_key: Mapped[str] = mapped_column(String(20), default="", index=True)
    # Not covered by any existing service (芦屋: 既存事業の対象外の人の居場所参加).
    outside_existing_services: Mapped[bool] = mapped_column(default=False)
    # Assessment, in the person's own words where it says so (encrypted like what_matters).
    strengths: Mapped[str] = mapped_column(EncryptedText, default="")
    roles_wanted: Mapped[list[str]] = mapped_column(default=list)
    goals_own_words: Mapped[str] = mapped_column(EncryptedText, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    office: Mapped[Office] = relationship()
    workers: Mapped[list[PersonWorker]] = relationship(back_populates="person", cascade="all, delete-orphan")
    shares: Mapped[list[CaseShare]] = relationship(back_populates="person", cascade="all, delete-orphan")
    consents: Mapped[list[Consent]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Consent.granted_at"
    )
    meetings: Mapped[list[CaseMeeting]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="CaseMeeting.held_at"
    )
    placements: Mapped[list[Placement]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Placement.id"
    )
    followups: Mapped[list[FollowUp]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="FollowUp.due_on"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="CaseNote.created_at"
    )
    plans: Mapped[list[SupportPlan]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="SupportPlan.version"
    )
    meeting_links: Mapped[list[MeetingCase]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="MeetingCase.id"
    )

    @property
    def intake_day(self) -> date:
        """The day the case was received: nothing about it can have happened earlier."""
        from webapp.clock import to_jst

        if self.received_on is not None:
            return self.received_on
        return to_jst(self.created_at).date() if self.created_at is not None else date.min

    @property
    def current_plan(self) -> SupportPlan | None:
        return self.plans[-1] if self.plans else None


class PersonWorker(Base):
    """A staff member assigned to a person (担当)."""

    __tablename__ = "person_worker"
    __table_args__ = (UniqueConstraint("person_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="workers")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CaseShare(Base):
    """A case explicitly shared with another office (its office leads may then open it)."""

    __tablename__ = "case_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column()

    person: Mapped[Person] = relationship(back_populates="shares")
    office: Mapped[Office] = relationship()


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint("purpose IN ('record_keeping', 'share_host', 'multiagency_meeting')", name="purpose"),
        CheckConstraint("method IN ('written', 'oral')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    # Named recipient (host or meeting); for share_host, activity_id pins it to one listing.
    recipient: Mapped[str] = mapped_column(String(200), default="")
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(10), default="written")
    version: Mapped[str] = mapped_column(String(30), default="1")
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The day the person gave consent (Japan date), as entered; granted_at is when it was typed.
    granted_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    # share_host: which SHARE_FIELDS the host may see (an old consent without a list shares nothing).
    share_fields: Mapped[list[str]] = mapped_column(default=list)
    # share_host with "nickname" among share_fields: the name the person agreed the host may use.
    nickname: Mapped[str] = mapped_column(EncryptedText, default="")

    person: Mapped[Person] = relationship(back_populates="consents")


class CaseMeeting(Base):
    """A case discussed at a 重層的支援会議 (needs consent) or a 支援会議 (社会福祉法106条の6: no consent
    needed, but attendees carry a duty of confidentiality and the meeting is recorded as such)."""

    __tablename__ = "case_meeting"
    __table_args__ = (CheckConstraint("kind IN ('multiagency_meeting', 'support_meeting')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    attendees: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id", ondelete="SET NULL"))
    without_consent: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="meetings")


class Placement(Base):
    """つなぎ: a person × an activity (or a host not on the public map), moving up the stage ladder."""

    __tablename__ = "placement"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('candidate', 'proposed', 'accompanied_visit', 'trial', 'participating', 'settled', "
            "'paused', 'ended')",
            name="stage",
        ),
        Index("ix_placement_stage_outcome", "stage", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    host_name: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[str] = mapped_column(String(30), default="candidate")
    outcome: Mapped[str] = mapped_column(String(30), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    # Why it was suggested (the scorer's reasons), kept so the choice can be explained later.
    suggested_because: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 打診 timing, for "no answer in N days" and per-host acceptance figures.
    proposed_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    host_accepted: Mapped[bool | None] = mapped_column()
    # The 支援プラン version this placement carries out (参加支援 of the plan), if any. No foreign key:
    # adding one would make SQLite rebuild the placement table (cascading to its history); plans are
    # never deleted on their own (only with the person, and then the placement goes too).
    plan_id: Mapped[int | None] = mapped_column(index=True)
    # The host of the register (webapp.hosts) this placement goes to, if any: a loose id for the same
    # reason as plan_id (a foreign key would make SQLite rebuild placement); hosts are never deleted.
    host_id: Mapped[int | None] = mapped_column(index=True)
    # The host's own latest answer to the 打診 through its organizer account (hosts.HOST_ANSWERS), or
    # "": shown as a badge on the board. It moves nothing: the supporter moves the stage.
    host_answer: Mapped[str] = mapped_column(String(20), default="")

    person: Mapped[Person] = relationship(back_populates="placements")
    plan: Mapped[SupportPlan | None] = relationship(
        primaryjoin="foreign(Placement.plan_id) == SupportPlan.id", viewonly=True
    )
    activity: Mapped[Activity | None] = relationship()
    events: Mapped[list[PlacementEvent]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="PlacementEvent.id"
    )

    @property
    def host_label(self) -> str:
        if self.activity is not None:
            return self.activity.name
        return self.host_name


class PlacementEvent(Base):
    """One stage change: from, to, who, why, when. Never edited."""

    __tablename__ = "placement_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str] = mapped_column(String(30), default="")
    to_stage: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The day the move happened (Japan date, entered by staff); ``at`` is when it was typed.
    occurred_on: Mapped[date | None] = mapped_column(Date)

    placement: Mapped[Placement] = relationship(back_populates="events")

    @property
    def day(self) -> date:
        from webapp.clock import to_jst

        return self.occurred_on or to_jst(self.at).date()
    by: Mapped[User | None] = relationship()


class FollowUp(Base):
    """定着支援 (target person) or 受け入れ先支援 (target host)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint("target IN ('person', 'host')", name="target"),
        Index("ix_follow_up_due_done", "due_on", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(10), default="person")
    due_on: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(100), default="")
    done_at: Mapped[datetime | None] = mapped_column()
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    wellbeing_scale: Mapped[str] = mapped_column(String(10), default="")
    wellbeing_score: Mapped[int | None] = mapped_column()
    is_baseline: Mapped[bool] = mapped_column(default=False)
    # 見守り: a light check-in scheduled when the case was closed.
    is_watch: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The day the follow-up took place (Japan date, entered); done_at is when it was typed.
    done_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="followups")
    placement: Mapped[Placement | None] = relationship()


class CaseNote(Base):
    """記録: editable by its author for 24 h; afterwards only a correction note (corrects_id) may be added."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    body: Mapped[str] = mapped_column(EncryptedText)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("case_note.id", ondelete="CASCADE"))
    # The day the recorded contact happened (Japan date, entered); created_at is when it was typed.
    occurred_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


from webapp.cases.plan_models import (  # noqa: E402  (they refer to Person and EncryptedText above)
    IntakeRoute,
    Meeting,
    MeetingCase,
    MeetingOutput,
    SupportPlan,
)

__all__ = ["IntakeRoute", "Meeting", "MeetingCase", "MeetingOutput", "SupportPlan"]
