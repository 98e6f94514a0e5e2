"""Another organisation's records (SECURITY.md 9-12, 14-16): hidden records answer like missing
ones, writes to them are refused and change nothing, nested fields never lead past the rules,
membership management stays inside one's own organisation and role."""

from dataclasses import dataclass

import pytest
from sqlmodel import select

from api.auth.principal import Role
from api.auth.scopes import Scope
from api.evidence.models import EvidenceAssessment
from api.initiatives.models import Initiative, Participation
from api.organisations.models import Membership, Organisation, OrganisationStatus, User
from tests.factories import ACTOR, ALL_SCOPES, gid, graphql
from tests.security.conftest import codes, invalid_token_reason, count, membership_id, stored

READ_SCOPES = "initiatives:read assessments:read practices:read org:read"
NO_INITIATIVES_READ = " ".join(s for s in ALL_SCOPES.split() if s != Scope.INITIATIVES_READ)


@dataclass
class World:
    """Bravo owns the records under attack; alpha is another member, charlie an observer, delta
    pending admission and echo suspended."""

    alpha: Organisation
    bravo: Organisation
    charlie: Organisation
    delta: Organisation
    echo: Organisation
    alpha_admin: User
    bravo_admin: User
    bravo_editor: User
    bravo_public: Initiative
    bravo_members: Initiative
    bravo_private: Initiative
    bravo_deleted: Initiative
    delta_public: Initiative
    echo_public: Initiative
    delta_partnership: Participation
    hidden_assessment: EvidenceAssessment
    public_assessment: EvidenceAssessment
    tokens: dict[str, str | None]


def _assessment(make, initiative: Initiative, assessor: Organisation, title: str, visibility: str) -> EvidenceAssessment:  # noqa: ANN001
    return make.assessment(initiative, assessor, title, visibility=visibility, study_design="CASE", ratings=())


@pytest.fixture
def world(make, db) -> World:  # noqa: ANN001
    alpha = make.organisation("alpha")
    bravo = make.organisation("bravo")
    charlie = make.organisation("charlie", status=OrganisationStatus.OBSERVER)
    delta = make.organisation("delta", status=OrganisationStatus.PENDING)
    echo = make.organisation("echo", status=OrganisationStatus.SUSPENDED)
    alpha_admin = make.member(alpha, "admin@alpha.example", Role.ADMIN)
    bravo_admin = make.member(bravo, "admin@bravo.example", Role.ADMIN)
    bravo_editor = make.member(bravo, "editor@bravo.example", Role.EDITOR)
    bravo_public = make.initiative(
        bravo, "Bravo public", visibility="PUBLIC", partners=[(alpha, "FUNDING"), (delta, "IMPLEMENTING")]
    )
    bravo_members = make.initiative(bravo, "Bravo members", visibility="MEMBERS")
    bravo_private = make.initiative(bravo, "Bravo private", visibility="ORGANISATION")
    bravo_deleted = make.initiative(bravo, "Bravo deleted", visibility="PUBLIC")
    bravo_deleted.deleted_at = bravo_deleted.created_at
    db.add(bravo_deleted)
    db.commit()
    delta_public = make.initiative(delta, "Delta public", visibility="PUBLIC")
    echo_public = make.initiative(echo, "Echo public", visibility="PUBLIC")
    delta_partnership = db.exec(select(Participation).where(Participation.organisation_id == delta.id)).one()
    hidden_assessment = _assessment(make, bravo_public, bravo, "Bravo's own reading", "ORGANISATION")
    public_assessment = _assessment(make, bravo_public, bravo, "Bravo's published reading", "PUBLIC")
    tokens = {
        "anonymous": None,
        "alpha admin": make.token(alpha, user=alpha_admin),
        "alpha client": make.token(alpha),
        "alpha without initiatives:read": make.token(alpha, NO_INITIATIVES_READ, user=alpha_admin),
        "observer": make.token(charlie),
        "pending": make.token(delta),
        "bravo admin": make.token(bravo, user=bravo_admin),
    }
    return World(
        alpha, bravo, charlie, delta, echo, alpha_admin, bravo_admin, bravo_editor, bravo_public, bravo_members,
        bravo_private, bravo_deleted, delta_public, echo_public, delta_partnership, hidden_assessment,
        public_assessment, tokens,
    )


