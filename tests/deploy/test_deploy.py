"""The deployment in deploy/ run for real (deploy/check.py, also `make deploy-check`): Debian's nginx
in front of two gunicorn nodes and one worker, PostGIS and Redis on 127.0.0.1.

Skipped where nginx is not installed (scripts/setup-system.sh installs it, so CI runs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.check import (
    Stack,
    check_cache_while_slow,
    check_change_visible_on_node_b,
    check_reset_mail_by_worker,
    check_static_fingerprinted,
)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (scripts/setup-system.sh installs nginx-light)")
        pytest.skip("nginx is not installed")
    with Stack() as running:
        yield running


def test_cached_pages_are_served_while_the_app_is_slow(stack: Stack) -> None:
    assert "served from nginx's cache" in check_cache_while_slow(stack)


def test_a_reset_mail_is_sent_by_the_worker(stack: Stack) -> None:
    assert "sent by the worker" in check_reset_mail_by_worker(stack)


def test_fingerprinted_static_files_are_cached_a_year_by_nginx(stack: Stack) -> None:
    assert "kept a year" in check_static_fingerprinted(stack)


def test_a_change_through_node_a_is_visible_from_node_b(stack: Stack) -> None:
    assert "found through node B" in check_change_visible_on_node_b(stack)
