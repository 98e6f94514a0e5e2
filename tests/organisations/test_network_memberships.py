"""Organisations in networks and alliances: addNetworkMember and removeNetworkMember (the network's
administrators or the secretariat; every bad input refused with nothing written), both directions of
the relation, the `memberOf` filter, and a member or network the caller may not read behaving exactly
like a missing one, in lists and in counts."""

import pytest
from sqlmodel import select

from api.auth.principal import Role
from api.organisations.models import NetworkMembership, Organisation, OrganisationStatus
from tests.factories import error_extensions, gid, graphql, lab_admin_token, mutate, stored, user_errors

SELECTION = "networkMembership { id role { code } member { slug } network { slug } provenance { source passage note } }"
RELATIONS = """query($slug: String!) { organisation(slug: $slug) {
  memberOf { role { code } network { slug } }
  networkMembers { role { code } member { slug } }
} }"""
MEMBERS_OF = """query($network: ID) { organisations(first: 50, filter: {memberOf: $network}) {
  totalCount edges { node { slug } }
} }"""


@pytest.fixture
def inhope(make) -> Organisation:  # noqa: ANN001
    return make.organisation("inhope", stakeholder_type="INGO", country=None, status=OrganisationStatus.NAMED)


@pytest.fixture
def iwf(make) -> Organisation:  # noqa: ANN001
    return make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")


@pytest.fixture
def ncmec(make) -> Organisation:  # noqa: ANN001
    return make.organisation("ncmec", stakeholder_type="HOTLINE", country="US")


@pytest.fixture
def pending(make) -> Organisation:  # noqa: ANN001
    """Registered, not admitted: only itself and the secretariat read it."""
    return make.organisation("new-hotline", stakeholder_type="HOTLINE", status=OrganisationStatus.PENDING)


@pytest.fixture
def network_admin(make, inhope) -> str:  # noqa: ANN001
    """A machine client of INHOPE holding `org:admin` (clients act with every role)."""
    return make.token(inhope)


def _add(client, token, network, member, role="MEMBER", **extra) -> dict:  # noqa: ANN001, ANN003
    values = {"network": gid("Organisation", network.id), "member": gid("Organisation", member.id), "role": role, **extra}
    return mutate(client, "addNetworkMember", values, token, SELECTION)


def _relations(client, slug: str, token: str | None = None) -> dict:  # noqa: ANN001
    organisation = graphql(client, RELATIONS, {"slug": slug}, token)["data"]["organisation"]
    return {
        "memberOf": [(m["network"]["slug"], m["role"]["code"]) for m in organisation["memberOf"]],
        "networkMembers": [(m["member"]["slug"], m["role"]["code"]) for m in organisation["networkMembers"]],
    }


def _members_of(client, network: Organisation | int, token: str | None = None) -> tuple[int, list[str]]:  # noqa: ANN001
    """The total and the slugs of `organisations(filter: {memberOf: …})` for a network (or an organisation id)."""
    network_id = network if isinstance(network, int) else network.id
    page = graphql(client, MEMBERS_OF, {"network": gid("Organisation", network_id)}, token)["data"]["organisations"]
    return page["totalCount"], [edge["node"]["slug"] for edge in page["edges"]]


# --- adding and reading --------------------------------------------------------------------------


def test_the_network_records_a_member_and_both_sides_show_it(client, db, network_admin, inhope, iwf, ncmec) -> None:  # noqa: ANN001
    source = {"source": "INHOPE member list, 2024", "passage": "  Internet Watch Foundation (UK)\n", "note": None}
    payload = _add(client, network_admin, inhope, iwf, provenance=[source])
    assert payload["userErrors"] == []
    created = payload["networkMembership"]
    assert (created["role"], created["member"], created["network"]) == (
        {"code": "MEMBER"}, {"slug": "iwf"}, {"slug": "inhope"}
    )
    # Stored as every record's provenance: trimmed, absent parts left out.
    assert created["provenance"] == [{"source": "INHOPE member list, 2024", "passage": "Internet Watch Foundation (UK)", "note": None}]
    [row] = db.exec(select(NetworkMembership)).all()
    assert row.provenance == [{"source": "INHOPE member list, 2024", "passage": "Internet Watch Foundation (UK)"}]
    assert row.created_by == "client:test-client"

    assert _add(client, network_admin, inhope, ncmec, "FOUNDING-MEMBER")["userErrors"] == []
    # Members by name (Iwf before Ncmec), networks by name; anonymous callers see all of it.
    assert _relations(client, "inhope") == {"memberOf": [], "networkMembers": [("iwf", "MEMBER"), ("ncmec", "FOUNDING-MEMBER")]}
    assert _relations(client, "iwf") == {"memberOf": [("inhope", "MEMBER")], "networkMembers": []}
    assert _members_of(client, inhope) == (2, ["iwf", "ncmec"])
    # The membership is a node of its own.
    node = graphql(client, "query($id: ID!) { node(id: $id) { ... on NetworkMembership { role { code } member { slug } } } }",
                   {"id": created["id"]})
    assert node["data"]["node"] == {"role": {"code": "MEMBER"}, "member": {"slug": "iwf"}}