def _participation_of(db, organisation: Organisation) -> int:  # noqa: ANN001
    db.rollback()
    return db.exec(select(Participation.id).where(Participation.organisation_id == organisation.id)).one()


OUTSIDERS = ["anonymous", "alpha admin", "alpha client", "alpha without initiatives:read", "observer", "pending"]
# Who may read bravo's members-only initiative: admitted members holding initiatives:read.
MEMBERS_READERS = {"alpha admin", "alpha client", "bravo admin"}
# Who may read bravo's organisation-only assessment of its public initiative: the organisations
# involved (bravo, and its partners alpha and delta) holding assessments:read.
ASSESSMENT_READERS = {"alpha admin", "alpha client", "alpha without initiatives:read", "pending", "bravo admin"}

READ = "query($id: ID!) { initiative(id: $id) { id title } }"
NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }"


def _hidden_initiatives(world: World, caller: str) -> list[Initiative]:
    hidden = [world.bravo_private, world.bravo_deleted, world.echo_public]
    if caller not in MEMBERS_READERS:
        hidden.append(world.bravo_members)
    if caller != "pending":
        hidden.append(world.delta_public)  # visible to delta itself only
    return hidden


# --- 9 and 10. a hidden record answers exactly like a missing one ---------------------------------


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_a_hidden_initiative_reads_like_a_missing_one(client, world: World, caller: str) -> None:
    token = world.tokens[caller]
    missing = graphql(client, READ, {"id": gid("Initiative", 999_999)}, token)
    assert missing == {"data": {"initiative": None}}
    for initiative in _hidden_initiatives(world, caller):
        assert graphql(client, READ, {"id": gid("Initiative", initiative.id)}, token) == missing, initiative.title
        assert graphql(client, NODE, {"id": gid("Initiative", initiative.id)}, token) == {"data": {"node": None}}
    # The public record is there for everyone, so the checks above are not vacuous.
    public = graphql(client, READ, {"id": gid("Initiative", world.bravo_public.id)}, token)
    assert public["data"]["initiative"]["title"] == "Bravo public"


def test_the_owner_reads_its_own_non_public_records(client, world: World) -> None:
    token = world.tokens["bravo admin"]
    for initiative in (world.bravo_private, world.bravo_members):
        body = graphql(client, READ, {"id": gid("Initiative", initiative.id)}, token)
        assert body["data"]["initiative"]["title"] == initiative.title


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_nodes_with_another_organisations_ids_are_null(client, world: World, caller: str, db, make) -> None:  # noqa: ANN001
    token = world.tokens[caller]
    bravo_admin_membership = membership_id(db, world.bravo_admin.id, world.bravo.id)
    foxtrot = make.organisation("foxtrot")
    private_partnership = Participation(
        initiative_id=world.bravo_private.id, organisation_id=foxtrot.id, role="FUNDING",
        created_by=ACTOR, updated_by=ACTOR,
    )
    db.add(private_partnership)
    db.commit()
    hidden = [gid("Initiative", i.id) for i in _hidden_initiatives(world, caller)]
    hidden += [
        gid("Organisation", world.echo.id),
        gid("Membership", bravo_admin_membership),
    ]
    if caller not in ASSESSMENT_READERS:
        hidden.append(gid("EvidenceAssessment", world.hidden_assessment.id))
    if caller != "pending":
        hidden.append(gid("Organisation", world.delta.id))
        hidden.append(gid("Participation", world.delta_partnership.id))  # a pending organisation's part
    hidden.append(gid("Participation", private_partnership.id))  # a part in bravo's private initiative
    visible = [gid("Initiative", world.bravo_public.id), gid("Organisation", world.bravo.id)]
    body = graphql(client, NODES, {"ids": [*hidden, *visible]}, token)
    assert "errors" not in body, body
    assert body["data"]["nodes"][: len(hidden)] == [None] * len(hidden)
    assert [n["id"] for n in body["data"]["nodes"][len(hidden):]] == visible


