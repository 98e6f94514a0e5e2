"""docs/api.md, block by block as written, against `coplab serve` started as the README starts it: a
fresh database that the server migrates and fills with the Lab's registry, on SQLite and PostgreSQL."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from api.core.db import create_sync_engine
from api.initiatives.models import Initiative
from api.core.settings import PROJECT_ROOT
from tests.server import free_port
from tests.server import HTTP_TIMEOUT

DOC = PROJECT_ROOT / "docs" / "api.md"
MARK = "### block done ###"
TITLE = "Escalation of hotline reports across borders"


def _blocks(base_url: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    coplab = f"{sys.executable} -m api.cli"
    return [b.replace("http://127.0.0.1:8000", base_url).replace(".venv/bin/coplab", coplab) for b in blocks]


def _json_documents(text: str) -> list[dict]:
    """The JSON objects a block printed, one after another."""
    decoder, found, at = json.JSONDecoder(), [], text.find("{")
    while at != -1:
        document, end = decoder.raw_decode(text, at)
        found.append(document)
        at = text.find("{", end)
    return found


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """`coplab serve --port PORT`, as the README runs it; returns once it answers."""
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180  # it migrates and loads the registry first
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"coplab serve stopped: {log.read_text()}")
        try:
            if httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=HTTP_TIMEOUT).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise AssertionError(f"coplab serve did not answer: {log.read_text()}")


def test_the_documented_examples_run_as_written_against_the_seeded_server(fresh_database: str, tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COPLAB_DATABASE_URL": fresh_database,
        "COPLAB_DATA_DIR": str(tmp_path / "var"),
        "COPLAB_ENVIRONMENT": "development",
        "COPLAB_ISSUER": base_url,  # the server and the CLI's tokens agree, as docs/auth.md says
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    server = _serve(env, port, tmp_path / "server.log")
    try:
        blocks = _blocks(base_url)
        script = "set -euo pipefail\n" + "".join(f"{block}\necho '{MARK}'\n" for block in blocks)
        result = subprocess.run(
            ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = [_json_documents(text) for text in result.stdout.split(MARK)]
    assert len(outputs) == len(blocks) + 1 and outputs[-1] == []

    everything = [body for block in outputs for body in block]
    assert all("errors" not in body for body in everything), [b for b in everything if "errors" in b]
    assert outputs[0] == []  # tokens and helpers print nothing
    (viewer,), (created,), (refused,), (proposed, confirmed), reviewers_made = outputs[1:6]
    (drafted, submitted, assigned), (first_review, second_review, published), (read,), (hidden, deleted) = outputs[6:10]
    assert viewer["data"]["viewer"]["organisation"]["slug"] == "inhope"

    initiative = created["data"]["createInitiative"]
    assert initiative["userErrors"] == [] and initiative["initiative"]["visibility"] == "ORGANISATION"
    initiative_id = initiative["initiative"]["id"]
    codes = [e["code"] for e in refused["data"]["createInitiative"]["userErrors"]]
    assert sorted(codes) == ["INVALID_CODE", "INVALID_COUNTRY", "INVALID_DATE_RANGE"]

    proposal = proposed["data"]["addParticipation"]
    assert proposal["userErrors"] == [] and proposal["participation"]["confirmedAt"] is None
    assert proposal["participation"]["organisation"] == {"slug": "iwf"}
    confirmation = confirmed["data"]["confirmParticipation"]
    assert confirmation["userErrors"] == [] and confirmation["participation"]["confirmedAt"] is not None
    assert reviewers_made == []  # the operator's commands and the grants print nothing
    assert drafted["data"]["draftEvidenceAssessment"]["revision"]["state"] == "DRAFT"
    assert [b["data"][name]["revision"]["state"] for b, name in (
        (submitted, "submitRevision"), (assigned, "assignReviewers"), (first_review, "submitReview"), (second_review, "submitReview")
    )] == ["SUBMITTED", "IN_REVIEW", "IN_REVIEW", "RECONCILIATION"]
    publication = published["data"]["publishRevision"]
    assert publication["userErrors"] == [] and publication["revision"] == {"state": "PUBLISHED", "publishedVersion": 1}
    nested = read["data"]["initiative"]
    assert nested["title"] == TITLE
    assert [p["organisation"]["name"] for p in nested["participations"]] == ["Internet Watch Foundation"]
    assert nested["assessments"][0]["findings"] == [{"proposedRating": {"code": "EMERGING"}}]
    assert nested["assessments"][0]["versions"] == [{"number": 1, "publication": "REVIEWED"}]
    (rating,) = nested["outcomeRatings"]
    assert (rating["outcome"]["code"], rating["ruleId"]) == ("REMOVAL-TIME", rating["rating"]["code"])
    assert rating["rating"]["code"] in {"PIONEERING", "NOT-RATED"} and rating["certainty"] == {"code": "NOT-ASSESSED"}
    assert rating["contributions"] == [{"counted": False, "reason": "DESCRIPTIVE-DESIGN"}]
    assert rating["history"] == [{"reason": "NEW-EVIDENCE"}]
    assert hidden["data"] == {"initiative": None, "node": None}
    assert deleted["data"]["deleteInitiative"] == {"deletedId": None, "userErrors": [{"field": ["input", "id"], "code": "NOT_FOUND"}]}

    listed, first_page, second_page = outputs[10]
    titles = [e["node"]["title"] for e in listed["data"]["initiatives"]["edges"]]
    assert titles and TITLE not in titles  # the registry's public ones; not INHOPE's own
    hotlines = first_page["data"]["organisations"]
    assert hotlines["totalCount"] > 2 and hotlines["pageInfo"]["hasNextPage"]
    page_one = [e["node"]["slug"] for e in hotlines["edges"]]
    page_two = [e["node"]["slug"] for e in second_page["data"]["organisations"]["edges"]]
    assert len(page_one) == 2 and page_two and not set(page_one) & set(page_two)  # the next page, not the same
    assert len(page_one + page_two) == min(hotlines["totalCount"], 4)

    (practice_drafted, practice_submitted, practice_assigned), practice_published = outputs[11:13]
    (practice_review_1, practice_review_2, practice, practices) = practice_published
    assert practice_drafted["data"]["draftBestPractice"]["revision"]["state"] == "DRAFT"
    assert [b["data"][name]["revision"]["state"] for b, name in (
        (practice_submitted, "submitRevision"), (practice_assigned, "assignReviewers"),
        (practice_review_1, "submitReview"), (practice_review_2, "submitReview"),
    )] == ["SUBMITTED", "IN_REVIEW", "IN_REVIEW", "RECONCILIATION"]
    practice_publication = practice["data"]["publishRevision"]
    assert practice_publication["userErrors"] == []
    assert practice_publication["revision"] == {"state": "PUBLISHED", "publishedVersion": 1}
    assert practice_publication["bestPractice"]["evidenceBasis"] == {"code": "CONSENSUS"}
    assert practice_publication["bestPractice"]["versions"] == [{"number": 1, "publication": "REVIEWED"}]
    newest = practices["data"]["bestPractices"]
    assert newest["edges"][0]["node"]["title"] == practice_publication["bestPractice"]["title"]
    assert newest["totalCount"] > 1  # the registry's practices are listed too
    (vocabularies,) = outputs[13]
    assert {v["code"] for v in vocabularies["data"]["vocabularies"]} == {"harm", "evidence-rating"}

    anonymous, thorn, iwf = (body["data"]["searchInitiatives"] for body in outputs[14])
    assert anonymous["totalHits"] == 0 and anonymous["hits"] == []
    assert thorn["totalHits"] == 0 and thorn["hits"] == []
    assert iwf["totalHits"] == 1 and iwf["hits"] == [{"initiative": {"id": initiative_id, "title": TITLE}}]

    figures, figure, refused_figure = outputs[15]
    listed_figures = figures["data"]["figures"]
    assert listed_figures["totalCount"] == 3
    assert [e["node"]["unit"] for e in listed_figures["edges"]] == ["% change", "%", "images and videos"]
    assert {e["node"]["sourceOrganisation"]["slug"] for e in listed_figures["edges"]} == {"ncmec"}
    made = figure["data"]["createFigure"]
    assert made["userErrors"] == [] and made["figure"]["recordingOrganisation"] == {"slug": "inhope"}
    assert made["figure"]["initiatives"] == [{"title": TITLE}]
    assert [(e["field"], e["code"]) for e in refused_figure["data"]["createFigure"]["userErrors"]] == [
        (["input", "unit"], "BLANK"), (["input", "periodStart"], "INVALID_VALUE"),
        (["input", "periodEnd"], "INVALID_DATE_RANGE"),
    ]
    (members, relations), (refused_member, not_the_network) = outputs[16:18]
    listed_members = members["data"]["organisations"]
    assert listed_members["totalCount"] == 6
    assert {e["node"]["slug"] for e in listed_members["edges"]} == {
        "afa", "esafety-commissioner", "iwf", "kcsc", "ncmec", "point-de-contact",
    }
    inhope = relations["data"]["organisation"]
    assert {m["member"]["slug"]: m["role"]["code"] for m in inhope["networkMembers"]}["afa"] == "FOUNDING-MEMBER"
    assert inhope["memberOf"] == [{"role": {"code": "BOARD-MEMBER"}, "network": {"slug": "weprotect-global-alliance"}}]
    assert refused_member["data"]["addNetworkMember"] == {"networkMembership": None, "userErrors": [
        {"field": ["input", "member"], "code": "SAME_ORGANISATION"}, {"field": ["input", "role"], "code": "INVALID_CODE"}]}
    assert not_the_network["data"]["addNetworkMember"] == {
        "networkMembership": None, "userErrors": [{"field": ["input", "network"], "code": "FORBIDDEN"}]}

    *inquiry_steps, inquiry_read = outputs[18]
    assert [(name, body["data"][name]["revision"]["state"]) for body in inquiry_steps for name in body["data"]] == [
        ("draftRatingInquiry", "DRAFT"), ("submitRevision", "SUBMITTED"), ("assignReviewers", "IN_REVIEW"),
        ("submitReview", "IN_REVIEW"), ("submitReview", "RECONCILIATION"), ("publishRevision", "PUBLISHED"),
    ]
    (questioned,) = inquiry_read["data"]["initiative"]["outcomeRatings"]
    assert questioned["inquiries"] == [{
        "grounds": {"code": "MISSING-STUDY"}, "ruling": "DISMISSED",
        "reasons": ["The audit is not published: nothing to weigh yet."] * 2, "organisation": {"slug": "inhope"},
        "versions": [{"number": 1, "publication": "REVIEWED"}],
    }]
    trail, hidden_trail, rating_changes = outputs[19]
    own = trail["data"]["initiative"]["activity"]
    assert own["totalCount"] == 1
    (entry,) = [e["node"] for e in own["edges"]]
    assert (entry["kind"], entry["organisation"], entry["subject"]) == ("CREATED", {"slug": "inhope"}, {"id": initiative_id})
    assert entry["actor"].startswith("client:")
    assert hidden_trail["data"]["activity"] == {"totalCount": 0}
    changes = rating_changes["data"]["activity"]
    assert changes["totalCount"] > 2 and changes["pageInfo"]["hasPreviousPage"]
    assert {(e["node"]["kind"], e["node"]["organisation"]) for e in changes["edges"]} == {("RATING_CHANGED", None)}
    assert all(e["node"]["subject"]["outcome"]["code"] for e in changes["edges"])

    engine = create_sync_engine(fresh_database)
    with Session(engine) as session:
        # The registry was loaded, and the one initiative the examples wrote is the one the ids named.
        written = session.exec(select(Initiative).where(Initiative.created_by != "seed:registry")).all()
        assert [i.title for i in written] == [TITLE]
        assert len(session.exec(select(Initiative)).all()) > 1
    engine.dispose()
