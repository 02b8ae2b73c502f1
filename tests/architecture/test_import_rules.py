"""The import rules of docs/ARCHITECTURE.md, read from the source (nothing is imported or run).

- gis/, importers/, jatext/, schedule/ are pure: they never import webapp (nor Flask).
- No cycle between the units of webapp/: a feature package (webapp.cases, …) or a core module
  (webapp.config, …). create_app (webapp/__init__.py), webapp.all_models and webapp.commands are
  the composition roots that may import every feature; nothing imports them back.
- A feature never imports another feature's views (webapp.x.views, webapp.x.*_views).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.architecture.imports_graph import PURE, Import, imports_in, project_imports, unit_of

ROOTS = {"webapp", "webapp.all_models", "webapp.commands"}


def _is_views(module: str) -> bool:
    last = module.split(".")
    return any(p == "views" or p.endswith("_views") for p in last[2:])


def pure_violations(imports: list[Import]) -> list[str]:
    return [
        f"{i.source}:{i.line} imports {i.target}"
        for i in imports
        if i.source.split(".")[0] in PURE and i.target.split(".")[0] in ("webapp", "flask", "flask_babel")
    ]


def cross_view_imports(imports: list[Import]) -> list[str]:
    bad = []
    for i in imports:
        s, t = unit_of(i.source), unit_of(i.target)
        if i.target.startswith("webapp.") and s != t and s not in ROOTS and _is_views(i.target):
            bad.append(f"{i.source}:{i.line} imports {i.target}")
    return bad


def unit_graph(imports: list[Import]) -> dict[str, dict[str, list[str]]]:
    """unit -> unit -> where ("module:line"), for edges between different units of webapp/."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for i in imports:
        if not (i.source.startswith("webapp") and i.target.startswith("webapp.")):
            continue
        s, t = unit_of(i.source), unit_of(i.target)
        if s != t and s not in ROOTS:
            graph[s][t].append(f"{i.source}:{i.line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _explain(graph: dict[str, dict[str, list[str]]], component: list[str]) -> str:
    lines = [" ↔ ".join(component)]
    for s in component:
        for t in component:
            if t in graph.get(s, {}):
                lines.append(f"  {s} -> {t}: {', '.join(graph[s][t][:3])}")
    return "\n".join(lines)


def test_pure_packages_never_import_webapp() -> None:
    assert pure_violations(project_imports(*PURE)) == []


def test_no_feature_imports_another_features_views() -> None:
    assert cross_view_imports(project_imports("webapp")) == []


def test_no_import_cycle_between_units_of_webapp() -> None:
    graph = unit_graph(project_imports("webapp"))
    assert [_explain(graph, c) for c in cycles(graph)] == []


def test_nothing_imports_the_composition_roots_back() -> None:
    back = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in project_imports("webapp")
        if unit_of(i.source) not in ROOTS
        and (i.target in ("webapp.create_app", "webapp.all_models") or i.target.startswith("webapp.commands"))
    ]
    assert back == []


# ---- the rules themselves catch what they are for


def _imp(source: str, target: str) -> Import:
    return Import(source, target, 1)


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ([_imp("webapp.a.x", "webapp.b.y"), _imp("webapp.b.y", "webapp.a.z")], [["webapp.a", "webapp.b"]]),
        ([_imp("webapp.a.x", "webapp.b.y"), _imp("webapp.b.y", "webapp.c.z"), _imp("webapp.c.z", "webapp.a.q")],
         [["webapp.a", "webapp.b", "webapp.c"]]),
        ([_imp("webapp.a.x", "webapp.b.y"), _imp("webapp.a.y", "webapp.a.x")], []),
        ([_imp("webapp", "webapp.a.x"), _imp("webapp.a.x", "webapp.create_app")], []),
    ],
)
def test_cycle_detection(imports: list[Import], expected: list[list[str]]) -> None:
    assert cycles(unit_graph(imports)) == expected


def test_view_and_purity_rules_catch_violations() -> None:
    assert cross_view_imports([_imp("webapp.reports.views", "webapp.cases.views.LABELS")])
    assert cross_view_imports([_imp("webapp.listings.organizer", "webapp.search.moderation_views.x")])
    assert not cross_view_imports([_imp("webapp.cases.views", "webapp.cases.labels.X")])
    assert pure_violations([_imp("gis.districts", "webapp.config.settings")])
    assert pure_violations([_imp("schedule.model", "flask.current_app")])
    assert not pure_violations([_imp("gis.districts", "shapely.geometry")])


def test_relative_imports_are_resolved() -> None:
    text = "from . import labels\nfrom .models import Person\nfrom ..listings.models import activity\nimport webapp.db\n"
    found = [i.target for i in imports_in(text, "webapp.cases.views")]
    assert found == ["webapp.cases.labels", "webapp.cases.models.Person", "webapp.listings.models.activity", "webapp.db"]
    in_package = [i.target for i in imports_in("from .views import bp\n", "webapp.cases", is_package=True)]
    assert in_package == ["webapp.cases.views.bp"]
