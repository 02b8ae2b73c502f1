"""Generic, translated error pages (HTML) and the JSON error shape for /api/."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
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


def api_error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "field": field, "message": message}}), status


def _render(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    if exc.response is not None:
        # A page the view prepared for this refusal (a rate-limited form re-rendered with what
        # was typed in it): shown instead of the generic error page.
        return exc.response
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
    try:
        return render_template("errors/error.html", status=status, title=title, text=text), status
    except Exception:
        # The page layout itself failed (a template helper, the database behind a context
        # processor, ...).  If this handler raised, Flask would fall back to werkzeug's bare 500,
        # which skips the after_request hooks and so every security header.
        current_app.logger.exception("error page failed; answering with the plain page")
        return _plain(status, str(title), str(text))


# Said in both languages because the translation machinery may be what failed.
_PLAIN = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{status}</title></head>'
    '<body><h1>{title}</h1><p>{text}</p><p><a href="/">トップページへ / Home</a></p></body></html>'
)


def _plain(status: int, title: str, text: str) -> Response:
    """A page built without templates (its headers are added by ``_with_headers``)."""
    from markupsafe import escape

    body = _PLAIN.format(status=status, title=escape(title), text=escape(text))
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _with_headers(rv: object) -> Response:
    """The error response with the security headers already on it.

    They are normally added by an after_request hook, but Flask finishes an error response with
    the hooks in a try: one that fails there (say the request boundary's commit) is logged and the
    hooks after it, the security headers among them, are skipped.
    """
    response = make_response(rv)
    try:
        from webapp.security.headers import set_security_headers

        set_security_headers(response)
    except Exception:
        current_app.logger.exception("security headers failed on an error page")
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def _safe_render(exc: HTTPException) -> Response:
    try:
        rv = _render(exc)
    except Exception:
        # Even choosing the message failed (e.g. translations): nothing fancy is left to try.
        current_app.logger.exception("error handler failed")
        rv = _plain(exc.code or 500, "エラーが発生しました / Error", "時間をおいて、もう一度お試しください。")
    return _with_headers(rv)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _safe_render)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        try:
            # A failed statement (PostgreSQL) leaves the transaction unusable; the error page's
            # layout reads from the database too.
            from webapp.extensions import db

            db.session().rollback()
        except Exception:
            app.logger.exception("rollback after the unhandled error failed")
        return _safe_render(InternalServerError())
