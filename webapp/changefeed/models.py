"""``change_log``: what changed (table and row id), in commit-visible id order; written by triggers.

The triggers (on the :data:`TRACKED` tables) are created by the migration
``b7f3c2a9e1d4`` (migrations/versions/b7f3c2a9e1d4_change_log_and_triggers.py); the model only
names the table for the ORM and for Alembic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.orm import Base

#: tables whose rows make a listing's searchable text; each change to one of them is logged
TRACKED = ("activity", "place", "organization", "district")
#: PostgreSQL channel a trigger notifies (once per transaction: identical payloads fold)
CHANNEL = "odekake_changes"


class ChangeLog(Base):
    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids never reused after a purge

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # a TRACKED table name
    row_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(server_default=text("CURRENT_TIMESTAMP"))
