"""Messages of the case services: Japanese source strings, translated when there is a request.

Services also run from the command line (the demo loader, retention), where no locale can be chosen:
there the Japanese source is used as is.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(text: str, **values: object) -> str:
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def text_of(label: object) -> str:
    """A lazy label (cases.labels) as text: translated in a request, the Japanese source elsewhere."""
    if has_request_context():
        return str(label)
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)
