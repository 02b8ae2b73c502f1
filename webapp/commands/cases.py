"""Case-data commands on `odekake`: the fictional staff demo and deletion after the retention period.

Retention: a case closed (終結) more than `case_retention_days` ago (instance/config.toml [extra],
default 5 years) and not on legal hold is deleted with everything about it (notes, consents,
placements, follow-ups) by `odekake purge-cases`, meant for a daily timer. The audit trail keeps a
"case.purge" row with the numeric id only. Backups: database backups age out on their own rotation;
keep that rotation short (≤ 35 days) so a purged case is gone from backups within that time, and
never restore a backup older than the last purge run without running purge-cases again.
"""

from __future__ import annotations

import sys

import click


@click.command("load-demo-staff")
@click.option("--password-stdin", is_flag=True, help="read the demo accounts' password from standard input")
def load_demo_staff(password_stdin: bool) -> None:
    """Load fictional staff accounts, cases, hosts and 参加の相談 (架空) for the staff-side demo."""
    import json

    from webapp.cases.demo import STAFF_DEMO_FILE, load_staff_demo
    from webapp.consult.demo import load_consult_demo
    from webapp.extensions import db
    from webapp.hosts.demo import load_host_demo

    if password_stdin or not sys.stdin.isatty():
        # Piped (echo pw | odekake load-demo-staff): one line, read once. getpass would warn
        # "Can not control echo on the terminal" and the confirmation would read a second line.
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password for the demo accounts", hide_input=True, confirmation_prompt=True)
    with db.transaction() as session:
        counts = load_staff_demo(session, password)
        hosts = load_host_demo(session)
        consult = load_consult_demo(session)
    click.echo(
        f"loaded fictional staff demo (架空): {counts['users']} accounts, {counts['people'] + consult['cases']} cases, "
        f"{counts['placements']} placements, {hosts} hosts, {consult['consultations']} 参加の相談 "
        f"({consult['cases']} taken up as a case), {consult['office_districts']} districts given to an office"
    )
    users = json.loads(STAFF_DEMO_FILE.read_text(encoding="utf-8"))["users"]
    click.echo("log in at /auth/login with the password you chose:")
    width = max(len(u["email"]) for u in users)
    for u in users:
        click.echo(f"  {u['email']:<{width}}  {u['role']}")


@click.command("purge-cases")
@click.option("--dry-run", is_flag=True, help="list what would be deleted, change nothing")
def purge_cases(dry_run: bool) -> None:
    """Delete closed cases past the retention period (not those on legal hold)."""
    from webapp.cases.services import expired_cases
    from webapp.commands import tasks
    from webapp.commands.worker import run_or_enqueue
    from webapp.extensions import db

    if dry_run:
        with db.transaction() as session:
            people = expired_cases(session)
            click.echo(f"{len(people)} closed cases are past retention: " + ", ".join(p.case_code for p in people))
            session.rollback()
        return
    run_or_enqueue(tasks.purge_cases)


@click.command("intake-routes")
@click.argument("action", type=click.Choice(["list", "add", "rename", "retire", "restore"]), default="list")
@click.argument("code", required=False, default="")
@click.argument("label", required=False, default="")
def intake_routes(action: str, code: str, label: str) -> None:
    """The city's list of intake routes (受付の経路): list, add CODE LABEL, rename CODE LABEL, retire CODE, restore CODE."""
    from sqlalchemy import select

    from webapp.cases.models import IntakeRoute
    from webapp.cases.services import edit_intake_route
    from webapp.extensions import db

    with db.transaction() as session:
        if action != "list":
            route = edit_intake_route(session, action, code, label)
            click.echo(f"{action}: {route.code} {route.label}")
        for r in session.scalars(select(IntakeRoute).order_by(IntakeRoute.position, IntakeRoute.id)):
            click.echo(f"{r.code}\t{r.label}" + ("" if r.active else "\t(retired)"))


@click.command("reindex-case-names")
def reindex_case_names() -> None:
    """Recompute the blind index of case names (after rotating encryption_key)."""
    from webapp.cases.name_index import rebuild
    from webapp.extensions import db

    with db.transaction() as session:
        count = rebuild(session)
    click.echo(f"recomputed the name index of {count} cases")
