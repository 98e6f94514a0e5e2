"""Generated GraphQL operations against a live coplab server, and what every answer must keep.

Half the operations come from hypothesis-graphql over schema/schema.graphql: queries and mutations,
valid ones (`Mode.POSITIVE`) and ones with one schema violation each (`Mode.NEGATIVE`). Some of each
operation's root arguments are sent as variables rather than inline, every mutation payload's
`userErrors` is selected, and strings and ids are drawn mostly from values that reach the rules
behind the schema (the registry's own ids, vocabulary and country codes, slugs, dates, URLs,
cursors), else at random. The other half are `variants` of valid operations: a few values of their
variables replaced, removed, or poisoned with text no database holds.

Each operation is sent to a `coplab serve` process whose output goes to a file, by a profile (no
token, or an admin's token with every scope but `lab:admin`), and its answer is held to `problems`:
no 5xx; a GraphQL response (a JSON object of `data` and/or `errors`); every error with a stable
`extensions.code` that is not INTERNAL_SERVER_ERROR; every `userErrors` entry with a code and a
field path from `input`; and nothing in the server's output that an unexpected exception writes
(a traceback, `unexpected error`, uvicorn's `Exception in ASGI application`).

tests/test_generated_operations.py runs a bounded number in the suite; tests/perf/fuzz_graphql.py
runs many, collecting every failure (docs/api.md, Fuzzing).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes
from sqlmodel import select

from api.auth.principal import Role
from api.core.settings import PROJECT_ROOT
from api.initiatives.models import Participation
from api.inquiries.models import RatingInquiry
from api.ratings.models import OutcomeRating
from api.vocabularies.models import Vocabulary, VocabularyTerm
from tests.factories import ACTOR, ALL_SCOPES, Factory, gid, membership_of
from tests.server import COPLAB, coplab_environment, free_port, server_process
from tests.server import HTTP_TIMEOUT

SCHEMA = graphql.build_schema((PROJECT_ROOT / "schema" / "schema.graphql").read_text())
# The seed the suite's run uses, so CI draws the same operations every time.
SUITE_SEED = 20261204
# What an unexpected exception leaves in the server's output: a traceback, coplab's own line for
# a masked error (api/schema.py, api/core/middleware.py), uvicorn's for one that escaped the app, or
# any record at ERROR or above (in the text and JSON formats of docs/operations.md, Logs).
LOG_FAILURE = re.compile(
    r'Traceback|unexpected error|Exception in ASGI application|^ERROR:|^\S+Z (?:ERROR|CRITICAL) |"level": "(?:ERROR|CRITICAL)"',
    re.MULTILINE,
)
USER_ERROR_SELECTION = graphql.parse("{ userErrors { field code message } }").definitions[0].selection_set.selections[0]


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any]

    def as_text(self) -> str:
        return f"{self.query}\nvariables: {json.dumps(self.variables, ensure_ascii=False)}"


@dataclass(frozen=True)
class Profile:
    name: str
    token: str | None


@dataclass
class Registry:
    """What the arranged registry offers operations to refer to, and the profiles that call it."""

    ids: list[str]
    strings: list[str]
    profiles: dict[str, Profile]
    named: dict[str, str]  # the ids the valid operations use: lab, other, initiative, assessment


# --- the registry the operations run against ------------------------------------------------------


def arrange(make: Factory, *, token_lifetime: int = 3600) -> Registry:
    """A small registry: the fuzzing organisation (whose admin holds the write token, and which has a
    contributor, a client and records of every kind) and another organisation with records that
    are public, for members, and its own; every id of them and the strings that reach the rules."""
    lab = make.organisation("fuzz-lab")
    other = make.organisation("other-org", country="NL", stakeholder_type="HOTLINE")
    admin = make.member(lab, "admin@fuzz-lab.example")
    contributor = make.member(lab, "contributor@fuzz-lab.example", Role.CONTRIBUTOR)
    make.member(other, "admin@other-org.example")
    public = make.initiative(lab, "Hotline network", harms=["CSAM-KNOWN"], partners=[(other, "FUNDING")])
    members_only = make.initiative(other, "For members", visibility="MEMBERS")
    own_only = make.initiative(other, "Its own", visibility="ORGANISATION")
    assessment = make.assessment(public, other)
    hidden_assessment = make.assessment(own_only, other, visibility="ORGANISATION")
    practice = make.practice(lab, evidence=[assessment.id], endorsed_by=[other])
    figure = make.figure(lab, initiatives=[public, own_only], harms=["CSAM-KNOWN"], source=other)
    hidden_figure = make.figure(other, "Its own count", visibility="ORGANISATION")
    client, _ = make.oauth_client(lab, ["initiatives:read"])
    token = make.token(lab, ALL_SCOPES, user=admin, lifetime=token_lifetime)
    participation = make.db.exec(select(Participation).where(Participation.initiative_id == public.id)).one()
    in_network = make.network_member(other, lab, "MEMBER", [{"source": "Network charter"}])
    rating = make.db.exec(select(OutcomeRating).where(OutcomeRating.initiative_id == public.id)).first()
    inquiry = RatingInquiry(  # filed by the lead, which has a stake
        rating_id=rating.id, organisation_id=lab.id, grounds="MISSING-STUDY", text="A study is missing.",
        created_by=ACTOR, updated_by=ACTOR,
    )
    make.db.add(inquiry)
    make.db.commit()

    ids = [
        gid("Organisation", lab.id),
        gid("Organisation", other.id),
        gid("Initiative", public.id),
        gid("Initiative", members_only.id),
        gid("Initiative", own_only.id),
        gid("EvidenceAssessment", assessment.id),
        gid("EvidenceAssessment", hidden_assessment.id),
        gid("BestPractice", practice.id),
        gid("Membership", membership_of(make.db, lab, contributor).id),
        gid("Membership", membership_of(make.db, lab, admin).id),
        gid("Participation", participation.id),
        gid("Figure", figure.id),
        gid("Figure", hidden_figure.id),
        gid("NetworkMembership", in_network.id),
        gid("OutcomeRating", rating.id),
        gid("RatingInquiry", inquiry.id),
        gid("Initiative", 2**31 - 1),
        gid("Organisation", 0),
    ]
    codes = sorted({*make.db.exec(select(VocabularyTerm.code)).all(), *make.db.exec(select(Vocabulary.code)).all()})
    strings = [
        *codes,
        *("FR", "NL", "GB", "UK", "FRA", "France", "en", "fr", "en-GB", "French"),
        *("fuzz-lab", "other-org", "new-org", "a" * 301),
        *("https://example.org/report", "javascript:alert(1)", "ftp://x", "http://"),
        *("2024-02-29", "2023-02-29", "2024-13-01", "0001-01-01", "9999-12-31"),
        *("admin@fuzz-lab.example", "contributor@fuzz-lab.example", "someone@example.org", "not an e-mail"),
        client.client_id,
        *("", " ", "\u202eevil", "line\nbreak", "a\x00b"),
        # Cursors of three orders: well-formed, holding a NUL or an unpaired surrogate, of the wrong type.
        *(cursor_of(f'["{order}",{value},1]') for order in ("title:asc", "name:asc", "updated_at:desc")
          for value in ('"Hotline network"', '"a\\u0000"', '"a\\ud800"', "null", "2")),
    ]
    return Registry(
        ids=ids,
        strings=strings,
        profiles={"anonymous": Profile("anonymous", None), "writer": Profile("writer", token)},
        named={
            "lab": ids[0], "other": ids[1], "initiative": ids[2], "assessment": ids[5], "client": client.client_id,
            "initiative_cursor": cursor_of(json.dumps(["title:asc", public.title, public.id])),
            "organisation_cursor": cursor_of(json.dumps(["name:asc", lab.name, lab.id])),
        },
    )


def cursor_of(text: str) -> str:
    """A cursor as the server writes one (base64url of JSON `[order, value, row id]`), of any text."""
    return base64.urlsafe_b64encode(text.encode()).decode()


# --- operations ----------------------------------------------------------------------------------


def _mostly(known: st.SearchStrategy[Any], anything: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three draws in four from `known`, values that get past the first check to the rules behind it."""
    return st.one_of(known, known, known, anything)


