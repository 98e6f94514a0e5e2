"""A fixed-seed run of generated malformed operations (SECURITY.md 49): ids, cursors, numbers,
strings with odd characters and deep nesting, in variables, literals and raw bodies. None may
answer 5xx, every error must carry `extensions.code`, and nothing may be logged as a traceback."""

import base64
import json
import logging
import random

from tests.factories import gid

SEED = 20261204
OPERATIONS = 400

ODD_TEXT = ["", " ", "\x00", "\u202e", "\u2066x\u2069", "\ud800", "\udfff", "é", "𝔘", "'\"\\", "%_", "\n\r\t", "ｘ", "A" * 600]
TYPE_NAMES = ["Organisation", "Initiative", "BestPractice", "EvidenceAssessment", "Membership", "Participation", "Nope", "", "Organisation:1"]
NUMBERS = [0, -1, 1, 100, 101, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30]

QUERIES = {
    "id": [
        "query($v: ID!) { node(id: $v) { id } }",
        "query($v: ID!) { nodes(ids: [$v, $v]) { id } }",
        "query($v: ID!) { initiative(id: $v) { title } }",
        "query($v: ID!) { initiatives(filter: {organisations: [$v]}) { totalCount } }",
        "query($v: ID!) { bestPractices(filter: {endorsedBy: [$v]}) { totalCount } }",
        "query($v: ID!) { evidenceAssessments(filter: {initiatives: [$v]}) { totalCount } }",
        'query($v: ID!) { organisation(slug: "iwf") { initiatives(filter: {organisations: [$v]}) { totalCount } } }',
        "mutation($v: ID!) { deleteInitiative(input: {id: $v}) { deletedId userErrors { field code } } }",
    ],
    "cursor": [
        "query($v: String) { initiatives(after: $v) { totalCount } }",
        "query($v: String) { organisations(after: $v, first: 5) { edges { cursor } } }",
        'query($v: String) { organisation(slug: "iwf") { initiatives(after: $v) { totalCount } members { createdAt } } }',
        "query($v: String) { bestPractices(after: $v) { totalCount } }",
        "query($v: String) { evidenceAssessments(after: $v) { totalCount } }",
    ],
    "number": [
        "query($v: Int) { initiatives(first: $v) { totalCount } }",
        'query($v: Int) { organisation(slug: "iwf") { name initiatives(first: $v) { totalCount } members { createdAt } } }',
        "query($v: Int) { organisations(first: $v) { totalCount } }",
        "query($v: Int) { searchInitiatives(hitsPerPage: $v) { totalHits } }",
        "query($v: Int) { searchInitiatives(page: $v) { totalHits } }",
    ],
    "text": [
        "query($v: String) { organisation(slug: $v) { name } }",
        "query($v: String) { initiatives(filter: {query: $v}) { totalCount } }",
        "query($v: String!) { searchInitiatives(query: $v) { totalHits } }",
        "query($v: [String!]) { initiatives(filter: {countries: $v}) { totalCount } }",
        "query($v: [String!]) { searchInitiatives(filter: {harms: $v}) { totalHits } }",
    ],
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _id(rng: random.Random) -> object:
    return rng.choice(
        [
            lambda: _b64(f"{rng.choice(TYPE_NAMES)}:{rng.choice(NUMBERS)}".encode()),
            lambda: _b64(f"{rng.choice(TYPE_NAMES)}:{rng.choice(ODD_TEXT)}".encode("utf-8", "surrogatepass")),
            lambda: _b64(rng.randbytes(rng.randint(0, 40))),
            lambda: gid("Organisation", rng.choice(NUMBERS)).rstrip("="),
            lambda: rng.choice(ODD_TEXT),
            lambda: rng.choice(NUMBERS),
            lambda: [rng.choice(NUMBERS)],
            lambda: {"id": 1},
        ]
    )()


def _cursor(rng: random.Random) -> object:
    values = [rng.choice(NUMBERS), rng.choice(ODD_TEXT), None, True, [1], {"a": 1}, "2024-01-01T00:00:00", "2024-01-01T00:00:00+00:00"]
    shape = [rng.choice(["updated_at:desc", "title:asc", "x"]), *rng.sample(values, rng.randint(0, 3))]
    return rng.choice(
        [
            lambda: base64.urlsafe_b64encode(json.dumps(shape).encode()).decode(),
            lambda: base64.urlsafe_b64encode(json.dumps(rng.choice(values)).encode()).decode(),
            lambda: _b64(rng.randbytes(rng.randint(0, 60))),
            lambda: rng.choice(ODD_TEXT),
            lambda: rng.choice(NUMBERS),
        ]
    )()


def _number(rng: random.Random) -> object:
    return rng.choice([*NUMBERS, 1.5, "10", True, None, [3], float("1e300")])


def _text(rng: random.Random) -> object:
    return rng.choice([*ODD_TEXT, rng.choice(ODD_TEXT) * rng.randint(1, 50), ["FR", rng.choice(ODD_TEXT)], rng.choice(NUMBERS)])


def _nested(rng: random.Random) -> object:
    depth = rng.choice([5, 30, 63, 64, 65, 500, 900])
    value: object = rng.choice(ODD_TEXT)
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"v": value}
    return value


