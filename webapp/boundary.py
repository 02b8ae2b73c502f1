"""The request boundary: one commit per request, then after-commit hooks (e.g. search index updates)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, g

from webapp.extensions import db


def after_commit(callback: Callable[[], object]) -> None:
    """Run callback once the request's transaction has committed (skipped on rollback)."""
    g.setdefault("_after_commit", []).append(callback)


def _commit(response: Response) -> Response:
    session = db.session()
    if response.status_code < 400:
        session.commit()
        for callback in g.pop("_after_commit", []):
            callback()
    else:
        session.rollback()
    return response


def _remove(exc: BaseException | None) -> None:
    if exc is not None:
        db.session().rollback()
    db.session.remove()


def register_boundary(app: Flask) -> None:
    app.after_request(_commit)
    app.teardown_request(_remove)
