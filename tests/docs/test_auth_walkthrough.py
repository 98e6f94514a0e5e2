"""The walkthrough in docs/auth.md, block by block, against a real server: organisations, an admin
and a machine client from the CLI, a token with curl, an initiative written, then a person of a
second organisation signing in through the browser flow (the browser step done over HTTP by
`tests.docs.sign_in_step`) who cannot touch the first organisation's non-public record."""

import json
import os
import re
import subprocess
import sys

from sqlmodel import Session, create_engine, select

from api.initiatives.models import Initiative
from api.core.settings import PROJECT_ROOT, Settings
from tests.server import running_server

DOC = PROJECT_ROOT / "docs" / "auth.md"
BROWSER_STEP = "CODE='paste the code from the address bar here'"
MARK = "### block done ###"


def _walkthrough(base_url: str) -> list[str]:
    section = DOC.read_text(encoding="utf-8").split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    blocks = [_dedent(b) for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]
    assert sum(BROWSER_STEP in b for b in blocks) == 1
    browser = (
        f'CODE=$({sys.executable} -m tests.docs.sign_in_step "$AUTHORIZE_URL" sam@ecpat.example '
        "'ecpat editor passphrase 2026' 'ECPAT International')"
    )
    coplab = f"{sys.executable} -m api.cli"
    return [
        b.replace(BROWSER_STEP, browser).replace("http://127.0.0.1:8000", base_url).replace(".venv/bin/coplab", coplab)
        for b in blocks
    ]


def _json_documents(text: str) -> list[dict]:
    """The JSON objects curl printed one after another (curl adds no line break)."""
    decoder, found, at = json.JSONDecoder(), [], text.find("{")
    while at != -1:
        document, end = decoder.raw_decode(text, at)
        found.append(document)
        at = text.find("{", end)
    return found


def _dedent(block: str) -> str:
    return "\n".join(line.removeprefix("   ") for line in block.splitlines())


def test_the_walkthrough_works_as_written(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'walkthrough.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT)}
    for step in (("seed",),):  # what `coplab serve` does first on an empty database
        prepared = subprocess.run([sys.executable, "-m", "api.cli", *step], env=env, capture_output=True, text=True, check=False)
        assert prepared.returncode == 0, prepared.stderr

    settings = Settings(environment="development", database_url=database_url, tune_gc=False)
    with running_server(settings) as base_url:
        env["COPLAB_ISSUER"] = settings.issuer
        script = "set -euo pipefail\n" + "".join(f"{block}\necho '{MARK}'\n" for block in _walkthrough(base_url))
        result = subprocess.run(
            ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = result.stdout.split(MARK)
    assert len(outputs) == 8  # seven blocks (step 4 has two), then nothing after the last mark

    created = json.loads((tmp_path / "initiative.json").read_text())["data"]["createInitiative"]
    assert created["userErrors"] == [] and created["initiative"]["visibility"] == "ORGANISATION"
    sam = json.loads((tmp_path / "sam.json").read_text())
    assert sam["scope"] == "initiatives:read initiatives:write" and sam["refresh_token"]

    read, write = _json_documents(outputs[6])
    assert read["data"]["viewer"] == {
        "organisation": {"slug": "ecpat-international"},
        "role": "EDITOR",
        "scopes": ["initiatives:read", "initiatives:write"],
    }
    assert read["data"]["node"] is None
    assert write["data"]["updateInitiative"]["userErrors"] == [{"field": ["input", "id"], "code": "NOT_FOUND"}]
    engine = create_engine(database_url)
    with Session(engine) as session:
        # Beside the registry's own initiatives, the one the walkthrough wrote, unchanged.
        written = session.exec(select(Initiative).where(Initiative.created_by != "seed:registry")).all()
        assert [i.title for i in written] == ["Hotline case triage"]
    engine.dispose()