def test_a_pending_organisation_sees_itself_but_nobody_else_sees_it(client, world: World) -> None:
    query = 'query { organisation(slug: "delta") { slug } organisations(first: 100) { edges { node { slug } } } }'
    own = graphql(client, query, token=world.tokens["pending"])
    assert own["data"]["organisation"] == {"slug": "delta"}
    assert "delta" in [e["node"]["slug"] for e in own["data"]["organisations"]["edges"]]
    missing = graphql(client, 'query { organisation(slug: "no-such-organisation") { slug } }')
    for caller in OUTSIDERS:
        if caller == "pending":
            continue
        body = graphql(client, query, token=world.tokens[caller])
        assert body["data"]["organisation"] is None
        slugs = [e["node"]["slug"] for e in body["data"]["organisations"]["edges"]]
        assert "delta" not in slugs and "echo" not in slugs and "bravo" in slugs, (caller, slugs)
        assert graphql(client, 'query { organisation(slug: "echo") { slug } }', token=world.tokens[caller]) == {
            "data": missing["data"]
        }


# --- 12. nested traversal from a public record ------------------------------------------------------

TRAVERSE = """
query($id: ID!) {
  initiative(id: $id) {
    title
    participations { organisation { slug } }
    assessments { study { title } }
    leadOrganisation {
      slug
      members { role user { email } }
      initiatives(first: 100) { totalCount edges { node { title visibility } } }
    }
  }
}
"""


@pytest.mark.parametrize("caller", [*OUTSIDERS, "bravo admin"])
def test_nested_fields_of_a_public_record_reach_only_what_the_caller_may_read(
    client, world: World, caller: str
) -> None:
    body = graphql(client, TRAVERSE, {"id": gid("Initiative", world.bravo_public.id)}, world.tokens[caller])
    assert "errors" not in body, body
    initiative = body["data"]["initiative"]
    lead = initiative["leadOrganisation"]
    titles = sorted(e["node"]["title"] for e in lead["initiatives"]["edges"])
    expected = ["Bravo public"]
    if caller in MEMBERS_READERS:
        expected.append("Bravo members")
    if caller == "bravo admin":
        expected.append("Bravo private")
    assert titles == sorted(expected)
    assert lead["initiatives"]["totalCount"] == len(expected)
    # A pending partner is visible to itself only, even to the initiative's lead.
    partners = [p["organisation"]["slug"] for p in initiative["participations"]]
    assert partners == (["alpha", "delta"] if caller == "pending" else ["alpha"])
    assessments = sorted(a["study"]["title"] for a in initiative["assessments"])
    if caller in ASSESSMENT_READERS:
        assert assessments == ["Bravo's own reading", "Bravo's published reading"]
    else:
        assert assessments == ["Bravo's published reading"]
    # Members are personal data: only bravo's own principals with org:read see them.
    if caller == "bravo admin":
        assert sorted(m["user"]["email"] for m in lead["members"]) == ["admin@bravo.example", "editor@bravo.example"]
    else:
        assert lead["members"] == []


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_filters_and_counts_never_include_hidden_records(client, world: World, caller: str) -> None:
    token = world.tokens[caller]
    query = """query($f: InitiativeFilter) { initiatives(first: 100, filter: $f) {
                 totalCount edges { node { title } } } }"""
    everything = graphql(client, query, {"f": None}, token)["data"]["initiatives"]
    titles = {e["node"]["title"] for e in everything["edges"]}
    hidden = {i.title for i in _hidden_initiatives(world, caller)}
    assert titles.isdisjoint(hidden) and "Bravo public" in titles
    assert everything["totalCount"] == len(titles)
    by_bravo = graphql(client, query, {"f": {"organisations": [gid("Organisation", world.bravo.id)],
                                              "visibilities": ["ORGANISATION", "MEMBERS"]}}, token)
    expected = 1 if caller in MEMBERS_READERS else 0  # bravo's members-only record at most
    assert by_bravo["data"]["initiatives"]["totalCount"] == expected


def test_the_viewer_of_a_pending_organisation_is_not_a_member(client, world: World) -> None:
    body = graphql(
        client,
        "{ viewer { organisation { slug } } initiatives(first: 100) { edges { node { title } } } }",
        token=world.tokens["pending"],
    )
    assert body["data"]["viewer"]["organisation"] == {"slug": "delta"}
    assert "Bravo members" not in {e["node"]["title"] for e in body["data"]["initiatives"]["edges"]}


# --- 11. writes to another organisation's records ---------------------------------------------------

UPDATE = """mutation($i: UpdateInitiativeInput!) { updateInitiative(input: $i) {
              initiative { id } userErrors { field code } } }"""
