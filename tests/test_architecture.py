"""The layers hold: the import contracts in pyproject.toml are kept, and no module of api/ imports
itself through others (docs/architecture.md, Layers)."""

import graphlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
CONTRACTS = {"cli", "core", "domains", "graphql", "auth", "portal"}

# Imports that close a cycle and that work under way elsewhere removes; each must still exist, so the
# entry goes as soon as its import does.
PENDING_CYCLE_BREAKS: set[tuple[str, str]] = set()


def test_the_import_contracts_are_kept() -> None:
    declared = {c["id"] for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]}
    assert CONTRACTS <= declared, f"contracts missing from pyproject.toml: {sorted(CONTRACTS - declared)}"
    lint = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    result = subprocess.run(
        [sys.executable, "-c", lint, str(PYPROJECT), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},  # one line per contract and per import in the report
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"Contracts: {len(declared)} kept, 0 broken." in report, report


def _import_lines(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    return "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)


def test_no_module_imports_itself_through_others() -> None:
    # Every import counts: at the top of a module, inside a function, under `if TYPE_CHECKING`.
    graph = grimp.build_graph("api", cache_dir=None)
    for importer, imported in PENDING_CYCLE_BREAKS:
        assert graph.direct_import_exists(importer=importer, imported=imported), (
            f"{importer} no longer imports {imported}: remove it from PENDING_CYCLE_BREAKS"
        )
        graph.remove_import(importer=importer, imported=imported)
    modules = {m for m in graph.modules if m != "api.migrations" and not m.startswith("api.migrations.")}
    imports = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        # Each module in the cycle is imported by the one after it.
        cycle = list(reversed(error.args[1]))
        steps = [f"{a} -> {b} ({_import_lines(graph, a, b)})" for a, b in zip(cycle, cycle[1:])]
        raise AssertionError("an import cycle:\n" + "\n".join(steps)) from None
