"""Organizer-side commands on the `odekake` group: import-geocoder, send-reconfirmations."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from webapp.commands.common import fail
from webapp.config import settings as current_settings


@click.command("import-geocoder")
@click.argument("path", type=click.Path(path_type=Path))
def import_geocoder(path: Path) -> None:
    """Use a 位置参照情報 CSV (or the ZIP from 国土交通省, or a folder of CSVs) for geocoding."""
    from webapp.listings.geocoding import import_table
    from webapp.service_error import ServiceError

    settings = current_settings()
    try:
        written, rows = import_table(settings, path)
    except ServiceError as exc:
        fail(exc.message, 2)
        return
    click.echo(f"geocoder: {rows} rows from {len(written)} file(s) copied to {written[0].parent}")


@click.command("send-reconfirmations")
@click.option("--base-url", default=None, help="site address used in the links [default: the base_url setting]")
def send_reconfirmations(base_url: str | None) -> None:
    """Mail "still running as shown?" to organizers of listings due for reconfirmation."""
    from webapp.extensions import db
    from webapp.listings.freshness import send_reconfirmations as send
    from webapp.mail import deliver_pending, mail_link

    settings = current_settings()
    # A request context for the mail text's language only; the links come from base_url.
    with current_app.test_request_context(), db.transaction() as session:
        count = send(session, settings, lambda t: mail_link(settings, "organizer.reconfirm", base_url, token=t))
    with db.transaction() as session:
        delivered = deliver_pending(session, settings)
    click.echo(f"reconfirmation requests: {count} listing(s); mails delivered by SMTP: {delivered}")