DELETE = """mutation($i: DeleteInitiativeInput!) { deleteInitiative(input: $i) {
              deletedId userErrors { field code } } }"""
ADD_PARTICIPATION = """mutation($i: AddParticipationInput!) { addParticipation(input: $i) {
              participation { id } userErrors { field code } } }"""
REMOVE_PARTICIPATION = """mutation($i: RemoveParticipationInput!) { removeParticipation(input: $i) {
              participation { id } userErrors { field code } } }"""
UPDATE_ORGANISATION = """mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) {
              organisation { id } userErrors { field code } } }"""

WRITERS = ["alpha admin", "alpha client"]


def _write_attempts(world: World, alpha_participation: int) -> list[tuple[str, str, dict, str]]:
    """(mutation, payload field, input, expected user-error code) for every write on bravo's records."""
    attempts = []
    # The writers read bravo's public and members-only initiatives, so refusing them says nothing
    # new (FORBIDDEN); the organisation-only and deleted ones answer like missing ones.
    for initiative, code in ((world.bravo_public, "FORBIDDEN"), (world.bravo_members, "FORBIDDEN"),
                             (world.bravo_private, "NOT_FOUND"), (world.bravo_deleted, "NOT_FOUND")):
        initiative_id = gid("Initiative", initiative.id)
        attempts += [
            (UPDATE, "updateInitiative", {"id": initiative_id, "title": "Taken over"}, code),
            (UPDATE, "updateInitiative", {"id": initiative_id, "visibility": "PUBLIC"}, code),
            (DELETE, "deleteInitiative", {"id": initiative_id}, code),
            (ADD_PARTICIPATION, "addParticipation",
             {"initiative": initiative_id, "organisation": gid("Organisation", world.charlie.id),
              "role": "FUNDING"}, code),
        ]
    attempts += [
        # Alpha is a partner in bravo's public initiative: a partner still does not edit it.
        (REMOVE_PARTICIPATION, "removeParticipation", {"id": gid("Participation", alpha_participation)}, "FORBIDDEN"),
        (REMOVE_PARTICIPATION, "removeParticipation", {"id": gid("Participation", world.delta_partnership.id)},
         "NOT_FOUND"),
        # Bravo's existence is public, so refusing its profile says nothing new; delta's is not.
        (UPDATE_ORGANISATION, "updateOrganisation", {"id": gid("Organisation", world.bravo.id), "name": "Pwned"},
         "FORBIDDEN"),
        (UPDATE_ORGANISATION, "updateOrganisation", {"id": gid("Organisation", world.delta.id), "name": "Pwned"},
         "NOT_FOUND"),
    ]
    return attempts


def _everything(db) -> dict[str, list[dict]]:  # noqa: ANN001
    return {
        table.name: stored(db, table)
        for table in (Organisation.__table__, Initiative.__table__, Participation.__table__, Membership.__table__,
                      User.__table__)
    }


@pytest.mark.parametrize("caller", WRITERS)
def test_writes_to_another_organisations_records_are_refused_and_change_nothing(
    client, world: World, db, caller: str  # noqa: ANN001
) -> None:
    alpha_participation = _participation_of(db, world.alpha)
    before = _everything(db)
    for mutation, name, data, code in _write_attempts(world, alpha_participation):
        body = graphql(client, mutation, {"i": data}, world.tokens[caller])
        assert "errors" not in body, (name, data, body)
        payload = body["data"][name]
        assert [e["code"] for e in payload["userErrors"]] == [code], (name, data, payload)
        assert all(v is None for k, v in payload.items() if k != "userErrors"), payload
    assert _everything(db) == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [("anonymous", "UNAUTHENTICATED"), ("alpha without initiatives:read", None), ("observer", None)],
)
def test_other_callers_cannot_write_to_another_organisations_records_either(
    client, world: World, db, caller: str, code: str | None  # noqa: ANN001
) -> None:
    alpha_participation = _participation_of(db, world.alpha)
    before = _everything(db)
    for mutation, name, data, _ in _write_attempts(world, alpha_participation):
        body = graphql(client, mutation, {"i": data}, world.tokens[caller])
        if code is not None:
            assert codes(body) == [code], (name, body)
        else:
            refused = codes(body) or [e["code"] for e in body["data"][name]["userErrors"]]
            assert refused and set(refused) <= {"NOT_FOUND", "FORBIDDEN"}, (name, body)
    assert _everything(db) == before