def _scalars(registry: Registry) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=5,
    )
    return {
        "String": _mostly(st.sampled_from(registry.strings), st.text(max_size=40)).map(nodes.String),
        "ID": _mostly(st.sampled_from(registry.ids), st.text(max_size=40)).map(nodes.String),
        # Page sizes, page numbers and ids of rows: mostly around the limits.
        "Int": _mostly(st.integers(-1, 102), st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
        "Date": _mostly(st.dates().map(str), st.sampled_from(registry.strings)).map(nodes.String),
        "DateTime": st.datetimes().map(lambda moment: nodes.String(moment.isoformat())),
        "JSON": json_values.map(lambda value: nodes.String(json.dumps(value))),
    }


def _type_node(type_: graphql.GraphQLInputType) -> graphql.TypeNode:
    return graphql.parse_type(str(type_))


def _with_variables(document: graphql.DocumentNode, hoist: Callable[[], bool]) -> Operation:
    """The operation with each root argument `hoist()` picks sent as a variable of the argument's
    type, and `userErrors { field code message }` selected under every payload that has them. New
    nodes throughout: the generated ones may be shared between examples."""
    operation = document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = SCHEMA.mutation_type if operation.operation is graphql.OperationType.MUTATION else SCHEMA.query_type
    assert root is not None
    definitions: list[graphql.VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    selections = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, graphql.FieldNode):
            selections.append(selection)
            continue
        schema_field = root.fields.get(selection.name.value)
        arguments = []
        for argument in selection.arguments or ():
            declared = schema_field.args.get(argument.name.value) if schema_field else None
            if declared is None or not hoist():
                arguments.append(argument)
                continue
            name = f"v{len(variables)}"
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            variables[name] = graphql.value_from_ast_untyped(argument.value)
            definitions.append(graphql.VariableDefinitionNode(variable=variable, type=_type_node(declared.type)))
            arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
        selection_set = selection.selection_set
        payload = graphql.get_named_type(schema_field.type) if schema_field else None
        if selection_set is not None and isinstance(payload, graphql.GraphQLObjectType) and "userErrors" in payload.fields:
            selection_set = graphql.SelectionSetNode(selections=(*selection_set.selections, USER_ERROR_SELECTION))
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives or (),
                selection_set=selection_set,
            )
        )
    rewritten = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(definitions),
        directives=operation.directives or (),
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return Operation(graphql.print_ast(graphql.DocumentNode(definitions=(rewritten,))), variables)


