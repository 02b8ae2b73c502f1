"""F5: an error must not copy the statement's parameters (names, phone numbers, 病歴) into the
exception text or the error log. Every engine is created with hide_parameters=True."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

SECRET = "精神科通院中-090-1234-5678-ZQXJ"


def test_integrity_error_does_not_show_parameters(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    from webapp.security.models import AuditEvent

    caplog.set_level(logging.DEBUG)
    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        # A user id that does not exist: the foreign key refuses the row, as a consent with a
        # bad activity_id did in the report.
        session.execute(
            insert(AuditEvent).values(user_id=987654321, action="test.f5", detail={"note": SECRET})
        )
        session.flush()
    logging.getLogger("webapp").exception("request failed", exc_info=raised.value)
    assert SECRET not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)
    assert SECRET not in caplog.text


def test_every_engine_of_the_app_hides_parameters(session: Session) -> None:
    from webapp.extensions import db

    assert db.engine is not None and db.engine.hide_parameters


def test_every_create_engine_call_hides_parameters() -> None:
    # migrations/env.py (Alembic run directly) and the backup's short-lived engines too: each call
    # of create_engine in webapp/ and migrations/ passes hide_parameters.
    root = Path(__file__).parents[2]
    calls = []
    for path in [*root.joinpath("webapp").rglob("*.py"), *root.joinpath("migrations").rglob("*.py")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "create_engine(" in line and "import" not in line:
                calls.append((path.name, line.strip()))
    assert len(calls) >= 4
    assert [c for c in calls if "hide_parameters" not in c[1] and c[0] != "db.py"] == []
