"""What every `odekake` command shares: one-line errors with the documented exit codes."""

from __future__ import annotations

import sys

import click


def fail(message: str, code: int = 1) -> None:
    """Print `odekake: error: MESSAGE` on stderr and exit (2: settings, database, unreadable file; 1: refused data)."""
    click.echo(f"odekake: error: {message}", err=True)
    sys.exit(code)
