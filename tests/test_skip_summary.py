"""A test run summarises its skips by reason and still lists failures, errors and xfails one by
one, with pytest's usual closing line: checked on a small suite run by pytest in a subprocess, with
this project's report options and hook."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from api.core.settings import PROJECT_ROOT

SUITE = '''
import pytest

@pytest.mark.parametrize("n", range(3))
def test_needs_a_database(n):
    pytest.skip("no database here")

@pytest.mark.skipif(True, reason="no browser here")
def test_needs_a_browser():
    pass

def test_passes():
    assert True

def test_fails():
    assert 1 == 2, "one is not two"

@pytest.fixture
def broken():
    raise RuntimeError("broken fixture")

def test_errors(broken):
    pass

@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert False
'''


def run_suite(tmp_path: Path, *options: str) -> list[str]:
    (tmp_path / "test_sample.py").write_text(SUITE)
    (tmp_path / "conftest.py").write_text("from tests.skip_summary import pytest_terminal_summary  # noqa: F401\n")
    addopts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    (tmp_path / "pytest.ini").write_text(f"[pytest]\naddopts = {addopts}\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_skips_are_counted_by_reason_and_failures_listed_one_by_one(tmp_path: Path) -> None:
    lines = run_suite(tmp_path)
    summary = lines[lines.index(next(line for line in lines if "skipped tests, by reason" in line)) + 1:]
    assert summary[:2] == ["3 no database here", "1 no browser here"]
    assert not any(line.startswith("SKIPPED") for line in lines)
    assert any(line.startswith("FAILED") and "test_fails" in line and "one is not two" in line for line in lines)
    assert any(line.startswith("ERROR") and "test_errors" in line for line in lines)
    assert any(line.startswith("XFAIL") and "test_known_bug" in line for line in lines)
    assert "1 failed, 1 passed, 4 skipped, 1 xfailed, 1 error" in lines[-1]


def test_skips_asked_for_are_listed_as_pytest_lists_them(tmp_path: Path) -> None:
    lines = run_suite(tmp_path, "-rs")
    assert any(line.startswith("SKIPPED") and "no database here" in line for line in lines)
    assert not any("skipped tests, by reason" in line for line in lines)
