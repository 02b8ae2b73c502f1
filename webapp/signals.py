"""What features tell each other about: a listing or a place changed (blinker, as Flask uses).

A feature that changes a listing calls `activity_changed_after_commit(id)`; the signal is sent once
the request's transaction has committed (never on rollback), or at once outside a request (CLI,
scripts: the caller has committed). Receivers are connected in create_app (search keeps its index
in step); a feature never imports the receivers.

These signals are the node's own fast path. Other nodes (and this one, for changes made by any
other writer: imports, scripts, psql) follow the change log that database triggers write in the
same transaction (webapp.changefeed, docs/SCALE.md); nothing needs to be sent for them.
"""

from __future__ import annotations

from collections.abc import Callable

from blinker import Namespace, Signal
from flask import current_app, has_request_context

_signals = Namespace()

#: sent with `activity_id` after a listing was created, edited, published, archived or deleted
activity_changed: Signal = _signals.signal("activity-changed")
#: sent with `place_id` after a place's name, address, point or district changed
place_changed: Signal = _signals.signal("place-changed")


def _after_commit(send: Callable[[], object]) -> None:
    if has_request_context():
        from webapp.boundary import after_commit

        after_commit(send)
    else:
        send()


# current_app is a LocalProxy, but Flask annotates it as Flask: hence the ignores below.
def activity_changed_after_commit(activity_id: int) -> None:
    _after_commit(lambda: activity_changed.send(current_app._get_current_object(), activity_id=activity_id))  # type: ignore[attr-defined]


def place_changed_after_commit(place_id: int) -> None:
    _after_commit(lambda: place_changed.send(current_app._get_current_object(), place_id=place_id))  # type: ignore[attr-defined]