def test_one_organisation_may_hold_several_roles_and_belong_to_several_networks(client, make, inhope, iwf, ncmec) -> None:  # noqa: ANN001
    weprotect = make.organisation("weprotect-global-alliance", stakeholder_type="MSP", country=None)
    make.network_member(iwf, inhope, "MEMBER")
    make.network_member(iwf, inhope, "BOARD-MEMBER")
    make.network_member(iwf, weprotect, "MEMBER")
    make.network_member(inhope, weprotect, "BOARD-MEMBER")
    assert _relations(client, "iwf")["memberOf"] == [
        ("inhope", "BOARD-MEMBER"), ("inhope", "MEMBER"), ("weprotect-global-alliance", "MEMBER"),
    ]
    assert _relations(client, "weprotect-global-alliance")["networkMembers"] == [
        ("inhope", "BOARD-MEMBER"), ("iwf", "MEMBER"),
    ]
    # The filter answers each member once, whatever its roles.
    assert _members_of(client, inhope) == (1, ["iwf"])
    assert _members_of(client, weprotect) == (2, ["inhope", "iwf"])
    assert _members_of(client, ncmec) == (0, [])


def test_the_secretariat_records_memberships_in_any_network(client, make, inhope, iwf) -> None:  # noqa: ANN001
    payload = _add(client, lab_admin_token(make), inhope, iwf, "FOUNDING-MEMBER")
    assert payload["userErrors"] == [] and payload["networkMembership"]["role"] == {"code": "FOUNDING-MEMBER"}


def test_an_organisation_lists_its_networks_when_it_is_not_itself_listed(client, make, inhope, pending) -> None:  # noqa: ANN001
    make.network_member(pending, inhope)
    own = make.token(pending)
    assert _relations(client, "new-hotline", own)["memberOf"] == [("inhope", "MEMBER")]
    assert _members_of(client, inhope, own) == (1, ["new-hotline"])


# --- who may read ----------------------------------------------------------------------------------


def test_a_member_or_network_the_caller_cannot_read_is_missing_also_in_counts(client, make, inhope, iwf, pending) -> None:  # noqa: ANN001
    make.network_member(iwf, inhope)
    hidden_member = make.network_member(pending, inhope)
    hidden_network = make.network_member(iwf, pending)
    stranger = make.token(make.organisation("stranger"))

    for token in (None, stranger):
        assert _relations(client, "inhope", token) == {"memberOf": [], "networkMembers": [("iwf", "MEMBER")]}
        assert _relations(client, "iwf", token) == {"memberOf": [("inhope", "MEMBER")], "networkMembers": []}
        assert _members_of(client, inhope, token) == (1, ["iwf"])
        # A hidden network has no members, exactly as a missing one.
        assert _members_of(client, pending, token) == _members_of(client, 999_999, token) == (0, [])
        nodes = graphql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                        {"ids": [gid("NetworkMembership", m.id) for m in (hidden_member, hidden_network)]}, token)
        assert nodes["data"]["nodes"] == [None, None]

    # The pending organisation itself reads both; the secretariat reads everything.
    own = make.token(pending)
    assert _relations(client, "new-hotline", own) == {"memberOf": [("inhope", "MEMBER")], "networkMembers": [("iwf", "MEMBER")]}
    admin = lab_admin_token(make)
    assert _members_of(client, inhope, admin) == (2, ["iwf", "new-hotline"])
    assert _members_of(client, pending, admin) == (1, ["iwf"])


