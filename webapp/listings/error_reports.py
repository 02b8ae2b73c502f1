"""Residents report a wrong listing (情報の誤りを知らせる); moderators handle the reports."""

from __future__ import annotations

from sqlalchemy.orm import Session

from jatext.normalize import clean
from webapp.listings.models.activity import Activity
from webapp.listings.models.report import ErrorReport
from webapp.service_error import ServiceError

MAX_MESSAGE = 2000
MAX_CONTACT = 200


def create_error_report(session: Session, activity: Activity, message: str, contact: str = "") -> ErrorReport:
    text = clean(message, multiline=True)
    who = clean(contact)
    if not text:
        raise ServiceError("empty_message", "message is empty", "message")
    if len(text) > MAX_MESSAGE:
        raise ServiceError("message_too_long", f"message is longer than {MAX_MESSAGE}", "message")
    if len(who) > MAX_CONTACT:
        raise ServiceError("contact_too_long", f"contact is longer than {MAX_CONTACT}", "contact")
    report = ErrorReport(activity_id=activity.id, message=text, contact=who, status="open")
    session.add(report)
    session.flush()
    return report
