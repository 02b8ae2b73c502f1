"""requirements.lock is the only place versions are decided; pyproject.toml's ranges must agree with it.

`make setup` installs the lock as it is (no resolver), so a lock that leaves out a dependency, or
pins a version the code says it cannot use, would only show up on some later machine. These
checks find both from the files, and that the virtualenv running the tests is exactly the lock.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
Requires = Callable[[str], Iterable[str]]  # a locked package's name → its Requires-Dist lines


def read_lock(text: str) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements.lock line {number}: {raw!r} is not name==version"
        pins[canonicalize_name(name)] = Version(version.strip())
    return pins


def project_requirements(pyproject: dict) -> list[Requirement]:
    project = pyproject["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return [Requirement(line) for line in lines]


def lock_problems(wanted: list[Requirement], pins: dict[str, Version], requires: Requires) -> list[str]:
    """Every way the lock disagrees with the ranges: missing, outside its range, a dependency's dependency missing."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    todo = [(req, "pyproject.toml") for req in wanted]
    while todo:
        req, wanted_by = todo.pop()
        for extra in sorted(req.extras) or [""]:
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            name = canonicalize_name(req.name)
            if name not in pins:
                problems.append(f"{req.name} (needed by {wanted_by}) is not in requirements.lock")
                continue
            if not req.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{req.name}=={pins[name]} in requirements.lock is outside {req.specifier} ({wanted_by})")
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for line in requires(name):
                dep = Requirement(line)
                if dep.marker is None or dep.marker.evaluate({"extra": extra}):
                    dep.marker = None
                    todo.append((dep, f"{req.name}{'[' + extra + ']' if extra else ''}"))
    return problems


def _installed_requires(name: str) -> list[str]:
    return metadata.requires(name) or []


def test_the_lock_satisfies_pyproject_and_is_closed() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = read_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert lock_problems(project_requirements(pyproject), pins, _installed_requires) == []


def test_the_lock_pins_the_installers_too() -> None:
    pins = read_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert {"pip", "setuptools", "wheel"} <= pins.keys()


def test_this_virtualenv_is_exactly_the_lock() -> None:
    pins = read_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    installed = {
        canonicalize_name(d.metadata["Name"]): Version(d.version)
        for d in metadata.distributions()
        if canonicalize_name(d.metadata["Name"]) != "odekake"
    }
    assert {n: str(v) for n, v in installed.items() if pins.get(n) != v} == {}
    assert sorted(set(pins) - set(installed)) == []


# ---- the checker itself finds each kind of disagreement


def _deps(table: dict[str, list[str]]) -> Requires:
    return lambda name: table.get(name, [])


@pytest.mark.parametrize(
    ("wanted", "lock", "deps", "expected"),
    [
        (["pyshp>=2.3,!=3.1.9"], "pyshp==3.1.6", {}, []),
        (["pyshp>=2.3,!=3.1.9"], "pyshp==3.1.9", {}, ["pyshp==3.1.9 in requirements.lock is outside"]),
        (["flask>=3.0"], "Flask==2.3.0", {}, ["flask==2.3.0 in requirements.lock is outside >=3.0"]),
        (["flask>=3.0"], "", {}, ["flask (needed by pyproject.toml) is not in requirements.lock"]),
        (["flask>=3.0"], "flask==3.1.3", {"flask": ["blinker>=1.9"]}, ["blinker (needed by flask)"]),
        (["flask>=3.0"], "flask==3.1.3\nblinker==1.8", {"flask": ["blinker>=1.9"]}, ["blinker==1.8"]),
        (["psycopg[binary]>=3.1"], "psycopg==3.3.9", {"psycopg": ['psycopg-binary==3.3.9; extra == "binary"']},
         ["psycopg-binary (needed by psycopg[binary])"]),
        (["psycopg>=3.1"], "psycopg==3.3.9", {"psycopg": ['psycopg-binary==3.3.9; extra == "binary"']}, []),
        (["x"], "x==1", {"x": ['tomli>=1; python_version < "3.0"']}, []),
    ],
)
def test_lock_problems(wanted: list[str], lock: str, deps: dict[str, list[str]], expected: list[str]) -> None:
    problems = lock_problems([Requirement(w) for w in wanted], read_lock(lock), _deps(deps))
    assert len(problems) == len(expected), problems
    for problem, start in zip(sorted(problems), sorted(expected), strict=True):
        assert problem.lower().startswith(start.lower()), problem