def operations(registry: Registry) -> st.SearchStrategy[Operation]:
    """Half from the schema (queries and mutations, valid or with one schema violation, arguments
    inline or as variables), half variants of valid operations (`variants`)."""
    scalars = _scalars(registry)
    documents = _mostly(
        from_schema(SCHEMA, custom_scalars=scalars, print_ast=lambda document: document),
        from_schema(SCHEMA, custom_scalars=scalars, print_ast=lambda document: document, mode=Mode.NEGATIVE),
    )

    @st.composite
    def operation(draw: st.DrawFn) -> Operation:
        return _with_variables(draw(documents), lambda: draw(st.booleans()))

    return st.one_of(operation(), variants(registry))


# Valid operations whose variables `variants` changes one or two values of: an operation generated
# from the schema alone rarely gets past the first vocabulary code or id, these reach every rule.
INITIATIVE = """id title summary status { code label } visibility plannedStart actualStart actualStartPrecision
  harms { code } countries { code } languages { code } links { url label }
  leadOrganisation { slug } participations { role { code } organisation { slug } confirmedAt }
  assessments { study { title } findings { proposedRating { code } } }
  outcomeRatings { outcome { code } rating { code } certainty { code } certaintyTrace { domain level { code } } }
  provenance { source }"""
PAYLOAD = "userErrors { field code message suggestion }"
VALID_OPERATIONS: list[tuple[str, Callable[[dict[str, str]], dict[str, Any]]]] = [
    (
        f"mutation($input: CreateInitiativeInput!) {{ createInitiative(input: $input) {{ initiative {{ {INITIATIVE} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {
            "title": "Hotline referrals", "status": "IMPLEMENTATION", "summary": "Referrals.", "description": "Long\ntext.",
            "visibility": "MEMBERS", "plannedStart": "2024-01-01", "plannedEnd": "2025-06-30", "actualStart": "2024-02-01",
            "links": [{"url": "https://example.org/report", "label": "Report"}], "interventionTypes": ["DET-HASH"],
            "harms": ["CSAM-KNOWN"], "mnrCapabilities": ["MNR-01"], "targetGroups": ["CHILDREN"], "regions": ["EU"],
            "countries": ["FR", "NL"], "languages": ["fr"],
        }},
    ),
    (
        f"mutation($input: UpdateInitiativeInput!) {{ updateInitiative(input: $input) {{ initiative {{ {INITIATIVE} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"id": ids["initiative"], "title": "Renamed", "summary": None, "harms": ["CSAM-NEW"],
                               "actualEnd": "2026-01-01", "links": []}},
    ),
    (
        f"mutation($input: AddParticipationInput!) {{ addParticipation(input: $input) {{ participation {{ id role {{ code }} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"initiative": ids["initiative"], "organisation": ids["other"], "role": "IMPLEMENTING"}},
    ),
    (
        # Saves a draft (published only after review): the payload's revision, evidenceAssessment null.
        f"mutation($input: CreateEvidenceAssessmentInput!) {{ createEvidenceAssessment(input: $input) {{"
        f" evidenceAssessment {{ id }} revision {{ id state baseVersion content organisation {{ slug }} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {
            "initiative": ids["initiative"], "independence": "SELF", "visibility": "PUBLIC",
            "newStudy": {"title": "Evaluation", "studyDesign": "DID", "sampleSize": 120, "referenceDoi": "10.1000/xyz",
                         "referenceUrl": "https://example.org/study", "publishedOn": "2024-05-01",
                         "countries": ["FR"], "publishedPrecision": "MONTH"},
            "findings": [{"outcome": "REMOVAL-TIME", "effectDirection": "POSITIVE", "significance": "YES",
                          "proposedRating": "EMERGING", "proposedCertainty": "LOW", "effectSize": 0.4,
                          "effectSizeMetric": "d", "ciLow": 0.1, "ciHigh": 0.7, "pValue": 0.02, "riskOfBias": "SOME",
                          "followUpMonths": 12, "sourceScheme": "CEBC", "sourceRating": "3"}],
        }},
    ),
    (
        f"mutation($input: CreateBestPracticeInput!) {{ createBestPractice(input: $input) {{"
        f" bestPractice {{ id title }} revision {{ id state content }} {PAYLOAD} }} }}",
        lambda ids: {"input": {
            "title": "Hash matching", "statement": "Match known images.", "evidenceBasis": "CONSENSUS",
            "rationale": "Works.", "harms": ["CSAM-KNOWN"], "interventionTypes": ["DET-HASH"],
            "evidence": [ids["assessment"]], "visibility": "PUBLIC",
        }},
    ),
    (
        f"mutation($input: CreateFigureInput!) {{ createFigure(input: $input) {{"
        f" figure {{ id value unit periodStart periodEnd initiatives {{ title }} harms {{ code }} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {
            "statement": "Reports rose by 82%.", "value": 82, "unit": "% change", "denominator": "of reports",
            "periodStart": "2021-01-01", "periodEnd": "2022-01-01", "periodPrecision": "YEAR",
            "sourceOrganisation": ids["other"], "initiatives": [ids["initiative"]], "harms": ["SOLICITATION"],
            "regions": ["EU"], "countries": ["NL"], "provenance": [{"source": "Annual report", "passage": "82%"}],
            "visibility": "MEMBERS",
        }},
    ),
    (
        f"mutation($input: UpdateOrganisationInput!) {{ updateOrganisation(input: $input) {{"
        f" organisation {{ slug name acronym aliases country {{ code }} website }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"id": ids["lab"], "name": "Fuzz Lab", "acronym": "FL", "aliases": ["The Lab"],
                               "country": "GB", "website": "https://fuzz-lab.example", "description": None}},
    ),
    (
        f"mutation($input: AddMemberInput!) {{ addMember(input: $input) {{ membership {{ id role }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"organisation": ids["lab"], "email": "new@fuzz-lab.example", "name": "New", "role": "EDITOR"}},
    ),
    (
        f"mutation($input: AddNetworkMemberInput!) {{ addNetworkMember(input: $input) {{ networkMembership {{ id"
        f" role {{ code }} member {{ slug }} network {{ slug }} provenance {{ source passage note }} }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"network": ids["lab"], "member": ids["other"], "role": "BOARD-MEMBER",
                               "provenance": [{"source": "Annual report", "passage": "Sits on the board.", "note": None}]}},
    ),
    (
        f"mutation($input: CreateOAuthClientInput!) {{ createOAuthClient(input: $input) {{ client {{ clientId scopes }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"name": "Case system", "scopes": ["initiatives:read"], "kind": "WEB_PUBLIC",
                               "redirectUris": ["https://app.example/callback"]}},
    ),
    (
        "query($first: Int, $after: String, $filter: InitiativeFilter, $orderBy: InitiativeOrder!) {"
        f" initiatives(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {{ totalCount"
        f" pageInfo {{ endCursor hasNextPage }} edges {{ cursor node {{ {INITIATIVE} }} }} }} }}",
        lambda ids: {"first": 5, "after": ids["initiative_cursor"], "orderBy": "TITLE_ASC", "filter": {
            "organisations": [ids["lab"]], "harms": ["CSAM-KNOWN"], "statuses": ["IMPLEMENTATION"],
            "visibilities": ["PUBLIC", "MEMBERS"], "query": "hotline",
        }},
    ),
    (
        "query($after: String) { organisations(first: 2, after: $after, orderBy: NAME_ASC) { totalCount"
        " edges { cursor node { slug name members { role } initiatives(first: 2) { totalCount } } } } }",
        lambda ids: {"after": ids["organisation_cursor"]},
    ),
    (
        "query($filter: OrganisationFilter) { organisations(first: 5, filter: $filter) { totalCount edges { node {"
        " slug memberOf { role { code } network { slug } } networkMembers { role { code } member { slug } } } } } }",
        lambda ids: {"filter": {"memberOf": ids["lab"], "statuses": ["MEMBER", "NAMED"]}},
    ),
    (
        "query($codes: [String!]) { vocabularies(codes: $codes) { code label terms { code label } } }",
        lambda ids: {"codes": ["harm", "region"]},
    ),
    (
        f"mutation($input: OAuthClientInput!) {{ rotateOAuthClientSecret(input: $input) {{ client {{ clientId }} {PAYLOAD} }} }}",
        lambda ids: {"input": {"clientId": ids["client"]}},
    ),
    (
        "query($query: String!, $filter: SearchFilter, $facets: [SearchFacet!], $page: Int!, $hitsPerPage: Int!) {"
        " searchInitiatives(query: $query, filter: $filter, facets: $facets, page: $page, hitsPerPage: $hitsPerPage) {"
        " totalHits hits { initiative { title } } } }",
        lambda ids: {"query": "hotline netwrk", "filter": {"harms": ["CSAM-KNOWN"], "leadOrganisation": [ids["lab"]]},
                     "facets": ["HARMS", "COUNTRIES"], "page": 1, "hitsPerPage": 10},
    ),
]


