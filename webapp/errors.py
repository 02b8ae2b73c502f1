"""Generic, translated error pages (HTML) and the JSON error shape for /api/."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("リクエストが正しくありません"), _("入力内容を確かめて、もう一度お試しください。")),
        403: (_("このページを見る権限がありません"), _("必要な権限のあるアカウントでログインしてください。")),
        404: (_("ページが見つかりません"), _("URLが変わったか、削除された可能性があります。")),
        405: (_("この操作はできません"), _("ページを開き直してください。")),
        410: (_("この情報は掲載を終了しました"), _("近くのほかの活動をお探しください。")),
        413: (_("ファイルが大きすぎます"), _("小さいファイルにしてから、もう一度お試しください。")),
        429: (_("アクセスが集中しています"), _("しばらく待ってから、もう一度お試しください。")),
        500: (_("エラーが発生しました"), _("時間をおいて、もう一度お試しください。")),
    }


def api_error(status: int, code: str, message: str, field: str | None = None):  # type: ignore[no-untyped-def]
    return jsonify({"error": {"code": code, "field": field, "message": message}}), status


def _render(exc: HTTPException):  # type: ignore[no-untyped-def]
    status = exc.code or 500
    if isinstance(exc, SecurityError):
        # A Host header outside TRUSTED_HOSTS: no URL can be built for this request (the page
        # template builds links), and none should be built from that host anyway.
        return Response("400 Bad Request: unknown host", status=400, mimetype="text/plain")
    if isinstance(exc, CSRFError):
        title, text = _("フォームの有効期限が切れました"), _("ページを読み込み直して、もう一度送信してください。")
    else:
        title, text = _messages().get(status, _messages()[500])
    if request.path.startswith("/api/"):
        return api_error(status, f"http_{status}", title)
    return render_template("errors/error.html", status=status, title=title, text=text), status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error")
        return _render(InternalServerError())
