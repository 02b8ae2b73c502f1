"""Write AuditEvents in the same transaction as the read or change they record."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from webapp.security.models import AuditEvent


def record(
    session: Session,
    action: str,
    object_type: str = "",
    object_id: object = "",
    detail: dict[str, Any] | None = None,
    user_id: int | None = None,
) -> AuditEvent:
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
        if user_id is None and current_user.is_authenticated:
            user_id = current_user.id
    event = AuditEvent(
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=ip,
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event