# --- 14. membership management stays inside one's own organisation and role ---------------------------

ADD_MEMBER = """mutation($i: AddMemberInput!) { addMember(input: $i) {
                  membership { id role } userErrors { field code } } }"""
CHANGE_ROLE = """mutation($i: ChangeMemberRoleInput!) { changeMemberRole(input: $i) {
                  membership { id role } userErrors { field code } } }"""
REMOVE_MEMBER = """mutation($i: RemoveMemberInput!) { removeMember(input: $i) {
                  membership { id } userErrors { field code } } }"""
SET_STATUS = """mutation($i: SetOrganisationStatusInput!) { setOrganisationStatus(input: $i) {
                  organisation { status } userErrors { field code } } }"""
CREATE_ORGANISATION = """mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) {
                  organisation { id } userErrors { field code } } }"""


def _user_error_codes(body: dict, name: str) -> list[str]:
    assert "errors" not in body, body
    payload = body["data"][name]
    assert all(v is None for k, v in payload.items() if k != "userErrors"), payload
    return [e["code"] for e in payload["userErrors"]]


@pytest.mark.parametrize("caller", ["alpha admin", "alpha client"])
def test_an_admin_cannot_manage_another_organisations_members(client, world: World, db, caller: str) -> None:  # noqa: ANN001
    token = world.tokens[caller]
    editor_membership = membership_id(db, world.bravo_editor.id, world.bravo.id)
    admin_membership = membership_id(db, world.bravo_admin.id, world.bravo.id)
    before = _everything(db)
    bravo = gid("Organisation", world.bravo.id)
    for role in ("VIEWER", "ADMIN"):
        body = graphql(client, ADD_MEMBER, {"i": {"organisation": bravo, "email": "mole@alpha.example",
                                                  "role": role}}, token)
        assert _user_error_codes(body, "addMember") == ["FORBIDDEN"]
    # The same person already in bravo: still refused, not "already a member".
    body = graphql(client, ADD_MEMBER, {"i": {"organisation": bravo, "email": "editor@bravo.example",
                                              "role": "VIEWER"}}, token)
    assert _user_error_codes(body, "addMember") == ["FORBIDDEN"]
    body = graphql(client, ADD_MEMBER, {"i": {"organisation": gid("Organisation", world.delta.id),
                                              "email": "mole@alpha.example", "role": "ADMIN"}}, token)
    assert _user_error_codes(body, "addMember") == ["NOT_FOUND"]
    for membership in (editor_membership, admin_membership):
        membership_gid = gid("Membership", membership)
        body = graphql(client, CHANGE_ROLE, {"i": {"membership": membership_gid, "role": "VIEWER"}}, token)
        assert _user_error_codes(body, "changeMemberRole") == ["NOT_FOUND"]
        body = graphql(client, REMOVE_MEMBER, {"i": {"membership": membership_gid}}, token)
        assert _user_error_codes(body, "removeMember") == ["NOT_FOUND"]
    assert _everything(db) == before