def test_the_member_of_filter_refuses_a_malformed_id_and_matches_nothing_for_another_record_type(client, make, inhope, iwf) -> None:  # noqa: ANN001
    make.network_member(iwf, inhope)
    other_type = graphql(client, MEMBERS_OF, {"network": gid("Initiative", inhope.id)})
    assert other_type["data"]["organisations"] == {"totalCount": 0, "edges": []}
    malformed = graphql(client, MEMBERS_OF, {"network": gid("Organisation", -1)})
    assert malformed["data"] is None
    assert [e["code"] for e in error_extensions(malformed)] == ["INVALID_ID"]
    # Combined with other filters, as every filter is.
    combined = graphql(client, """query($n: ID) { organisations(filter: {memberOf: $n, countries: ["US"]}) { totalCount } }""",
                       {"n": gid("Organisation", inhope.id)})
    assert combined["data"]["organisations"]["totalCount"] == 0


# --- bad input: the error, and nothing written -------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda o: {"member": gid("Organisation", 999_999)}, [(["input", "member"], "NOT_FOUND")], id="unknown member"),
        pytest.param(lambda o: {"member": gid("Initiative", o["iwf"].id)}, [(["input", "member"], "NOT_FOUND")], id="id of another type"),
        pytest.param(lambda o: {"member": gid("Organisation", o["pending"].id)}, [(["input", "member"], "NOT_FOUND")], id="hidden member"),
        pytest.param(lambda o: {"member": gid("Organisation", o["inhope"].id)}, [(["input", "member"], "SAME_ORGANISATION")], id="itself"),
        pytest.param(lambda o: {"role": "PATRON"}, [(["input", "role"], "INVALID_CODE")], id="unknown role"),
        pytest.param(lambda o: {"role": "BOARD-MEMBER\x00"}, [(["input", "role"], "INVALID_CODE")], id="NUL in the role"),
        pytest.param(lambda o: {"provenance": [{"source": " "}]}, [(["input", "provenance", "0", "source"], "BLANK")], id="blank source"),
        pytest.param(
            lambda o: {"provenance": [{"source": "Report", "passage": "p" * 2001, "note": "a\x07"}]},
            [(["input", "provenance", "0", "passage"], "TOO_LONG"), (["input", "provenance", "0", "note"], "CONTROL_CHARACTERS")],
            id="long passage, control character",
        ),
        pytest.param(lambda o: {"provenance": [{"source": "s"}] * 21}, [(["input", "provenance"], "TOO_MANY")], id="too many sources"),
        pytest.param(
            lambda o: {"member": gid("Organisation", o["inhope"].id), "role": "PATRON"},
            [(["input", "member"], "SAME_ORGANISATION"), (["input", "role"], "INVALID_CODE")],
            id="every problem at once",
        ),
    ],
)
def test_add_network_member_refuses_bad_input_and_writes_nothing(client, db, network_admin, inhope, iwf, pending, change, expected) -> None:  # noqa: ANN001
    values = {"network": gid("Organisation", inhope.id), "member": gid("Organisation", iwf.id), "role": "MEMBER"}
    values.update(change({"inhope": inhope, "iwf": iwf, "pending": pending}))
    before = stored(db)
    payload = mutate(client, "addNetworkMember", values, network_admin, SELECTION)
    assert user_errors(payload) == expected
    assert payload["networkMembership"] is None
    assert stored(db) == before


def test_an_unknown_role_names_the_code_it_probably_meant(client, network_admin, inhope, iwf) -> None:  # noqa: ANN001
    payload = _add(client, network_admin, inhope, iwf, "Founding member")
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID_CODE" and "FOUNDING-MEMBER" in error["message"]


def test_a_duplicate_membership_is_refused_and_nothing_written(client, db, make, network_admin, inhope, iwf) -> None:  # noqa: ANN001
    make.network_member(iwf, inhope, "MEMBER")
    before = stored(db)
    payload = _add(client, network_admin, inhope, iwf, "MEMBER")
    assert user_errors(payload) == [(["input", "role"], "DUPLICATE")]
    assert stored(db) == before
    # Another role is another membership.
    assert _add(client, network_admin, inhope, iwf, "BOARD-MEMBER")["userErrors"] == []


