"""Read the import statements of the project's packages (no code is run): who imports whom."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = ("gis", "importers", "jatext", "schedule")


@dataclass(frozen=True)
class Import:
    source: str  # module doing the import, e.g. webapp.cases.views
    target: str  # module imported, e.g. webapp.listings.models.activity (or a name inside it)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[Import]:
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py")


def imports_in(text: str, source: str, *, is_package: bool = False) -> Iterator[Import]:
    """The imports of module `source` (relative ones resolved against its package)."""
    package = source if is_package else source.rpartition(".")[0]
    for node in ast.walk(ast.parse(text, source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(source, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield Import(source, f"{base}.{alias.name}", node.lineno)


def project_imports(*top: str) -> list[Import]:
    found: list[Import] = []
    for name in top:
        for path in sorted((ROOT / name).rglob("*.py")):
            found.extend(imports_of(path))
    return found


def unit_of(module: str) -> str:
    """The unit the dependency rules are about: a feature package or a core module of webapp/."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "webapp" and len(parts) > 1 else parts[0]