def test_lab_admin_scope_outside_the_secretariat_grants_nothing(client, world: World, db, make) -> None:  # noqa: ANN001
    token = make.token(world.alpha, f"{ALL_SCOPES} lab:admin", user=world.alpha_admin)
    before = _everything(db)
    body = graphql(client, SET_STATUS, {"i": {"id": gid("Organisation", world.delta.id), "status": "MEMBER"}}, token)
    assert set(codes(body) or _user_error_codes(body, "setOrganisationStatus")) <= {"FORBIDDEN", "NOT_FOUND"}
    body = graphql(client, SET_STATUS, {"i": {"id": gid("Organisation", world.bravo.id), "status": "SUSPENDED"}},
                   token)
    assert (codes(body) or _user_error_codes(body, "setOrganisationStatus")) == ["FORBIDDEN"]
    body = graphql(client, CREATE_ORGANISATION, {"i": {"slug": "fake", "name": "Fake", "stakeholderType": "NGO"}},
                   token)
    assert (codes(body) or _user_error_codes(body, "createOrganisation")) == ["FORBIDDEN"]
    body = graphql(client, CHANGE_ROLE, {"i": {"membership": gid("Membership", membership_id(
        db, world.bravo_admin.id, world.bravo.id)), "role": "VIEWER"}}, token)
    assert _user_error_codes(body, "changeMemberRole") == ["NOT_FOUND"]
    assert graphql(client, "{ viewer { isLabAdmin } }", token=token)["data"]["viewer"]["isLabAdmin"] is False
    assert _everything(db) == before


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.EDITOR])
def test_a_member_cannot_raise_their_own_role_or_grant_one(client, world: World, db, make, role: Role) -> None:  # noqa: ANN001
    """Holding `org:admin` is not enough: below admin, nobody manages members, themselves included."""
    user = make.member(world.alpha, "climber@alpha.example", role)
    token = make.token(world.alpha, ALL_SCOPES, user=user)
    own = gid("Membership", membership_id(db, user.id, world.alpha.id))
    admin = gid("Membership", membership_id(db, world.alpha_admin.id, world.alpha.id))
    before = _everything(db)
    for target in ("EDITOR", "ADMIN"):
        body = graphql(client, CHANGE_ROLE, {"i": {"membership": own, "role": target}}, token)
        assert _user_error_codes(body, "changeMemberRole") in (["FORBIDDEN"], ["ROLE_TOO_HIGH"])
        body = graphql(client, ADD_MEMBER, {"i": {"organisation": gid("Organisation", world.alpha.id),
                                                  "email": "friend@alpha.example", "role": target}}, token)
        assert _user_error_codes(body, "addMember") in (["FORBIDDEN"], ["ROLE_TOO_HIGH"])
    body = graphql(client, CHANGE_ROLE, {"i": {"membership": admin, "role": "VIEWER"}}, token)
    assert _user_error_codes(body, "changeMemberRole") in (["FORBIDDEN"], ["ROLE_TOO_HIGH"])
    body = graphql(client, REMOVE_MEMBER, {"i": {"membership": admin}}, token)
    assert _user_error_codes(body, "removeMember") in (["FORBIDDEN"], ["ROLE_TOO_HIGH"])
    assert _everything(db) == before


def test_an_admin_without_org_admin_scope_manages_nobody(client, world: World, db, make) -> None:  # noqa: ANN001
    token = make.token(world.alpha, READ_SCOPES, user=world.alpha_admin)
    before = _everything(db)
    body = graphql(client, ADD_MEMBER, {"i": {"organisation": gid("Organisation", world.alpha.id),
                                              "email": "friend@alpha.example", "role": "ADMIN"}}, token)
    assert codes(body) == ["FORBIDDEN"] and body["data"] is None
    assert _everything(db) == before


def test_the_last_admin_cannot_step_down(client, world: World, db) -> None:  # noqa: ANN001
    own = gid("Membership", membership_id(db, world.alpha_admin.id, world.alpha.id))
    before = _everything(db)
    body = graphql(client, CHANGE_ROLE, {"i": {"membership": own, "role": "EDITOR"}}, world.tokens["alpha admin"])
    assert _user_error_codes(body, "changeMemberRole") == ["LAST_ADMIN"]
    assert _everything(db) == before


def test_an_admin_manages_their_own_organisation(client, world: World, db) -> None:  # noqa: ANN001
    """The positive case, so the refusals above are refusals of the target, not of everything."""
    body = graphql(client, ADD_MEMBER, {"i": {"organisation": gid("Organisation", world.alpha.id),
                                              "email": "new@alpha.example", "role": "EDITOR"}},
                   world.tokens["alpha admin"])
    assert body["data"]["addMember"]["userErrors"] == []
    assert body["data"]["addMember"]["membership"]["role"] == "EDITOR"
    roles = sorted(Role[m["role"]] if isinstance(m["role"], str) else m["role"]
                   for m in stored(db, Membership.__table__, organisation_id=world.alpha.id))
    assert roles == [Role.EDITOR, Role.ADMIN]


# --- 15. one person in two organisations ------------------------------------------------------------