@pytest.mark.parametrize(
    ("caller", "field", "code"),
    [
        pytest.param("member", ["input", "network"], "FORBIDDEN", id="the member's own administrators"),
        pytest.param("stranger", ["input", "network"], "FORBIDDEN", id="another organisation"),
        pytest.param("editor", ["input", "network"], "FORBIDDEN", id="an editor of the network"),
        pytest.param("without org:admin", ["input", "network"], "FORBIDDEN", id="a token without org:admin"),
        pytest.param("hidden network", ["input", "network"], "NOT_FOUND", id="a network the caller cannot read"),
    ],
)
def test_only_the_networks_administrators_and_the_secretariat_add_members(client, db, make, inhope, iwf, pending, caller, field, code) -> None:  # noqa: ANN001
    network = pending if caller == "hidden network" else inhope
    token = {
        "member": lambda: make.token(iwf),
        "stranger": lambda: make.token(make.organisation("stranger")),
        "editor": lambda: make.token(inhope, user=make.member(inhope, "editor@inhope.example", Role.EDITOR)),
        "without org:admin": lambda: make.token(inhope, "org:read initiatives:write"),
        "hidden network": lambda: make.token(iwf),
    }[caller]()
    before = stored(db)
    payload = _add(client, token, network, iwf)
    assert user_errors(payload) == [(field, code)]
    assert stored(db) == before


def test_anonymous_callers_are_refused_before_any_input_is_read(client, inhope, iwf) -> None:  # noqa: ANN001
    body = graphql(client, "mutation($i: AddNetworkMemberInput!) { addNetworkMember(input: $i) { userErrors { code } } }",
                   {"i": {"network": gid("Organisation", inhope.id), "member": gid("Organisation", iwf.id), "role": "MEMBER"}})
    assert body["data"] is None and [e["code"] for e in error_extensions(body)] == ["UNAUTHENTICATED"]


# --- removing --------------------------------------------------------------------------------------


def test_the_network_removes_a_member(client, db, make, network_admin, inhope, iwf) -> None:  # noqa: ANN001
    membership = make.network_member(iwf, inhope, "MEMBER", [{"source": "s"}])
    payload = mutate(client, "removeNetworkMember", {"id": gid("NetworkMembership", membership.id)}, network_admin, SELECTION)
    assert payload["userErrors"] == []
    assert payload["networkMembership"]["member"] == {"slug": "iwf"}
    assert stored(db)["network_membership"] == []
    assert _relations(client, "inhope")["networkMembers"] == []


def test_the_secretariat_removes_a_membership(client, db, make, inhope, iwf) -> None:  # noqa: ANN001
    membership = make.network_member(iwf, inhope)
    payload = mutate(client, "removeNetworkMember", {"id": gid("NetworkMembership", membership.id)}, lab_admin_token(make))
    assert payload["userErrors"] == [] and stored(db)["network_membership"] == []


@pytest.mark.parametrize(
    ("caller", "target", "code"),
    [
        pytest.param("member", "listed", "FORBIDDEN", id="the member's own administrators"),
        pytest.param("stranger", "listed", "FORBIDDEN", id="another organisation"),
        pytest.param("network", "missing", "NOT_FOUND", id="a missing membership"),
        pytest.param("network", "another type", "NOT_FOUND", id="an id of another record type"),
        pytest.param("network", "hidden member", "NOT_FOUND", id="a member the caller cannot read"),
    ],
)
def test_remove_network_member_refuses_and_writes_nothing(client, db, make, inhope, iwf, pending, caller, target, code) -> None:  # noqa: ANN001
    listed = make.network_member(iwf, inhope)
    hidden = make.network_member(pending, inhope)
    token = {
        "member": lambda: make.token(iwf),
        "stranger": lambda: make.token(make.organisation("stranger")),
        "network": lambda: make.token(inhope),
    }[caller]()
    membership_id = {
        "listed": gid("NetworkMembership", listed.id),
        "missing": gid("NetworkMembership", 999_999),
        "another type": gid("Organisation", listed.id),
        "hidden member": gid("NetworkMembership", hidden.id),
    }[target]
    before = stored(db)
    payload = mutate(client, "removeNetworkMember", {"id": membership_id}, token, SELECTION)
    assert user_errors(payload) == [(["input", "id"], code)]
    assert payload["networkMembership"] is None
    assert stored(db) == before
