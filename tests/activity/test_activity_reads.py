"""Reading the activity trail through GraphQL: the Lab-wide `activity` query and each record's `activity`
connection, every filter, forward and backward pages, and readability per caller: an entry about a record
the caller may not read does not exist for it, in pages, in `totalCount` and as a node."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import select

from api.activity.models import Activity
from api.inquiries.models import RatingInquiry
from api.organisations.models import OrganisationStatus
from api.ratings.models import OutcomeRating
from tests.factories import error_extensions, gid, graphql, lab_admin_token, sql_statements

T0 = datetime(2026, 3, 1, tzinfo=UTC)
NODE = "id kind occurredAt actor detail version organisation { name } relatedOrganisation { name } subject { id }"
LAB = f"""
query($filter: ActivityFilter, $first: Int, $after: String, $last: Int, $before: String) {{
  activity(filter: $filter, first: $first, after: $after, last: $last, before: $before) {{
    totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {NODE} }} }}
  }}
}}
"""


PER_RECORD = """
query($id: ID!) { node(id: $id) {
  ... on Initiative { activity { totalCount edges { node { kind } } } }
  ... on Study { activity { totalCount edges { node { kind } } } }
} }
"""


def _entry(db, kind: str, subject_type: str, subject_id: int, *, hour: int, organisation=None, detail=None) -> Activity:  # noqa: ANN001
    entry = Activity(
        kind=kind, subject_type=subject_type, subject_id=subject_id, occurred_at=T0 + timedelta(hours=hour),
        organisation_id=organisation.id if organisation is not None else None,
        actor="user:7" if organisation is not None else "cli", detail=detail or {},
    )
    db.add(entry)
    db.commit()
    return entry


def _lab(client, token=None, **variables) -> dict:  # noqa: ANN001, ANN003
    body = graphql(client, LAB, variables, token)
    assert "errors" not in body, body
    return body["data"]["activity"]


def _ids(page: dict) -> list[str]:
    return [edge["node"]["subject"]["id"] for edge in page["edges"]]


def _registry(make, db) -> dict:  # noqa: ANN001
    """The owner's public, members-only and organisation-only initiative and study, one entry about each
    (newest last), and the callers."""
    r = {name: make.organisation(name) for name in ("owner", "member", "observer")}
    r["observer"].status = OrganisationStatus.OBSERVER
    db.add(r["observer"])
    db.commit()
    r["records"] = {}
    hour = 0
    for visibility in ("PUBLIC", "MEMBERS", "ORGANISATION"):
        initiative = make.initiative(r["owner"], f"{visibility.title()} initiative", visibility=visibility)
        study = make.study(r["owner"], f"{visibility.title()} study", visibility=visibility)
        for type_name, row in (("Initiative", initiative), ("Study", study)):
            _entry(db, "CREATED", type_name, row.id, hour=hour, organisation=r["owner"])
            r["records"][(type_name, visibility)] = gid(type_name, row.id)
            hour += 1
    r["tokens"] = {
        "anonymous": None,
        "observer": make.token(r["observer"]),
        "member": make.token(r["member"]),
        "owner": make.token(r["owner"]),
        "secretariat": lab_admin_token(make),
    }
    return r


# What each caller may read of the owner's records.
READS = {
    "anonymous": ("PUBLIC",),
    "observer": ("PUBLIC",),
    "member": ("PUBLIC", "MEMBERS"),
    "owner": ("PUBLIC", "MEMBERS", "ORGANISATION"),
    "secretariat": ("PUBLIC", "MEMBERS"),
}


def test_each_caller_sees_the_entries_about_records_it_may_read_and_counts_only_those(client, make, db) -> None:
    r = _registry(make, db)
    for caller, visibilities in READS.items():
        token = r["tokens"][caller]
        page = _lab(client, token)
        expected = [r["records"][(t, v)] for v in reversed(visibilities) for t in ("Study", "Initiative")]
        assert _ids(page) == expected, caller
        assert page["totalCount"] == len(expected), caller
        for (type_name, visibility), record_id in r["records"].items():
            per_record = graphql(client, PER_RECORD, {"id": record_id}, token)["data"]["node"]
            filtered = _lab(client, token, filter={"subject": record_id})
            if visibility in visibilities:
                assert per_record is not None, (caller, type_name, visibility)
                assert per_record["activity"]["totalCount"] == 1, (caller, type_name, visibility)
                assert filtered["totalCount"] == 1
            else:  # exactly like a missing record: no record, no entries, no count
                assert per_record is None, (caller, type_name, visibility)
                assert (filtered["totalCount"], filtered["edges"]) == (0, [])


def test_an_entry_about_a_hidden_record_is_no_node(client, make, db) -> None:
    owner = make.organisation("owner")
    hidden = make.initiative(owner, visibility="ORGANISATION")
    entry = _entry(db, "CREATED", "Initiative", hidden.id, hour=1, organisation=owner)
    query = "query($id: ID!) { node(id: $id) { ... on Activity { kind subject { id } } } }"
    assert graphql(client, query, {"id": gid("Activity", entry.id)})["data"]["node"] is None
    own = graphql(client, query, {"id": gid("Activity", entry.id)}, make.token(owner))["data"]["node"]
    assert own == {"kind": "CREATED", "subject": {"id": gid("Initiative", hidden.id)}}


def test_the_actor_is_shown_to_the_acting_organisation_only(client, make, db) -> None:
    owner, other = make.organisation("owner"), make.organisation("other")
    initiative = make.initiative(owner)
    _entry(db, "EDITED", "Initiative", initiative.id, hour=1, organisation=owner, detail={"fields": ["title"]})
    _entry(db, "RATING_CHANGED", "Initiative", initiative.id, hour=2)
    seen = {
        caller: [(e["node"]["actor"], e["node"]["organisation"]) for e in _lab(client, token)["edges"]]
        for caller, token in (("owner", make.token(owner)), ("other", make.token(other)), ("anonymous", None),
                              ("secretariat", lab_admin_token(make)))
    }
    assert seen["owner"] == [(None, None), ("user:7", {"name": "Owner"})]
    for caller in ("other", "anonymous", "secretariat"):
        assert seen[caller] == [(None, None), (None, {"name": "Owner"})], caller
    assert _lab(client)["edges"][1]["node"]["detail"] == {"fields": ["title"]}


def test_an_organisation_the_reader_may_not_see_stays_hidden_in_entries_and_filters(client, make, db) -> None:
    network, suspended = make.organisation("alliance"), make.organisation("gone", status=OrganisationStatus.SUSPENDED)
    _entry(db, "MEMBERSHIP_CHANGED", "Organisation", network.id, hour=1, organisation=suspended,
           detail={"change": "MEMBER_REMOVED", "role": "MEMBER", "organisation": suspended.id})
    _entry(db, "MEMBERSHIP_CHANGED", "Organisation", suspended.id, hour=2, organisation=network,
           detail={"change": "LEFT_NETWORK", "role": "MEMBER", "organisation": network.id})
    page = _lab(client)
    (node,) = [e["node"] for e in page["edges"]]
    assert node["subject"] == {"id": gid("Organisation", network.id)}
    assert (node["organisation"], node["relatedOrganisation"]) == (None, None)
    assert node["detail"] == {"change": "MEMBER_REMOVED", "role": "MEMBER"}
    assert _lab(client, filter={"organisation": gid("Organisation", suspended.id)})["totalCount"] == 0
    # The secretariat reads every organisation: both entries, with the organisations named.
    admin_token = lab_admin_token(make)
    admin = _lab(client, admin_token)
    assert [(e["node"]["organisation"], e["node"]["relatedOrganisation"]) for e in admin["edges"]] == [
        ({"name": "Alliance"}, {"name": "Alliance"}), ({"name": "Gone"}, {"name": "Gone"})
    ]
    assert _lab(client, admin_token, filter={"organisation": gid("Organisation", suspended.id)})["totalCount"] == 1


def _five(make, db) -> tuple:  # noqa: ANN001
    """Five entries about one public initiative, an hour apart, by two organisations; one about another."""
    lead, partner = make.organisation("lead"), make.organisation("partner")
    initiative, other = make.initiative(lead), make.initiative(partner, "Other")
    kinds = ["CREATED", "EDITED", "RATING_CHANGED", "EDITED", "WITHDRAWN"]
    entries = [
        _entry(db, kind, "Initiative", initiative.id, hour=i, organisation=lead if i % 2 == 0 else partner)
        for i, kind in enumerate(kinds)
    ]
    _entry(db, "CREATED", "Initiative", other.id, hour=10, organisation=partner)
    return initiative, entries, lead, partner


def _entry_ids(page: dict) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def test_filters_select_by_kind_organisation_subject_and_time(client, make, db) -> None:
    initiative, entries, lead, partner = _five(make, db)
    e = [gid("Activity", entry.id) for entry in entries]
    subject = gid("Initiative", initiative.id)
    assert _entry_ids(_lab(client, filter={"kinds": ["EDITED", "WITHDRAWN"], "subject": subject})) == [e[4], e[3], e[1]]
    assert _entry_ids(_lab(client, filter={"organisation": gid("Organisation", lead.id)})) == [e[4], e[2], e[0]]
    by_partner = _lab(client, filter={"organisation": gid("Organisation", partner.id)})
    assert by_partner["totalCount"] == 3
    window = {"since": (T0 + timedelta(hours=1)).isoformat(), "until": (T0 + timedelta(hours=3)).isoformat()}
    assert _entry_ids(_lab(client, filter=window)) == [e[2], e[1]]
    assert _lab(client, filter={"since": (T0 + timedelta(hours=4)).isoformat()})["totalCount"] == 2
    assert _lab(client, filter={"subject": subject, "until": (T0 + timedelta(hours=1)).isoformat()})["totalCount"] == 1
    # Ids of another record type, or of a record without a trail, match nothing.
    assert _lab(client, filter={"organisation": gid("Initiative", initiative.id)})["totalCount"] == 0
    assert _lab(client, filter={"subject": gid("Figure", 1)})["totalCount"] == 0
    # The same filters on the initiative's own trail.
    trail = graphql(
        client,
        "query($id: ID!, $f: RecordActivityFilter) { initiative(id: $id) { activity(filter: $f) { totalCount edges { node { id } } } } }",
        {"id": subject, "f": {"kinds": ["EDITED"], "organisation": gid("Organisation", partner.id),
                              "since": T0.isoformat(), "until": (T0 + timedelta(hours=9)).isoformat()}},
    )["data"]["initiative"]["activity"]
    assert (trail["totalCount"], _entry_ids(trail)) == (2, [e[3], e[1]])


def test_filters_that_cannot_mean_anything_are_refused(client, make, db) -> None:
    _five(make, db)
    naive = graphql(client, LAB, {"filter": {"since": "2026-03-01T00:00:00"}})
    assert naive["data"] is None
    assert [p["code"] for p in error_extensions(naive)[0]["problems"]] == ["INVALID_VALUE"]
    backwards = graphql(client, LAB, {"filter": {"since": T0.isoformat(), "until": T0.isoformat()}})
    assert [(p["field"], p["code"]) for p in error_extensions(backwards)[0]["problems"]] == [
        (["filter", "until"], "INVALID_DATE_RANGE")
    ]
    malformed = graphql(client, LAB, {"filter": {"subject": "bm90IGFuIGlk"}})
    assert error_extensions(malformed)[0]["code"] == "INVALID_ID"


def test_pages_run_newest_first_forwards_and_backwards(client, make, db) -> None:
    initiative, entries, _lead, _partner = _five(make, db)
    e = [gid("Activity", entry.id) for entry in entries]
    f = {"subject": gid("Initiative", initiative.id)}
    first = _lab(client, filter=f, first=2)
    assert (_entry_ids(first), first["totalCount"]) == ([e[4], e[3]], 5)
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    second = _lab(client, filter=f, first=2, after=first["pageInfo"]["endCursor"])
    assert _entry_ids(second) == [e[2], e[1]]
    third = _lab(client, filter=f, first=2, after=second["pageInfo"]["endCursor"])
    assert (_entry_ids(third), third["pageInfo"]["hasNextPage"]) == ([e[0]], False)
    # Backwards: the oldest two, then the two before the cursor, in the list's own order.
    last = _lab(client, filter=f, last=2)
    assert _entry_ids(last) == [e[1], e[0]]
    assert (last["pageInfo"]["hasPreviousPage"], last["pageInfo"]["hasNextPage"]) == (True, False)
    before = _lab(client, filter=f, last=2, before=last["pageInfo"]["startCursor"])
    assert (_entry_ids(before), before["pageInfo"]["hasPreviousPage"]) == ([e[3], e[2]], True)
    rest = _lab(client, filter=f, last=2, before=before["pageInfo"]["startCursor"])
    assert (_entry_ids(rest), rest["pageInfo"]["hasPreviousPage"], rest["pageInfo"]["hasNextPage"]) == ([e[4]], False, True)
    between = _lab(client, filter=f, first=5, after=first["pageInfo"]["endCursor"], before=last["pageInfo"]["endCursor"])
    assert _entry_ids(between) == [e[2], e[1]]
    # The initiative's own trail pages the same way.
    trail = graphql(
        client, "query($id: ID!) { initiative(id: $id) { activity(last: 1) { edges { node { id } } } } }",
        {"id": gid("Initiative", initiative.id)},
    )["data"]["initiative"]["activity"]
    assert _entry_ids(trail) == [e[0]]


def test_page_sizes_are_bounded_and_first_and_last_do_not_mix(client, make, db) -> None:
    _five(make, db)
    too_many = graphql(client, LAB, {"last": 101})
    assert (too_many["data"], error_extensions(too_many)[0]["field"]) == (None, ["activity", "last"])
    nested = graphql(client, "{ organisations { edges { node { activity(last: 0) { totalCount } } } } }")
    assert error_extensions(nested)[0]["code"] == "BAD_USER_INPUT"
    both = graphql(client, LAB, {"first": 2, "last": 2})
    assert error_extensions(both)[0]["code"] == "BAD_USER_INPUT"
    # The node budget counts a backward page by `last`, as a forward one by `first`.
    costly = "{ organisations(first: 100) { edges { node { initiatives(first: 100) { edges { node { activity(%s) { totalCount } } } } } } } }"
    costs = {size: error_extensions(graphql(client, costly % f"last: {size}"))[0] for size in (1, 100)}
    assert {size: (e["code"], e["cost"]) for size, e in costs.items()} == {
        1: ("QUERY_TOO_COSTLY", 100 + 100 * (100 + 100 * 1)), 100: ("QUERY_TOO_COSTLY", 100 + 100 * (100 + 100 * 100))
    }
    wrong_cursor = error_extensions(graphql(client, LAB, {"last": 2, "before": "bm90IGEgY3Vyc29y"}))[0]
    assert (wrong_cursor["code"], wrong_cursor["field"]) == ("INVALID_CURSOR", ["before"])


def _page_statements(client, app, first: int) -> tuple[int, int]:  # noqa: ANN001
    query = (
        "query($first: Int) { activity(first: $first) { edges { node { kind organisation { name } "
        "subject { id ... on Initiative { title } ... on Study { title } ... on Organisation { name } } } } } }"
    )
    with sql_statements(app) as statements:
        body = graphql(client, query, {"first": first})
    assert "errors" not in body, body
    edges = body["data"]["activity"]["edges"]
    assert all(edge["node"]["subject"] is not None for edge in edges)
    return len(edges), len(statements)


def test_a_page_of_entries_with_their_subjects_takes_as_many_statements_for_twenty_as_for_five(client, app, make, db) -> None:
    owner = make.organisation("owner")
    for i in range(7):
        initiative, study = make.initiative(owner, f"Initiative {i}"), make.study(owner, f"Study {i}")
        _entry(db, "CREATED", "Initiative", initiative.id, hour=3 * i, organisation=owner)
        _entry(db, "CREATED", "Study", study.id, hour=3 * i + 1, organisation=owner)
        _entry(db, "MEMBERSHIP_CHANGED", "Organisation", owner.id, hour=3 * i + 2, organisation=owner)
    graphql(client, "{ viewer { kind } }")
    small_rows, small = _page_statements(client, app, 5)
    large_rows, large = _page_statements(client, app, 20)
    assert (small_rows, large_rows) == (5, 20)
    assert large == small, f"{small} statements for 5 entries but {large} for 20"


def test_every_record_type_with_a_trail_shows_its_own_entries(client, make, db) -> None:
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead)
    assessment = make.assessment(initiative, assessor, ratings=["PROMISING"])
    rating = db.exec(select(OutcomeRating)).one()
    inquiry = RatingInquiry(rating_id=rating.id, organisation_id=lead.id, grounds="MISSING-STUDY", text="Why?",
                            ruling="DISMISSED", created_by="test", updated_by="test")
    db.add(inquiry)
    db.commit()
    db.exec(delete(Activity))
    db.commit()
    records = {
        "Initiative": initiative.id, "EvidenceAssessment": assessment.id, "Study": assessment.study_id,
        "BestPractice": make.practice(lead).id, "OutcomeRating": rating.id, "RatingInquiry": inquiry.id,
        "Organisation": lead.id,
    }
    for hour, (type_name, row_id) in enumerate(records.items()):
        _entry(db, "EDITED", type_name, row_id, hour=hour, organisation=lead)
    fragments = " ".join(
        f"... on {t} {{ activity {{ totalCount edges {{ node {{ subject {{ id }} }} }} }} }}" for t in records
    )
    for type_name, row_id in records.items():
        record_id = gid(type_name, row_id)
        node = graphql(client, f"query($id: ID!) {{ node(id: $id) {{ {fragments} }} }}", {"id": record_id})["data"]["node"]
        assert node["activity"]["totalCount"] == 1, type_name
        assert node["activity"]["edges"][0]["node"]["subject"] == {"id": record_id}
    assert _lab(client)["totalCount"] == len(records)
