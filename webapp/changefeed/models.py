"""``change_log``: what changed (table and row id), in commit-visible id order; written by triggers.

The triggers (on the :data:`TRACKED` tables) are created by the migration
``b7f3c2a9e1d4`` (migrations/versions/b7f3c2a9e1d4_change_log_and_triggers.py); the model only
names the table for the ORM and for Alembic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from webapp.orm import Base

#: tables whose rows make a listing's searchable text; each change to one of them is logged
TRACKED = ("activity", "place", "organization", "district")
#: PostgreSQL channel a trigger notifies (once per transaction: identical payloads fold)
CHANNEL = "odekake_changes"

#: The columns a search document is made of (webapp.search.sync reads exactly these, and an
#: activity's status decides whether it is indexed at all). An UPDATE that changes none of them is
#: logged with ``doc_changed`` false (migration 2fe4a180058c), and no node re-reads the row for it:
#: a re-import that only brings new phone numbers, a reconfirmation's timestamp. A column added to
#: the documents must be added here and to the triggers by a migration
#: (tests/changefeed/test_doc_changed.py compares this with what sync reads).
DOC_COLUMNS: dict[str, tuple[str, ...]] = {
    "activity": (
        "status", "name", "name_kana", "description", "category", "category_text", "audiences", "tags", "cost_yen",
        "schedule_rrule", "start_time", "end_time", "schedule_dtstart", "schedule_exdates", "schedule_rdates",
        "schedule_yearly_exclusions",
        "skip_holidays", "place_id", "organization_id",
    ),
    "place": ("name", "name_kana", "address", "lat", "lon", "district_id"),
    "organization": ("name", "name_kana"),
    "district": ("name", "name_kana"),
}


class ChangeLog(Base):
    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids never reused after a purge

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # a TRACKED table name
    row_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(server_default=text("CURRENT_TIMESTAMP"))
    # False: an UPDATE that left every DOC_COLUMNS column of the row as it was (no document changed).
    doc_changed: Mapped[bool] = mapped_column(server_default=true())
