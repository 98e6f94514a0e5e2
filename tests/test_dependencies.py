"""Every third-party package coplab imports is declared in pyproject.toml, with bounds the tests have seen.

api/ may import only [project.dependencies]; tests/ may import those and the `test` extra. Each `import` and
`from … import` (read with ast, so imports inside functions count too) is mapped to the distribution that
installs its top-level module (importlib.metadata.packages_distributions()). The standard library and
coplab's own packages (api, tests, seed) need no declaration. docs/operations.md, "Dependencies and the
lock file", states the policy these tests keep.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

OWN_PACKAGES = {"api", "tests", "seed"}

# Imports that may name an undeclared package, each inside a try whose handler catches ImportError (checked
# below), so that coplab works without it: (file, top-level module) -> why.
OPTIONAL_IMPORTS = {
    ("tests/perf/profile_initiatives_page.py", "pyinstrument"):
        "a profiler for a manual investigation (--pyinstrument), installed by hand when wanted",
}

# Declared dependencies that no `import` names, and why coplab needs them all the same.
USED_WITHOUT_IMPORT = {
    "aiosqlite": "SQLAlchemy's sqlite+aiosqlite dialect loads it (api/core/db.py names the driver)",
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect loads it (api/core/db.py names the driver)",
    "python-multipart": "Starlette's request.form() parses the OAuth and page forms with it",
    "import-linter": "tests/test_architecture.py runs its command (importlinter.cli) in a subprocess",
}


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(name, ast.Name) and name.id in {"ImportError", "ModuleNotFoundError"} for name in names)


def _imports(folder: str) -> dict[str, list[tuple[str, int, bool]]]:
    """Top-level module -> (file, line, guarded by an `except ImportError`) for every absolute import."""
    found: dict[str, list[tuple[str, int, bool]]] = defaultdict(list)

    def visit(node: ast.AST, path: str, guarded: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.name.partition(".")[0]].append((path, node.lineno, guarded))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found[node.module.partition(".")[0]].append((path, node.lineno, guarded))
        if isinstance(node, ast.Try):
            body_guarded = guarded or any(_catches_import_error(handler) for handler in node.handlers)
            for child in node.body:
                visit(child, path, body_guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, path, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, path, guarded)

    for file in sorted((ROOT / folder).rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        visit(ast.parse(file.read_text(), path), path, False)
    return found


def _declared(*groups: str) -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    lines = [line for group in groups
             for line in (project["dependencies"] if group == "runtime" else project["optional-dependencies"][group])]
    return {canonicalize_name(requirement.name): requirement for requirement in map(Requirement, lines)}


def _third_party(folder: str) -> dict[str, list[tuple[str, int, bool]]]:
    return {module: places for module, places in _imports(folder).items()
            if module not in sys.stdlib_module_names and module not in OWN_PACKAGES}


def _undeclared(folder: str, declared: dict[str, Requirement]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, places in sorted(_third_party(folder).items()):
        places = [place for place in places if (place[0], module) not in OPTIONAL_IMPORTS]
        if not places:
            continue
        where = ", ".join(f"{path}:{line}" for path, line, _ in places[:3])
        names = {canonicalize_name(name) for name in distributions.get(module, [])}
        if not names:
            problems.append(f"{module}: no installed distribution provides it ({where})")
        elif not names & declared.keys():
            problems.append(f"{module}: provided by {' or '.join(sorted(names))}, not declared ({where})")
    return problems


def test_every_package_api_imports_is_a_declared_dependency() -> None:
    problems = _undeclared("api", _declared("runtime"))
    assert not problems, "add to [project.dependencies] in pyproject.toml:\n" + "\n".join(problems)


def test_every_package_the_tests_import_is_declared_for_the_test_extra() -> None:
    problems = _undeclared("tests", _declared("runtime", "test"))
    assert not problems, "add to the test extra in pyproject.toml:\n" + "\n".join(problems)


def test_optional_imports_are_guarded_and_still_there() -> None:
    for folder in ("api", "tests"):
        for module, places in _third_party(folder).items():
            for path, line, guarded in places:
                if (path, module) in OPTIONAL_IMPORTS:
                    assert guarded, f"{path}:{line} imports {module} outside a try/except ImportError"
    listed = {(path, module) for folder in ("api", "tests") for module, places in _third_party(folder).items()
              for path, _, _ in places}
    assert set(OPTIONAL_IMPORTS) <= listed, "an optional import is gone: drop it from OPTIONAL_IMPORTS"


def test_every_declared_dependency_is_used() -> None:
    distributions = importlib.metadata.packages_distributions()

    def imported(folder: str) -> set[str]:
        return {canonicalize_name(name) for module in _third_party(folder) for name in distributions.get(module, [])}

    unused = sorted((_declared("runtime").keys() - imported("api") - USED_WITHOUT_IMPORT.keys())
                    | (_declared("test").keys() - imported("tests") - USED_WITHOUT_IMPORT.keys()))
    assert not unused, f"declared but never imported: {unused}; remove them, or say why in USED_WITHOUT_IMPORT"
    assert USED_WITHOUT_IMPORT.keys() <= _declared("runtime", "test").keys()


def _caret_limit(version: Version) -> Version:
    """The first release that may break what `version` offers: the next major from 1.0, else the next minor
    for 0.x, else the next patch for 0.0.x (Cargo's caret requirements)."""
    major, minor, patch = (*version.release, 0, 0)[:3]
    if major:
        return Version(f"{major + 1}")
    if minor:
        return Version(f"0.{minor + 1}")
    return Version(f"0.0.{patch + 1}")


def test_every_declared_dependency_has_bounds_around_the_installed_version() -> None:
    requirements = [*PYPROJECT["build-system"]["requires"], *PYPROJECT["project"]["dependencies"],
                    *(line for group in PYPROJECT["project"]["optional-dependencies"].values() for line in group)]
    problems = []
    for requirement in map(Requirement, requirements):
        lower = [spec for spec in requirement.specifier if spec.operator in {">=", "~=", "=="}]
        upper = [spec for spec in requirement.specifier if spec.operator in {"<", "~=", "=="}]
        if not lower or not upper:
            problems.append(f"{requirement}: needs a lower (>=) and an upper (<) bound")
            continue
        if requirement.name == "setuptools":  # the build backend: pip fetches it, it is not in the venv
            continue
        installed = Version(importlib.metadata.version(requirement.name))
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement}: the tests run on {installed}, outside the range")
        limit = _caret_limit(installed)
        if any(spec.operator == "<" and Version(spec.version) > limit for spec in upper):
            problems.append(f"{requirement}: the upper bound allows more than {installed} promises (<{limit})")
    assert not problems, "\n".join(problems)


def test_caret_limit() -> None:
    assert _caret_limit(Version("2.1.9")) == Version("3")
    assert _caret_limit(Version("26.2.16")) == Version("27")
    assert _caret_limit(Version("0.165.0")) == Version("0.166")
    assert _caret_limit(Version("0.0.50")) == Version("0.0.51")
    assert _caret_limit(Version("3.20")) == Version("4")
