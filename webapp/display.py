"""Template helpers for resident pages: furigana, category icons, Japanese-style dates, distances.

Furigana is a GET parameter (``ruby=1`` / ``ruby=0``) remembered in a cookie, so the toggle is a
plain link that works without JavaScript.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from typing import Any

from flask import Flask, Response, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from jatext.normalize import normalize_phone
from jatext.reading import ruby_segments
from schedule import describe, format_date
from schedule.describe import format_time
from webapp import clock
from webapp.config import PROJECT_ROOT
from webapp.config import settings as current_settings
from webapp.i18n import current_lang
from webapp.listings.taxonomy import taxonomy

RUBY_COOKIE = "ruby"
ICON_DIR = PROJECT_ROOT / "static" / "icons"
_SVG_RE = re.compile(r"<svg\b([^>]*)>(.*)</svg>", re.S)
_VIEWBOX_RE = re.compile(r'viewBox="([^"]+)"')


def ruby_on() -> bool:
    return bool(g.get("ruby_on", False))


def _read_ruby() -> None:
    asked = request.args.get("ruby")
    if asked in ("0", "1"):
        g.ruby_on = asked == "1"
        g.set_ruby_cookie = asked
    else:
        g.ruby_on = request.cookies.get(RUBY_COOKIE) == "1"


def _remember_ruby(response: Response) -> Response:
    value = g.pop("set_ruby_cookie", None)
    if value is not None:
        response.set_cookie(RUBY_COOKIE, value, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def rb(text: Any) -> Markup:
    """Text with <ruby> furigana over kanji when furigana is on (Japanese pages only).

    Plain strings are listing data, written in Japanese: on English pages they are marked
    ``lang="ja"`` so screen readers switch voice (translated strings arrive as Markup).
    """
    if text is None or text == "":
        return Markup("")
    if current_lang() != "ja":
        if isinstance(text, Markup):
            return text
        return Markup('<span lang="ja">%s</span>') % text
    if not ruby_on() or (isinstance(text, Markup) and "<" in text):
        return escape(text)
    # Translated strings arrive as Markup without tags; their text is read like any other.
    text = text.unescape() if isinstance(text, Markup) else text
    out = []
    for run, reading in ruby_segments(str(text)):
        if reading:
            out.append(f"<ruby>{escape(run)}<rp>(</rp><rt>{escape(reading)}</rt><rp>)</rp></ruby>")
        else:
            out.append(str(escape(run)))
    return Markup("".join(out))


def query_args() -> dict[str, list[str]]:
    """The request's query parameters, safe to pass back to ``url_for`` as keyword arguments.

    ``url_for`` reads ``_anchor``, ``_method``, ``_scheme`` and ``_external`` (and werkzeug may add
    more ``_`` names) as instructions, not as query values: a visitor's ``?_method=x`` made every
    link built from the current URL fail, and with it the error page.  No form of ours uses a
    ``_`` name, so every such parameter is dropped.
    """
    return {k: v for k, v in request.args.lists() if not k.startswith("_")}


def url_with(**changes: Any) -> str:
    """The current page's URL with some query parameters changed (None removes one)."""
    args: dict[str, Any] = query_args()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint or "public.index", **(request.view_args or {}), **args)


@cache
def _symbols() -> str:
    parts = []
    for path in sorted(ICON_DIR.glob("*.svg")):
        m = _SVG_RE.search(path.read_text(encoding="utf-8"))
        if not m:
            continue
        vb = _VIEWBOX_RE.search(m.group(1))
        view_box = vb.group(1) if vb else "0 0 24 24"
        parts.append(f'<symbol id="i-{path.stem}" viewBox="{view_box}">{m.group(2)}</symbol>')
    return "".join(parts)


def icon_sprite() -> Markup:
    """All category icons once per page as <symbol>s: no extra requests, reused by <use>."""
    return Markup(f'<svg class="icon-sprite" aria-hidden="true" focusable="false">{_symbols()}</svg>')


def icon(name: str, extra_class: str = "") -> Markup:
    stem = name.removesuffix(".svg")
    return Markup(
        f'<svg class="icon {escape(extra_class)}" aria-hidden="true" focusable="false">'
        f'<use href="#i-{escape(stem)}"></use></svg>'
    )


def category_icon(code: str | None) -> Markup:
    term = taxonomy().categories.get(code or "")
    return icon(term.icon) if term and term.icon else Markup("")


def in_japan(moment: datetime) -> datetime:
    """A moment as Japan wall-clock time: aware ones (stored, UTC) are converted to Asia/Tokyo.

    Naive ones are already Japan wall-clock times (schedule occurrences are computed so) and are
    shown as they are; tzinfo is never simply dropped from an aware moment.
    """
    return clock.to_jst(moment) if moment.tzinfo is not None else moment


def _day(d: date | datetime) -> date:
    return in_japan(d).date() if isinstance(d, datetime) else d


def fmt_date(d: date | datetime) -> str:
    return format_date(_day(d), current_lang())


def fmt_datetime(dt: datetime, with_time: bool = True) -> str:
    """11月27日(金) 10:00 / Fri 27 Nov, 10:00 (no time when the schedule has none), Japan time."""
    local = in_japan(dt)
    text = format_date(local.date(), current_lang())
    if with_time:
        text += (", " if current_lang() == "en" else " ") + format_time(local.time())
    return text


def iso_date(d: date | datetime | None) -> str:
    """2026-12-05: the Japan date of a stored moment (staff tables, exports); '' for None."""
    if d is None:
        return ""
    return _day(d).isoformat()


