"""Issue 19 (onboarding): a new organizer finds sign-up and password reset from the login page, the
organizers' page explains signing up online, and the dev outbox's links can be followed by a tap."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.factories import sign_up


def test_login_page_links_to_signup_and_password_reset(client: FlaskClient) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/password/forgot"' in page and "パスワードを忘れた方" in page
    assert 'href="/auth/signup"' in page and "主催者として新しく登録する" in page
    en = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert "Forgot your password?" in en


def test_for_organizers_explains_online_signup(client: FlaskClient) -> None:
    page = client.get("/for-organizers").get_data(as_text=True)
    assert 'href="/auth/signup"' in page
    assert "このサイトで主催者として登録します" in page and "届いたメールのリンクを開く" in page
    assert 'href="/auth/login"' in page


def test_dev_outbox_links_are_clickable(client: FlaskClient) -> None:
    sign_up(client, "click@example.org")
    page = client.get("/organizer/dev/outbox?to=click@example.org").get_data(as_text=True)
    link = re.search(r'<a href="(http[^"]+/auth/verify/[^"]+)"[^>]*>', page)
    assert link, page[-2000:]
    assert 'rel="noopener noreferrer"' in link.group(0)
    assert "<script" not in page.split("outbox-body", 1)[1]  # the body is still escaped