def test_a_token_for_one_organisation_cannot_write_to_the_other(client, world: World, db, make) -> None:  # noqa: ANN001
    both = make.member(world.alpha, "both@example.org", Role.ADMIN)
    make.member(world.bravo, "both@example.org", Role.ADMIN)
    token = make.token(world.alpha, ALL_SCOPES, user=both)
    editor_membership = gid("Membership", membership_id(db, world.bravo_editor.id, world.bravo.id))
    before = _everything(db)
    for initiative, code in ((world.bravo_public, "FORBIDDEN"), (world.bravo_private, "NOT_FOUND")):
        initiative_id = gid("Initiative", initiative.id)
        body = graphql(client, UPDATE, {"i": {"id": initiative_id, "title": "Wrong hat"}}, token)
        assert _user_error_codes(body, "updateInitiative") == [code]
        body = graphql(client, DELETE, {"i": {"id": initiative_id}}, token)
        assert _user_error_codes(body, "deleteInitiative") == [code]
    body = graphql(client, UPDATE_ORGANISATION, {"i": {"id": gid("Organisation", world.bravo.id), "name": "X"}},
                   token)
    assert _user_error_codes(body, "updateOrganisation") == ["FORBIDDEN"]
    body = graphql(client, ADD_MEMBER, {"i": {"organisation": gid("Organisation", world.bravo.id),
                                              "email": "guest@example.org", "role": "VIEWER"}}, token)
    assert _user_error_codes(body, "addMember") == ["FORBIDDEN"]
    body = graphql(client, CHANGE_ROLE, {"i": {"membership": editor_membership, "role": "ADMIN"}}, token)
    assert _user_error_codes(body, "changeMemberRole") == ["NOT_FOUND"]
    # Reading with the alpha token does not reach bravo's private record either.
    assert graphql(client, READ, {"id": gid("Initiative", world.bravo_private.id)}, token) == {
        "data": {"initiative": None}
    }
    assert _everything(db) == before
    # What the token may do, it does for alpha only.
    created = graphql(
        client,
        """mutation { createInitiative(input: {title: "Mine", status: "IMPLEMENTATION"}) {
             initiative { leadOrganisation { slug } } userErrors { code } } }""",
        token=token,
    )
    assert created["data"]["createInitiative"]["initiative"]["leadOrganisation"]["slug"] == "alpha"
    assert [r["lead_organisation_id"] for r in stored(db, Initiative.__table__, title="Mine")] == [world.alpha.id]


# --- 16. a removed member's token stops working at once -------------------------------------------------


def test_a_removed_members_token_stops_working_at_once(client, world: World, db, make) -> None:  # noqa: ANN001
    leaver = make.member(world.alpha, "leaver@alpha.example", Role.EDITOR)
    token = make.token(world.alpha, ALL_SCOPES, user=leaver, lifetime=900)
    body = graphql(client, "{ viewer { kind role } }", token=token)
    assert body["data"]["viewer"] == {"kind": "user", "role": "EDITOR"}
    membership = gid("Membership", membership_id(db, leaver.id, world.alpha.id))
    removed = graphql(client, REMOVE_MEMBER, {"i": {"membership": membership}}, world.tokens["alpha admin"])
    assert removed["data"]["removeMember"]["userErrors"] == []
    assert stored(db, Membership.__table__, user_id=leaver.id) == []
    response = client.post(
        "/graphql", json={"query": "{ viewer { kind } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert invalid_token_reason(response) == "NOT_A_MEMBER"
    before = count(db, Initiative.__table__)
    response = client.post(
        "/graphql",
        json={"query": 'mutation { createInitiative(input: {title: "After leaving", status: "IMPLEMENTATION"}) '
                       "{ userErrors { code } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401 and "data" not in response.json()
    assert count(db, Initiative.__table__) == before


def test_a_demoted_members_token_loses_the_rights_at_once(client, world: World, db, make) -> None:  # noqa: ANN001
    editor = make.member(world.alpha, "editor@alpha.example", Role.EDITOR)
    token = make.token(world.alpha, ALL_SCOPES, user=editor)
    membership = gid("Membership", membership_id(db, editor.id, world.alpha.id))
    changed = graphql(client, CHANGE_ROLE, {"i": {"membership": membership, "role": "VIEWER"}},
                      world.tokens["alpha admin"])
    assert changed["data"]["changeMemberRole"]["membership"]["role"] == "VIEWER"
    body = graphql(
        client,
        'mutation { createInitiative(input: {title: "Too late", status: "IMPLEMENTATION"}) '
        "{ initiative { id } userErrors { code } } }",
        token=token,
    )
    assert body["data"]["createInitiative"] == {"initiative": None, "userErrors": [{"code": "FORBIDDEN"}]}
    assert stored(db, Initiative.__table__, title="Too late") == []
