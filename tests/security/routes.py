"""Route inventory helpers for the security probes: every rule in app.url_map, filled with values.

Written over app.url_map so routes added later by anyone are probed without editing these tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from webapp.security.permissions import PUBLIC, access_of
from webapp.security.permissions import permissions_for as _permissions_for

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Routes whose success signs the probing client out; probed last or with a fresh login.
SIGNS_OUT = {
    "auth.logout",
    "auth.revoke_others",
    "auth.revoke_session",
    "auth.admin_revoke_sessions",
    "auth.totp_disable",
}


@dataclass(frozen=True)
class Route:
    rule: Rule
    endpoint: str
    access: str | tuple[str, ...]
    methods: frozenset[str]

    @property
    def is_public(self) -> bool:
        return self.access == PUBLIC

    @property
    def has_args(self) -> bool:
        return bool(self.rule.arguments)

    def url(self, int_value: int = 1, str_value: str = "x") -> str:
        values: dict[str, object] = {}
        for name in self.rule.arguments:
            converter = self.rule._converters[name]
            values[name] = int_value if isinstance(converter, IntegerConverter) else str_value
        built = self.rule.build(values, append_unknown=False)
        assert built is not None, self.rule.rule
        return built[1]

    def allowed_for(self, role: str) -> bool:
        if self.is_public:
            return True
        granted = _permissions_for([role])
        return all(p in granted for p in self.access)


def routes(app: Flask) -> Iterator[Route]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        access = access_of(app.view_functions[rule.endpoint])
        assert access is not None, f"{rule.rule} declares no access"
        yield Route(rule, rule.endpoint, access, frozenset((rule.methods or set()) - {"HEAD", "OPTIONS"}))


def get_routes(app: Flask) -> list[Route]:
    return [r for r in routes(app) if "GET" in r.methods]


def post_routes(app: Flask) -> list[Route]:
    return [r for r in routes(app) if r.methods & set(STATE_CHANGING)]


# Found by the probes in other areas' code and reported to their owners; kept out of the generic
# assertions so the rest keeps guarding, and pinned by xfail tests in test_input_probes.py (they
# start passing when fixed). Remove an entry once its xfail test passes.
KNOWN_ISSUES: list[re.Pattern[str]] = []


def new_problems(problems: list[str]) -> list[str]:
    return [p for p in problems if not any(k.search(p) for k in KNOWN_ISSUES)]


_INPUT_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([A-Za-z_][\w\-\[\]]*)"', re.I)


def form_fields(html: str) -> set[str]:
    return set(_INPUT_NAME.findall(html)) - {"csrf_token"}