for _query, _ in VALID_OPERATIONS:
    assert not graphql.validate(SCHEMA, graphql.parse(_query)), graphql.validate(SCHEMA, graphql.parse(_query))


def _paths(value: Any, at: tuple = ()) -> Iterator[tuple]:
    """The path to every value inside `value`, containers too."""
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _at(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    """`value` with what is at `path` replaced by `new`, or removed if `new` is `_REMOVE`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    if rest or new is not _REMOVE:
        copy[head] = _replaced(value[head], rest, new)
    else:
        copy.pop(head)
    return copy


_REMOVE = object()
# What `_poisoned` puts into a string: what no database holds, and what hides one text in another.
POISON = ["\x00", "\ud800", "\udfff", "\u202e", "\ufeff"]


def _poisoned(value: Any, poison: str, at: int) -> Any:
    """A string with `poison` inserted at `at` (modulo its length); a cursor (base64 JSON) with it put
    into the text inside, encoded again; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        inside = json.loads(base64.urlsafe_b64decode(value.encode()).decode())
    except ValueError:
        inside = None
    if isinstance(inside, list):
        return cursor_of(json.dumps([_poisoned(item, poison, at) for item in inside]))
    at %= len(value) + 1
    return value[:at] + poison + value[at:]


def variants(registry: Registry) -> st.SearchStrategy[Operation]:
    """A valid operation with up to three of its variables' values replaced (or removed), or poisoned
    (`_poisoned`)."""
    scalar = st.one_of(
        st.sampled_from(registry.strings),
        st.sampled_from(registry.ids),
        st.text(max_size=40),
        st.text(min_size=300, max_size=2100),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
    )
    values = st.one_of(scalar, st.lists(scalar, max_size=4), st.dictionaries(st.text(max_size=8), scalar, max_size=3))

    @st.composite
    def variant(draw: st.DrawFn) -> Operation:
        query, make_variables = draw(st.sampled_from(VALID_OPERATIONS))
        variables = make_variables(registry.named)
        for _ in range(draw(st.integers(0, 3))):
            inside = list(_paths(variables))[1:]
            if not inside:
                break
            path = draw(st.sampled_from(inside))
            if draw(st.booleans()):
                new = _poisoned(_at(variables, path), draw(st.sampled_from(POISON)), draw(st.integers(0, 50)))
            else:
                new = draw(st.just(_REMOVE) | values)
            variables = _replaced(variables, path, new)
        return Operation(query, variables)

    return variant()


# --- what every answer keeps -------------------------------------------------------------------


def _user_errors(value: Any) -> Iterator[Any]:
    """Every `userErrors` entry anywhere in a response's `data`."""
    if isinstance(value, list):
        for item in value:
            yield from _user_errors(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "userErrors" and isinstance(item, list):
                yield from item
            else:
                yield from _user_errors(item)


def _user_error_problems(data: Any) -> Iterator[str]:
    """Every `userErrors` entry must carry a code and a field path from `input`."""
    for entry in _user_errors(data):
        path = entry.get("field") if isinstance(entry, dict) else None
        if not (isinstance(entry, dict) and isinstance(entry.get("code"), str) and entry["code"]):
            yield f"a userErrors entry without a code: {entry}"
        if not (isinstance(path, list) and path and path[0] == "input" and all(isinstance(p, str) for p in path)):
            yield f"a userErrors entry without a field path from input: {entry}"


def _outcomes(text: str) -> list[str]:
    try:
        body = json.loads(text)
        errors = [
            " ".join(["error", e["extensions"]["code"], *([e["extensions"]["reason"]] if "reason" in e["extensions"] else [])])
            for e in body.get("errors") or []
        ]
        user = [f"userError {entry['code']}" for entry in _user_errors(body.get("data"))]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ["unreadable"]
    return errors + user or ["data"]


def problems(status: int, text: str, log: str) -> list[str]:
    """What is wrong with an answer (its HTTP status and body) and the server output it caused."""
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    if LOG_FAILURE.search(log):
        found.append("the server logged an unexpected exception")
    try:
        body = json.loads(text)
    except ValueError:
        return [*found, "the body is not JSON"]
    if not isinstance(body, dict) or not {"data", "errors"} & body.keys() or body.keys() - {"data", "errors", "extensions"}:
        return [*found, "not a GraphQL response (an object of data and/or errors)"]
    errors = body.get("errors")
    if "errors" in body and not (isinstance(errors, list) and errors):
        found.append("errors is not a non-empty list")
    if body.get("data") is None and not errors:
        found.append("neither data nor errors")
    if body.get("data") is not None and not isinstance(body["data"], dict):
        found.append("data is not an object")
    for error in errors if isinstance(errors, list) else []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            found.append(f"an error without a message: {error}")
        if not (isinstance(code, str) and code):
            found.append(f"an error without extensions.code: {error}")
        elif code == "INTERNAL_SERVER_ERROR":
            found.append(f"an internal server error: {error}")
    found.extend(_user_error_problems(body.get("data")))
    return found


# --- the server, and sending operations to it ------------------------------------------------------


class ServerOutput:
    """The file a server process writes its output to, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read = 0

    def new(self) -> str:
        with self.path.open("rb") as file:
            file.seek(self._read)
            chunk = file.read()
        self._read += len(chunk)
        return chunk.decode(errors="replace")

    def everything(self) -> str:
        return self.path.read_text(errors="replace")


@contextmanager
def coplab_server(database_url: str, issuer: str, directory: Path) -> Iterator[tuple[str, ServerOutput]]:
    """`coplab serve` on the prepared database, its output (unbuffered) in `directory`/server.log."""
    assert COPLAB, "the coplab command is installed beside this Python"
    port = free_port()
    environment = coplab_environment(
        database_url, COPLAB_ISSUER=issuer, COPLAB_DATA_DIR=str(directory), PYTHONUNBUFFERED="1"
    )
    log_path = directory / "server.log"
    with log_path.open("wb") as output:
        line = [COPLAB, "serve", "--no-prepare", "--no-seed", "--host", "127.0.0.1", "--port", str(port)]
        try:
            with server_process(line, environment, port=port, output=output) as (base_url, _):
                yield base_url, ServerOutput(log_path)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{log_path.read_text(errors='replace')[-3000:]}") from error


@dataclass
class Failure:
    profile: str
    operation: Operation
    problems: list[str]
    status: int
    body: str
    log: str

    def describe(self) -> str:
        return "\n".join(
            [
                f"[{self.profile}] {'; '.join(self.problems)}",
                self.operation.as_text(),
                f"HTTP {self.status}: {self.body[:1000]}",
                *([f"server output:\n{self.log[-3000:]}"] if self.log.strip() else []),
            ]
        )


@dataclass
class Fuzzer:
    """Sends operations to a running server for one profile and holds each answer to `problems`."""

    base_url: str
    output: ServerOutput
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=HTTP_TIMEOUT))
    sent: int = 0
    # How the answers went: "data" for one without errors, else each error's and userError's code.
    outcomes: Counter[str] = field(default_factory=Counter)

    def send(self, profile: Profile, operation: Operation) -> Failure | None:
        headers = {"Content-Type": "application/json"}
        if profile.token:
            headers["Authorization"] = f"Bearer {profile.token}"
        # ASCII JSON, as clients send an unpaired surrogate: as a `\ud800` escape.
        body = json.dumps({"query": operation.query, "variables": operation.variables})
        self.output.new()  # what came before belongs to earlier requests
        response = self.http.post(f"{self.base_url}/graphql", content=body, headers=headers)
        self.sent += 1
        log = self.output.new()
        found = problems(response.status_code, response.text, log)
        self.outcomes.update(_outcomes(response.text))
        return Failure(profile.name, operation, found, response.status_code, response.text, log) if found else None


def run(
    fuzzer: Fuzzer,
    profile: Profile,
    strategy: st.SearchStrategy[Operation],
    *,
    examples: int,
    seed: int,
    collect: list[Failure] | None = None,
) -> None:
    """Send `examples` generated operations as `profile`, drawn from `seed`. A failing answer raises
    (and Hypothesis shrinks the operation) unless `collect` is given, which gathers every failure and
    goes on."""

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        phases=[Phase.generate] if collect is not None else [Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(strategy)
    def one(operation: Operation) -> None:
        failure = fuzzer.send(profile, operation)
        if failure is None:
            return
        if collect is None:
            raise AssertionError(f"seed {seed}\n{failure.describe()}")
        collect.append(failure)

    one()