def _request(rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice([*QUERIES, "nested", "literal", "raw"])
    if kind == "raw":
        raw = rng.choice(
            [
                rng.randbytes(rng.randint(0, 80)),
                b'{"query": "{ viewer { kind } }' + rng.randbytes(3) + b'"}',
                b'{"query": ' + json.dumps(rng.choice(ODD_TEXT)).encode() + b"}",
            ]
        )
        return raw, "raw"
    if kind == "literal":
        value = json.dumps(rng.choice([rng.choice(ODD_TEXT), str(_id(rng))]))
        query = rng.choice([f"{{ node(id: {value}) {{ id }} }}", f"{{ initiatives(after: {value}) {{ totalCount }} }}",
                            f"{{ organisation(slug: {value}) {{ name }} }}", f"{{ initiatives(first: {rng.choice(NUMBERS)}) {{ totalCount }} }}"])
        return json.dumps({"query": query}).encode(), kind
    if kind == "nested":
        query = rng.choice([q for queries in QUERIES.values() for q in queries])
        return json.dumps({"query": query, "variables": {"v": _nested(rng)}}).encode(), kind
    value = {"id": _id, "cursor": _cursor, "number": _number, "text": _text}[kind](rng)
    return json.dumps({"query": rng.choice(QUERIES[kind]), "variables": {"v": value}}).encode(), kind


def test_generated_malformed_operations(client, make, caplog) -> None:
    organisation = make.organisation("iwf")
    make.member(organisation, "someone@iwf.example")
    make.initiative(organisation, "An initiative")
    token = make.token(organisation)
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED)
    kinds: dict[str, int] = {}
    for number in range(OPERATIONS):
        body, kind = _request(rng)
        kinds[kind] = kinds.get(kind, 0) + 1
        headers = {"content-type": "application/json"}
        if number % 2:
            headers["authorization"] = f"Bearer {token}"
        response = client.post("/graphql", content=body, headers=headers)
        context = f"{kind}: {body[:300]!r} -> {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, context
        if response.status_code >= 400 and response.status_code != 401:
            payload = response.json()
            assert payload["errors"] and all(e.get("extensions", {}).get("code") for e in payload["errors"]), context
        elif response.status_code == 200:
            for error in response.json().get("errors") or []:
                assert (error.get("extensions") or {}).get("code"), context
                assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", context
    assert min(kinds.values()) >= 20, kinds  # every kind of input was tried
    tracebacks = [r.getMessage()[:300] for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert tracebacks == []
    # The server still answers normally afterwards.
    response = client.post("/graphql", json={"query": '{ organisation(slug: "iwf") { name members { createdAt } } }'})
    assert response.json()["data"]["organisation"]["name"] == "Iwf"
