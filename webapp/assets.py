"""Fingerprinted static URLs: ``url_for("static", filename=…)`` carries ``?v=<hash of the file>``.

A URL that names its content never has to be checked again: nginx (deploy/nginx) and the app
answer it with ``Cache-Control: public, max-age=31536000, immutable``, and an upgrade that changes
a file changes the URLs the pages write, so nobody keeps an old stylesheet or script. Files under
static/ that no page names by URL (Leaflet's images, which its CSS finds by relative path) keep the
shorter cache.

The hash is computed once per file and remembered with the file's size and modification time
(one ``stat`` per URL built), so an edited file gets a new URL at once in development.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

#: Cache-Control of a fingerprinted static answer (the app's; nginx says the same for /static/)
IMMUTABLE = "public, max-age=31536000, immutable"

_versions: dict[str, tuple[int, int, str]] = {}  # path → (mtime_ns, size, version)
_lock = threading.Lock()


def asset_version(static_folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of ``static_folder/filename``; None if there is no such file."""
    path = safe_join(static_folder, filename)
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    known = _versions.get(path)
    if known is not None and known[:2] == (st.st_mtime_ns, st.st_size):
        return known[2]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    version = digest.hexdigest()[:12]
    with _lock:
        _versions[path] = (st.st_mtime_ns, st.st_size, version)
    return version


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or "v" in values or not current_app.static_folder:
        return
    version = asset_version(current_app.static_folder, str(values.get("filename", "")))
    if version is not None:
        values["v"] = version


def _cache_fingerprinted(response: Response) -> Response:
    """A static answer for the URL the pages write now may be kept a year; another ?v= (an old
    page's, after an upgrade) is answered with the current file, to be revalidated."""
    if request.endpoint != "static" or response.status_code != 200 or not current_app.static_folder:
        return response
    wanted = request.args.get("v")
    filename = (request.view_args or {}).get("filename", "")
    if wanted and wanted == asset_version(current_app.static_folder, str(filename)):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_assets(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_fingerprinted)


__all__ = ["IMMUTABLE", "asset_version", "init_assets"]
