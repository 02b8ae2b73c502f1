"""The `odekake` command group (Flask CLI over create_app). Errors: one line, non-zero exit."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext

from webapp.commands.common import fail
from webapp.config import ConfigError
from webapp.service_error import ServiceError


def _create_app(*_: Any) -> Any:
    from webapp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def cli() -> None:
    """おでかけマップ (odekake) administration."""


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from webapp.commands.migrate import upgrade_to_head

    upgrade_to_head()
    click.echo("database is at the newest schema")


@click.command("load-demo")
@click.option("--if-empty", is_flag=True, help="do nothing (exit 0) when the sample city is already loaded")
def load_demo(if_empty: bool) -> None:
    """Load the sample city (サンプル) into an initialised database."""
    from webapp.extensions import db
    from webapp.listings.demo import load_sample_city, sample_data_loaded

    with db.transaction() as session:
        if if_empty and sample_data_loaded(session):
            click.echo("sample city already loaded; nothing to do")
            return
        counts = load_sample_city(session)
    click.echo(
        "loaded sample city (サンプル): "
        f"{counts['activities']} activities, {counts['places']} places, {counts['organizations']} organizations"
    )


@click.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, help="admin, moderator, office_lead, supporter, viewer, organizer")
@click.option("--office", default=None, help="office (所属) name; created when new")
@click.option("--name", "display_name", default="", help="display name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(email: str, roles: tuple[str, ...], office: str | None, display_name: str, password_stdin: bool) -> None:
    """Create a user account with one or more roles."""
    from webapp.accounts.services import create_user as create
    from webapp.extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with db.transaction() as session:
        user = create(session, email, password, list(roles), office, display_name)
        click.echo(f"created user {user.email} ({', '.join(sorted(user.roles))})")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def is_database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or used (down, refused, locked), as opposed to a refused row."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


def register_commands(group: click.Group) -> None:
    """Every `odekake` command, added here and nowhere else (no command registers itself on import)."""
    from webapp.commands import (
        backup,
        cases,
        changefeed,
        districts,
        hosts,
        imports,
        organizer,
        search,
        security,
        worker,
    )

    for command in (
        init_db,
        load_demo,
        create_user,
        search.reindex,
        changefeed.feed_status,
        changefeed.feed_purge,
        imports.import_command,
        imports.export_command,
        districts.import_districts,
        organizer.import_geocoder,
        organizer.send_reconfirmations,
        hosts.remind_hosts,
        cases.load_demo_staff,
        cases.purge_cases,
        cases.intake_routes,
        cases.reindex_case_names,
        security.purge_login_attempts,
        security.send_mail,
        worker.worker,
        backup.backup_command,
        backup.restore_command,
    ):
        # As AppGroup.command would: the command runs inside the app's context.
        assert command.callback is not None
        command.callback = with_appcontext(command.callback)
        group.add_command(command)


register_commands(cli)


def main() -> None:
    try:
        cli.main(prog_name="odekake", standalone_mode=True)
    except ConfigError as exc:
        fail(str(exc), 2)
    except ServiceError as exc:
        fail(exc.message, 1)
    except SystemExit:
        raise
    except Exception as exc:  # the operator gets one line; the traceback is for the developer log
        if is_database_unavailable(exc):
            # The README's contract: database problems exit 2 (1 is for refused data).
            fail(f"cannot use the database: {_first_line(exc)}", 2)
        fail(_first_line(exc), 1)

