"""An admin-page upload waiting between its preview and its confirm, kept in the database.

Every web node and every worker sees the database, not each other's disks: the preview may be
drawn by node A, the confirm answered by node B and the import run by a worker on a third machine,
and all of them read exactly the bytes that were previewed. The row goes in the same transaction
as the import it feeds (a job killed halfway leaves it, so the run can be tried again), and
uploads nobody confirmed are forgotten after a day.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, LargeBinary, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from importers import UnreadableFile
from webapp.orm import Base, utcnow

if TYPE_CHECKING:
    from webapp.imports.report import ImportReport
    from webapp.imports.service import Progress

KEEP = timedelta(days=1)


class ImportUpload(Base):
    __tablename__ = "import_upload"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # format, source, options, the file's own name, the stored name (its suffix tells the
    # readers what they read), total rows, the person's choices, the job run once confirmed.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def keep(session: Session, token: str, user_id: int, meta: dict[str, Any], content: bytes) -> ImportUpload:
    """Store an upload (flushed; the request commits it) and forget those older than a day."""
    session.execute(delete(ImportUpload).where(ImportUpload.created_at < utcnow() - KEEP))
    upload = ImportUpload(token=token, user_id=user_id, meta=meta, content=content)
    session.add(upload)
    session.flush()
    return upload


def update_meta(session: Session, upload: ImportUpload, **changes: Any) -> None:
    upload.meta = {**upload.meta, **changes}  # a new dict: the JSON column sees the change
    session.flush()


@contextmanager
def as_file(upload: ImportUpload) -> Iterator[Path]:
    """The upload as a file under its stored name, for the readers, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="odekake-upload-") as folder:
        path = Path(folder) / str(upload.meta["stored_name"])
        path.write_bytes(upload.content)
        yield path


def import_upload(
    session: Session, upload: ImportUpload, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Import the upload as its meta says (format, source, options, the person's choices): the
    preview (dry run), the confirm in the request and the job all read it this one way. The
    readers' messages name the file as it was uploaded, not the temporary copy."""
    from webapp.config import settings
    from webapp.imports.service import default_geocoder, import_file
    from webapp.imports.source_settings import choices_from_meta

    meta = upload.meta
    chosen = choices_from_meta(meta)
    with as_file(upload) as path:
        try:
            return import_file(
                session,
                meta["format"],
                path,
                source=meta["source"],
                dry_run=dry_run,
                archive_missing=bool(meta.get("archive_missing")),
                overwrite_edits=bool(meta.get("overwrite_edits")),
                geocoder=default_geocoder(settings()),
                progress=progress,
                mapping=chosen.columns,
                category=chosen.category,
            )
        except UnreadableFile as exc:
            for attr in ("message_ja", "message_en"):
                text = getattr(exc, attr)
                setattr(exc, attr, text.replace(str(path), meta["filename"]).replace(path.name, meta["filename"]))
            raise
