"""docs/ratings.md is what `coplab ratings docs` renders from the published rule sets: the committed page may
not drift from seed/ratings/ (like schema/schema.graphql from the code), and `--check` says when it has."""

import os
import subprocess
import sys
from pathlib import Path

from api.ratings.rendering import DOCS_FILE, docs_markdown, render
from api.ratings.ruleset import Ruleset, load_ruleset, read_document, ruleset_versions

COPLAB = [sys.executable, "-m", "api.cli"]


def _coplab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COPLAB, *args], env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False)


def test_the_committed_page_matches_the_rule_sets() -> None:
    assert DOCS_FILE.read_text(encoding="utf-8") == docs_markdown(), (
        "docs/ratings.md is stale: run `coplab ratings docs` and commit it"
    )


def test_the_page_holds_every_version_rule_check_step_and_scheme() -> None:
    page = docs_markdown()
    for version in ruleset_versions():
        ruleset = load_ruleset(version)
        assert f"## Version {version}" in page
        headings = [f"#### 2.{i} `{r.id}` gives {r.rating}" for i, r in enumerate(ruleset.rules, start=1)]
        positions = [page.index(h) for h in headings]
        assert positions == sorted(positions)  # in evaluation order
        assert all(f"`{e.code}`" in page for e in ruleset.eligibility)
        assert all(f"#### `{s.domain}`" in page for s in ruleset.certainty.steps)
        assert all(f"#### {c.name}" in page for c in ruleset.crosswalk)
        assert all(" ".join(c.differs.split()) in page for r in ruleset.rules for c in r.criteria if c.differs)


def test_a_second_version_is_rendered_first_and_marked_current() -> None:
    second = Ruleset.model_validate(read_document("1") | {"version": "2", "title": "Outcome ratings, version 2"})
    page = render([load_ruleset("1"), second])
    assert page.index("## Version 2 (current): Outcome ratings, version 2") < page.index("## Version 1: Outcome ratings, version 1")
    assert "Versions: [version 2](#version-2), [version 1](#version-1)." in page


def test_check_passes_on_the_committed_page_and_fails_on_a_stale_one(tmp_path: Path) -> None:
    passed = _coplab("ratings", "docs", "--check")
    assert passed.returncode == 0, passed.stderr
    stale = tmp_path / "ratings.md"
    stale.write_text(docs_markdown().replace("EFFECTIVE", "EFFECTIVE!", 1), encoding="utf-8")
    failed = _coplab("ratings", "docs", "--check", "--output", str(stale))
    assert failed.returncode == 1
    assert "is stale: run `coplab ratings docs`" in " ".join(failed.stderr.split())
    missing = _coplab("ratings", "docs", "--check", "--output", str(tmp_path / "none.md"))
    assert missing.returncode == 1


def test_the_command_writes_the_page(tmp_path: Path) -> None:
    output = tmp_path / "ratings.md"
    written = _coplab("ratings", "docs", "--output", str(output))
    assert written.returncode == 0, written.stderr
    assert output.read_text(encoding="utf-8") == docs_markdown()
