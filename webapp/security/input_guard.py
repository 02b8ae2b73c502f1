"""Reject request input no database can store: NUL characters in the query string or form fields.

PostgreSQL refuses text with U+0000 (SQLite keeps it), so without this guard the same request was a
500 on one database and not the other. Rejecting it at the boundary keeps every view simple.
"""

from __future__ import annotations

from flask import abort, request


def reject_nul_bytes() -> None:
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
    if "\x00" in request.path:
        abort(400)
