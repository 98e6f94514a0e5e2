"""Every shell example in docs/api.md runs, in order, against a real server, and says what the doc says."""

import json
import os
import re
import subprocess
import sys

from api.settings import PROJECT_ROOT, Settings
from tests.server import running_server

DOC = PROJECT_ROOT / "docs" / "api.md"
MARK = "### example output ###"


def _script(base_url: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 10
    coplab = f"{sys.executable} -m api.cli"
    return [b.replace("http://127.0.0.1:8000", base_url).replace(".venv/bin/coplab", coplab) for b in blocks]


def _run(blocks: list[str], env: dict[str, str]) -> list[list[dict]]:
    script = "set -e\n" + "".join(f"{block}\necho '{MARK}'\n" for block in blocks)
    result = subprocess.run(
        ["bash", "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(MARK)[: len(blocks)]
    return [[json.loads(line) for line in out.splitlines() if line.startswith("{")] for out in outputs]


def test_the_documented_examples_do_what_the_document_says(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'docs.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
    prepared = subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert prepared.returncode == 0, prepared.stderr
    loaded = subprocess.run(
        [sys.executable, "-m", "api.cli", "vocabularies", "load"], env=env, capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr

    with running_server(Settings(environment="development", database_url=database_url, tune_gc=False)) as base_url:
        outputs = _run(_script(base_url), env)

    everything = [body for block in outputs for body in block]
    assert all("errors" not in body for body in everything), [b for b in everything if "errors" in b]
    viewer, created, refused, (organisation, partner), (assessment,), (read,), (hidden, deleted) = outputs[1:8]
    assert viewer[0]["data"]["viewer"]["organisation"]["slug"] == "inhope"
    assert created[0]["data"]["createInitiative"]["initiative"]["id"] == "SW5pdGlhdGl2ZTox"
    codes = [e["code"] for e in refused[0]["data"]["createInitiative"]["userErrors"]]
    assert sorted(codes) == ["INVALID_CODE", "INVALID_COUNTRY", "INVALID_DATE_RANGE"]
    assert organisation["data"]["organisation"]["id"] == "T3JnYW5pc2F0aW9uOjI="
    assert partner["data"]["addParticipation"]["userErrors"] == []
    assert assessment["data"]["createEvidenceAssessment"]["userErrors"] == []
    initiative = read["data"]["initiative"]
    assert initiative["participations"][0]["organisation"]["name"] == "Internet Watch Foundation"
    assert initiative["assessments"][0]["findings"] == [{"rating": {"code": "EMERGING"}}]
    assert hidden["data"] == {"initiative": None, "node": None, "initiatives": {"totalCount": 0}}
    assert deleted["data"]["deleteInitiative"] == {"deletedId": None, "userErrors": [{"field": ["input", "id"], "code": "NOT_FOUND"}]}
    (listed, organisations) = outputs[8]
    assert listed["data"]["initiatives"]["totalCount"] == 0  # the only initiative is not public
    assert organisations["data"]["organisations"]["totalCount"] == 1
    (practice, practices) = outputs[9]
    assert practice["data"]["createBestPractice"]["userErrors"] == []
    assert practices["data"]["bestPractices"]["totalCount"] == 1
    vocabularies = outputs[10][0]["data"]["vocabularies"]
    assert {v["code"] for v in vocabularies} == {"harm", "evidence-rating"}
