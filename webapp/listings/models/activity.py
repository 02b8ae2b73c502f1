"""Activity (活動・集いの場): what a resident joins."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.orm import Base, TimestampMixin

if TYPE_CHECKING:
    from schedule.model import Schedule
    from webapp.listings.models.organization import Organization
    from webapp.listings.models.place import Place

STATUSES = ("draft", "pending", "published", "archived")


class Activity(TimestampMixin, Base):
    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint("status IN ('draft', 'pending', 'published', 'archived')", name="status"),
        CheckConstraint("cost_yen IS NULL OR cost_yen >= 0", name="cost_yen"),
        Index("ix_activity_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(50), default="manual")
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    # 名称_英語 / 説明_英語 from open data: shown on English pages (nothing is machine-translated).
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str | None] = mapped_column(String(40))
    category_text: Mapped[str] = mapped_column(String(100), default="")
    audiences: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)

    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    # indexed: the spatial-index subquery on place drives the join to activity through it
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"), index=True)

    # Schedule: RFC 5545 RRULE + times + exceptions; the original Japanese text is always kept.
    schedule_rrule: Mapped[str | None] = mapped_column(String(300))
    schedule_dtstart: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    schedule_exdates: Mapped[list[str]] = mapped_column(default=list)
    schedule_rdates: Mapped[list[str]] = mapped_column(default=list)
    skip_holidays: Mapped[bool] = mapped_column(default=False)
    # Days closed every year, "MM-DD/MM-DD" (年末年始 = "12-29/01-03"): Schedule.yearly_exclusions.
    schedule_yearly_exclusions: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    schedule_text: Mapped[str] = mapped_column(String(500), default="")
    schedule_needs_review: Mapped[bool] = mapped_column(default=False)

    cost_yen: Mapped[int | None] = mapped_column()
    cost_text: Mapped[str] = mapped_column(String(200), default="")
    booking_required: Mapped[bool | None] = mapped_column()
    booking_text: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_extension: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")

    # Newcomer flags (初参加歓迎, 見学可, 一人参加OK): None means "not stated".
    welcomes_first_timers: Mapped[bool | None] = mapped_column()
    visit_ok: Mapped[bool | None] = mapped_column()
    solo_ok: Mapped[bool | None] = mapped_column()
    capacity: Mapped[int | None] = mapped_column()
    accessibility: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    last_confirmed_at: Mapped[datetime | None] = mapped_column()
    # What the last file import wrote (webapp.imports.service): the status it set and a hash of
    # the content it set.  A status or content that differs from these was changed since by a
    # moderator or organizer, and a re-import keeps it (reported) instead of overwriting it.
    import_status: Mapped[str | None] = mapped_column(String(20))
    import_hash: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None] = mapped_column()

    organization: Mapped[Organization | None] = relationship(back_populates="activities")
    place: Mapped[Place | None] = relationship(back_populates="activities")

    @property
    def is_free(self) -> bool:
        return self.cost_yen == 0

    @property
    def schedule(self) -> Schedule:
        return schedule_of(self)

    def set_schedule(self, schedule: Schedule | None) -> None:
        if schedule is None:
            self.schedule_rrule = None
            self.start_time = self.end_time = self.schedule_dtstart = None
            self.schedule_exdates, self.schedule_rdates = [], []
            self.skip_holidays = False
            self.schedule_yearly_exclusions = []
            return
        self.schedule_rrule = schedule.rrule
        self.start_time = schedule.start
        self.end_time = schedule.end
        self.schedule_dtstart = schedule.dtstart
        self.schedule_exdates = [d.isoformat() for d in schedule.exdates]
        self.schedule_rdates = [d.isoformat() for d in schedule.rdates]
        self.skip_holidays = schedule.skip_holidays
        self.schedule_yearly_exclusions = list(schedule.yearly_exclusions)
        if schedule.text:
            self.schedule_text = schedule.text


def schedule_of(row: Any, text: str | None = None) -> Schedule:
    """The Schedule stored in an activity's columns; `row` is an Activity or a row of those columns."""
    from schedule.model import Schedule

    return Schedule(
        rrule=row.schedule_rrule,
        start=row.start_time,
        end=row.end_time,
        dtstart=row.schedule_dtstart,
        exdates=tuple(date.fromisoformat(d) for d in row.schedule_exdates or ()),
        rdates=tuple(date.fromisoformat(d) for d in row.schedule_rdates or ()),
        skip_holidays=bool(row.skip_holidays),
        text=row.schedule_text if text is None else text,
        yearly_exclusions=tuple(row.schedule_yearly_exclusions or ()),
    )


def schedule_key(row: Any) -> tuple[Any, ...]:
    """The stored schedule columns of an activity (or a row of them) as a hashable key."""
    return (
        row.schedule_rrule,
        row.start_time,
        row.end_time,
        row.schedule_dtstart,
        tuple(row.schedule_exdates or ()),
        tuple(row.schedule_rdates or ()),
        bool(row.skip_holidays),
        tuple(row.schedule_yearly_exclusions or ()),
    )


@lru_cache(maxsize=8192)
def schedule_from_key(key: tuple[Any, ...]) -> Schedule:
    """The Schedule of a :func:`schedule_key`, built once per process (listings share a few rules)."""
    from schedule.model import Schedule

    rrule, start, end, dtstart, exdates, rdates, skip, yearly = key
    return Schedule(
        rrule=rrule,
        start=start,
        end=end,
        dtstart=dtstart,
        exdates=tuple(date.fromisoformat(d) for d in exdates),
        rdates=tuple(date.fromisoformat(d) for d in rdates),
        skip_holidays=skip,
        yearly_exclusions=yearly,
    )


@lru_cache(maxsize=8192)
def schedule_weekdays(key: tuple[Any, ...]) -> frozenset[int]:
    """Weekdays (0 = Monday) a :func:`schedule_key` can occur on; empty when not derivable."""
    from schedule import weekdays

    return frozenset(weekdays(schedule_from_key(key)))
