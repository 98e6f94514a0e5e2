"""The import contracts of pyproject.toml ([tool.importlinter]) hold, as `lint-imports` checks them."""

import pytest
from importlinter.cli import lint_imports

from api.core.settings import PROJECT_ROOT

SUCCESS = 0


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = lint_imports(config_filename=str(PROJECT_ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == SUCCESS, report
    assert "0 broken" in report, report
