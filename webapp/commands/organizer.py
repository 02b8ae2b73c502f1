"""Organizer-side commands on the `odekake` group: import-geocoder, send-reconfirmations."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, url_for

from webapp.commands.common import fail


@click.command("import-geocoder")
@click.argument("path", type=click.Path(path_type=Path))
def import_geocoder(path: Path) -> None:
    """Use a 位置参照情報 CSV (or the ZIP from 国土交通省, or a folder of CSVs) for geocoding."""
    from webapp.listings.geocoding import import_table
    from webapp.service_error import ServiceError

    settings = current_app.extensions["odekake_settings"]
    try:
        written, rows = import_table(settings, path)
    except ServiceError as exc:
        fail(exc.message, 2)
        return
    click.echo(f"geocoder: {rows} rows from {len(written)} file(s) copied to {written[0].parent}")


@click.command("send-reconfirmations")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="site address used in the links")
def send_reconfirmations(base_url: str) -> None:
    """Mail "still running as shown?" to organizers of listings due for reconfirmation."""
    from webapp.extensions import db
    from webapp.listings.freshness import send_reconfirmations as send
    from webapp.mail import deliver_pending

    settings = current_app.extensions["odekake_settings"]
    with current_app.test_request_context(base_url=base_url), db.transaction() as session:
        count = send(session, settings, lambda t: url_for("organizer.reconfirm", token=t, _external=True))
    with db.transaction() as session:
        delivered = deliver_pending(session, settings)
    click.echo(f"reconfirmation requests: {count} listing(s); mails delivered by SMTP: {delivered}")
