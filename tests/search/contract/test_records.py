"""The evidence and best-practice indexes on every engine: words match their fields, facets count
every match, the access filter (the domains' `readable` rules in document form) hides another
organisation's non-public record from hits, totals and facet counts alike, and a withdrawn record
removed from the index is gone."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth.principal import ANONYMOUS, Principal, PrincipalKind
from api.auth.scopes import Scope
from api.search.backend import SearchBackend, SearchRequest
from api.search.filters import AnyOf, all_of
from api.search.record_access import evidence_access_filter, practice_access_filter
from api.search.record_schemas import BEST_PRACTICES_SCHEMA, EVIDENCE_SCHEMA
from api.search.schema import IndexSchema
from tests.search.contract.support import all_pages, ids, index, search


def _engine(request: pytest.FixtureRequest, schema: IndexSchema) -> Iterator[SearchBackend]:
    if request.param == "embedded":
        from api.search.embedded import EmbeddedBackend

        yield EmbeddedBackend(schema)
        return
    from api.search.meilisearch_backend import MeilisearchBackend

    server = request.getfixturevalue("meilisearch_server")
    uid = server.index_uid(f"contract_{schema.uid}")
    try:
        yield MeilisearchBackend(server.url, server.master_key, index_uid=uid, schema=schema)
    finally:
        server.delete_indexes(prefix=uid)


@pytest.fixture(params=["embedded", "meilisearch"])
def evidence_engine(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    yield from _engine(request, EVIDENCE_SCHEMA)


@pytest.fixture(params=["embedded", "meilisearch"])
def practice_engine(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    yield from _engine(request, BEST_PRACTICES_SCHEMA)


def evidence(id: int | str, **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": str(id),
        "study_title": "Cohort follow-up",
        "initiative_title": "Community programme",
        "outcomes": ["Awareness"],
        "organisations": ["Example Foundation"],
        "design": "Randomised controlled trial",
        "effect_directions": ["Positive"],
        "study_design": "RCT",
        "outcome": ["AWARENESS"],
        "independence": "INDEPENDENT",
        "rating": ["PROMISING"],
        "countries": ["GB"],
        "visibility": "PUBLIC",
        "owners": [3],
        "assessor": 3,
        "assessor_listed": True,
        "study_visibility": "PUBLIC",
        "study_owners": [3],
        "study_organisation": 3,
        "study_organisation_listed": True,
        "initiative_visibility": "PUBLIC",
        "initiative_owners": [3],
        "initiative_lead": 3,
        "initiative_lead_listed": True,
        "updated_at": 1_700_000_000,
        **fields,
    }
    document.setdefault("title_sort", document["study_title"].casefold())
    return document


def practice(id: int | str, **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": str(id),
        "title": "Community guidance",
        "statement": "Talk with parents early.",
        "harm_labels": ["Solicitation"],
        "intervention_type_labels": ["Awareness raising"],
        "evidence_basis_label": "Consensus",
        "rationale": None,
        "harms": ["SOLICITATION"],
        "intervention_types": ["AWR"],
        "evidence_basis": "CONSENSUS",
        "visibility": "PUBLIC",
        "owners": [3],
        "organisation_listed": True,
        "updated_at": 1_700_000_000,
        **fields,
    }
    document.setdefault("title_sort", document["title"].casefold())
    return document


def test_evidence_words_match_their_fields(evidence_engine) -> None:  # noqa: ANN001
    index(evidence_engine, [
        evidence(1, study_title="Hotline reporting trial"),
        evidence(2, initiative_title="National hotline"),
        evidence(3, organisations=["Internet Watch Foundation"]),
        evidence(4, outcomes=["Reporting rate"]),
        evidence(5),
    ])
    assert ids(search(evidence_engine, "hotline")) == ["1", "2"]  # the study's title ranks first
    assert ids(search(evidence_engine, "watch foundation")) == ["3"]
    assert ids(search(evidence_engine, "reporting", highlight=("study_title", "outcomes"))) == ["1", "4"]
    snippet = search(evidence_engine, "hotlne", highlight=("study_title",)).hits[0].snippets["study_title"]
    assert snippet.text[snippet.matches[0].start:][:7] == "Hotline"  # a typo still matches


def test_evidence_facets_count_every_match(evidence_engine) -> None:  # noqa: ANN001
    index(evidence_engine, [
        evidence(i, study_design=design, outcome=outcomes, independence=independence, countries=countries)
        for i, (design, outcomes, independence, countries) in enumerate([
            ("RCT", ["AWARENESS"], "INDEPENDENT", ["GB"]),
            ("RCT", ["AWARENESS", "REPORTING"], "SELF", ["GB", "FR"]),
            ("QED", ["REPORTING"], "INDEPENDENT", ["FR"]),
        ], start=1)
    ])
    facets = ("study_design", "outcome", "independence", "rating", "countries")
    result = search(evidence_engine, facets=facets, hits_per_page=1)
    assert result.total_hits == 3
    assert result.facet_distribution == {
        "study_design": {"RCT": 2, "QED": 1},
        "outcome": {"AWARENESS": 2, "REPORTING": 2},
        "independence": {"INDEPENDENT": 2, "SELF": 1},
        "rating": {"PROMISING": 3},
        "countries": {"GB": 2, "FR": 2},
    }
    narrowed = search(evidence_engine, filter=AnyOf("outcome", ("REPORTING",)), facets=("study_design",))
    assert sorted(ids(narrowed)) == ["2", "3"]
    assert narrowed.facet_distribution == {"study_design": {"RCT": 1, "QED": 1}}


def _user(organisation_id: int, *, member: bool = True, scopes: frozenset[Scope] | None = None, **extra: bool) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        subject=f"user-of-{organisation_id}",
        organisation_id=organisation_id,
        organisation_is_member=member,
        scopes=frozenset({Scope.INITIATIVES_READ, Scope.ASSESSMENTS_READ, Scope.PRACTICES_READ}) if scopes is None else scopes,
        **extra,
    )


# id: the fields that differ from a public assessment by listed organisation 3. Each hidden one has
# the searched word in its study's title, so a leak would rank first.
EVIDENCE_REGISTRY: dict[str, dict[str, Any]] = {
    "public": {"study_title": "Trial", "initiative_title": "Hotline", "study_design": "RCT"},
    "assessment-org-3-5": {"visibility": "ORGANISATION", "owners": [3, 5], "study_design": "QED"},
    "study-members": {"study_visibility": "MEMBERS", "study_design": "QED"},
    "initiative-org-4": {"initiative_visibility": "ORGANISATION", "initiative_owners": [4], "study_design": "CASE"},
    "assessor-unlisted-6": {"assessor": 6, "assessor_listed": False, "owners": [6], "study_design": "CASE"},
    "lead-unlisted-6": {"initiative_lead": 6, "initiative_lead_listed": False, "study_design": "CASE"},
    "study-org-unlisted-6": {"study_organisation": 6, "study_organisation_listed": False, "study_design": "CASE"},
}
EVIDENCE_CALLERS = {
    "anonymous": (ANONYMOUS, {"public"}),
    "member org 3": (_user(3), {"public", "assessment-org-3-5", "study-members"}),
    "non-member org 5": (_user(5, member=False), {"public", "assessment-org-3-5"}),
    "member org 4": (_user(4), {"public", "study-members", "initiative-org-4"}),
    "member org 4 without read scopes": (_user(4, scopes=frozenset()), {"public"}),
    "member org 6, not listed": (
        _user(6), {"public", "study-members", "assessor-unlisted-6", "lead-unlisted-6", "study-org-unlisted-6"},
    ),
    "lab admin": (
        _user(1, organisation_is_secretariat=True, scopes=frozenset({Scope.LAB_ADMIN})),
        {"public", "assessor-unlisted-6", "lead-unlisted-6", "study-org-unlisted-6"},
    ),
}


@pytest.mark.parametrize("caller", EVIDENCE_CALLERS)
def test_evidence_access_filter_hides_what_the_caller_may_not_read(evidence_engine, caller: str) -> None:  # noqa: ANN001
    index(evidence_engine, [
        evidence(name, **{"study_title": "Hotline trial", **fields}) for name, fields in EVIDENCE_REGISTRY.items()
    ])
    principal, readable = EVIDENCE_CALLERS[caller]
    access = evidence_access_filter(principal)
    request = SearchRequest(query="hotline", filter=access, facets=("study_design",), hits_per_page=2)
    pages = all_pages(evidence_engine, request)
    assert {i for page in pages for i in ids(page)} == readable
    assert pages[0].total_hits == len(readable)
    expected = Counter(EVIDENCE_REGISTRY[name]["study_design"] for name in readable)
    assert pages[0].facet_distribution == {"study_design": dict(expected)}
    # The caller's own filter never widens it.
    narrowed = search(evidence_engine, "", filter=all_of(AnyOf("study_design", ("CASE",)), access))
    assert set(ids(narrowed)) == {n for n in readable if EVIDENCE_REGISTRY[n]["study_design"] == "CASE"}


def test_a_withdrawn_record_removed_from_the_index_is_gone(evidence_engine, practice_engine) -> None:  # noqa: ANN001
    index(evidence_engine, [evidence(1, study_title="Hotline trial"), evidence(2, study_title="Hotline survey")])
    index(practice_engine, [practice(1, title="Hotline guidance"), practice(2, title="Hotline escalation")])
    evidence_engine.delete(["1"])
    practice_engine.delete(["2"])
    evidence_engine.wait()
    practice_engine.wait()
    found = search(evidence_engine, "hotline", facets=("study_design",))
    assert (ids(found), found.total_hits, found.facet_distribution) == (["2"], 1, {"study_design": {"RCT": 1}})
    found = search(practice_engine, "hotline", facets=("harms",))
    assert (ids(found), found.total_hits, found.facet_distribution) == (["1"], 1, {"harms": {"SOLICITATION": 1}})
    assert evidence_engine.document_ids() == {"2"} and practice_engine.document_ids() == {"1"}


def test_practice_words_and_facets(practice_engine) -> None:  # noqa: ANN001
    index(practice_engine, [
        practice(1, title="Escalation path", harms=["CSAM-NEW"], evidence_basis="EVIDENCE"),
        practice(2, statement="Agree an escalation path with the police.", harms=["CSAM-NEW", "SOLICITATION"]),
        practice(3, rationale="Escalation saves time.", intervention_types=["TECH"]),
        practice(4, harm_labels=["Sextortion"], harms=["EXTORTION"]),
    ])
    assert ids(search(practice_engine, "escalation")) == ["1", "2", "3"]  # title, then statement, then rationale
    assert ids(search(practice_engine, "sextortion")) == ["4"]
    cropped = search(practice_engine, "police", crop=("statement",)).hits[0].snippets["statement"]
    assert "police" in cropped.text
    result = search(practice_engine, facets=("harms", "intervention_types", "evidence_basis"))
    assert result.facet_distribution == {
        "harms": {"CSAM-NEW": 2, "SOLICITATION": 2, "EXTORTION": 1},
        "intervention_types": {"AWR": 3, "TECH": 1},
        "evidence_basis": {"EVIDENCE": 1, "CONSENSUS": 3},
    }


PRACTICE_REGISTRY: dict[str, dict[str, Any]] = {
    "public": {"harms": ["SOLICITATION"]},
    "members": {"visibility": "MEMBERS", "harms": ["EXTORTION"]},
    "org-3": {"visibility": "ORGANISATION", "harms": ["CSAM-NEW"]},
    "org-4": {"visibility": "ORGANISATION", "owners": [4], "harms": ["CSAM-NEW"]},
    "unlisted-6": {"owners": [6], "organisation_listed": False, "harms": ["SOLICITATION"]},
}
PRACTICE_CALLERS = {
    "anonymous": (ANONYMOUS, {"public"}),
    "member org 3": (_user(3), {"public", "members", "org-3"}),
    "non-member org 3 (owning them)": (_user(3, member=False), {"public", "members", "org-3"}),
    "member org 4 without read scopes": (_user(4, scopes=frozenset()), {"public"}),
    "member org 6, not listed": (_user(6), {"public", "members", "unlisted-6"}),
    "lab admin": (_user(1, organisation_is_secretariat=True, scopes=frozenset({Scope.LAB_ADMIN})), {"public", "unlisted-6"}),
}


@pytest.mark.parametrize("caller", PRACTICE_CALLERS)
def test_practice_access_filter_hides_what_the_caller_may_not_read(practice_engine, caller: str) -> None:  # noqa: ANN001
    index(practice_engine, [practice(name, title="Hotline guidance", **fields) for name, fields in PRACTICE_REGISTRY.items()])
    principal, readable = PRACTICE_CALLERS[caller]
    result = search(practice_engine, "hotline", filter=practice_access_filter(principal), facets=("harms",), hits_per_page=50)
    assert set(ids(result)) == readable
    assert result.total_hits == len(readable)
    expected = Counter(h for name in readable for h in PRACTICE_REGISTRY[name]["harms"])
    assert result.facet_distribution == {"harms": dict(expected)}