def iso_datetime(dt: datetime | None, seconds: bool = False) -> str:
    """2026-12-05 05:30 in Japan time (staff tables, audit, outbox); '' for None."""
    if dt is None:
        return ""
    return in_japan(dt).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def iso_moment(dt: datetime) -> str:
    """2026-12-05T05:30:00+09:00: a machine-readable moment with Japan's offset (<time datetime>)."""
    return in_japan(dt).isoformat()


def fmt_full_date(d: date | datetime) -> str:
    """2026年11月27日 / 27 Nov 2026 (最終確認日), the Japan date."""
    day = _day(d)
    if current_lang() == "en":
        return day.strftime("%-d %b %Y")
    return f"{day.year}年{day.month}月{day.day}日"


def fmt_distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return _("約%(n)sm", n=int(round(metres / 10.0) * 10))
    return _("約%(n)skm", n=f"{metres / 1000:.1f}")


def tel_href(phone: str) -> str:
    digits = re.sub(r"[^0-9+]", "", normalize_phone(phone) or phone)
    return f"tel:{digits}"


def fmt_yen(value: int | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return _("無料")
    return _("%(n)s円", n=f"{value:,}")


def fmt_period(days: float) -> str:
    """A settings period as people say it: 半年 / six months, 1年 / 12 months, 3か月, 45日."""
    if 175 <= days <= 190:
        return _("半年")
    months = round(days / 30.44)
    if days >= 28 and abs(days - months * 30.44) <= 5:
        if months % 12 == 0:
            return ngettext("%(num)d年", "%(num)d年", months // 12)
        return ngettext("%(num)dか月", "%(num)dか月", months)
    return ngettext("%(num)d日", "%(num)d日", round(days))


def stale_period() -> str:
    """How old a confirmation gets before 「情報が古いかもしれません」 (settings.stale_after_days)."""
    return fmt_period(current_settings().stale_after_days)


def reconfirm_period() -> str:
    """How often organizers are asked to confirm their listings (settings.reconfirm_months)."""
    return fmt_period(current_settings().reconfirm_months * 30.44)


def describe_schedule(a: Any) -> str | Markup:
    """「毎週火曜日 10:00〜11:30」 in the page language; the organiser's text when not describable.

    A sentence made here is in the page language (Markup, so :func:`rb` does not mark it as
    Japanese); the organiser's own wording stays a plain (Japanese) string.
    """
    sentence = describe(a.schedule, current_lang())
    if sentence and sentence != a.schedule_text:
        return escape(sentence)
    return sentence or a.schedule_text


def form_error_items(form: Any) -> list[tuple[str, str]]:
    """(field id, message) for each error of a WTForms form, in field order, for the error summary.

    A CSRF failure is a form-level problem (the page was open too long): it links to the form's
    first visible field rather than to the hidden token.
    """
    items: list[tuple[str, str]] = []
    fields = [f for f in form if f.type not in ("CSRFTokenField", "HiddenField")]
    for f in form:
        for message in f.errors if isinstance(f.errors, list) else []:
            target = f.id if f in fields else (fields[0].id if fields else f.id)
            items.append((target, str(message)))
    return items


def summary_items(errors: dict[str, str], ids: dict[str, str], ids_are_names: bool = False) -> list[tuple[str, str]]:
    """(field id, message) for a hand-written form's errors (field name → message).

    ``ids`` maps field names to the ids of their inputs; an error about something that is not a
    field (say, a consent that is missing) links to the form's first field, or, with
    ``ids_are_names``, to the element whose id is the field's name.
    """
    first = next(iter(ids.values()), "")
    return [(ids.get(name, name if ids_are_names else first), message) for name, message in errors.items()]


def categories_json() -> str:
    """Category colours and labels for map markers (read by static/js/map.js)."""
    lang = current_lang()
    return json.dumps(
        {c.code: {"color": c.color, "label": c.label(lang)} for c in taxonomy().categories.values()},
        ensure_ascii=False,
    )


def _context() -> dict[str, Any]:
    return {
        "rb": rb,
        "ruby_on": ruby_on(),
        "url_with": url_with,
        "icon": icon,
        "icon_sprite": icon_sprite,
        "category_icon": category_icon,
        "fmt_date": fmt_date,
        "fmt_datetime": fmt_datetime,
        "fmt_full_date": fmt_full_date,
        "iso_date": iso_date,
        "iso_datetime": iso_datetime,
        "fmt_distance": fmt_distance,
        "fmt_yen": fmt_yen,
        "stale_period": stale_period,
        "reconfirm_period": reconfirm_period,
        "tel_href": tel_href,
        "describe_schedule": describe_schedule,
        "categories_json": categories_json(),
    }


def register(app: Flask) -> None:
    """Helpers for every page (base.html shows the furigana toggle on all of them)."""
    app.before_request(_read_ruby)
    app.after_request(_remember_ruby)
    app.context_processor(_context)
    app.add_template_filter(rb, "rb")
    # Stored moments are UTC: these show them as Japan dates and times on every page.
    app.add_template_filter(iso_date, "jst_date")
    app.add_template_filter(iso_datetime, "jst_datetime")
    app.add_template_filter(iso_moment, "jst_iso")
    # Globals, not context: the form macros are imported without the page's context.
    app.add_template_global(form_error_items, "form_error_items")
    app.add_template_global(summary_items, "summary_items")

