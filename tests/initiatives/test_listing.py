"""`initiatives`: every filter, every ordering, and keyset pagination without gaps or duplicates."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from api.organisations.models import OrganisationStatus
from tests.factories import classify, connection_pages, gid, graphql, node_ids, set_columns

BASE = datetime(2024, 1, 1, tzinfo=UTC)

# title: (lead, status, visibility, harms, intervention types, countries, partners)
REGISTRY = {
    "Hotline network": ("inhope", "IMPLEMENTATION", "PUBLIC", ["CSAM-KNOWN"], ["RPT-HOT"], ["NL", "FR"], ["google"]),
    "Hash sharing": ("google", "IMPLEMENTATION", "PUBLIC", ["CSAM-KNOWN", "CSAM-NEW"], ["DET-HASH"], ["US"], []),
    "Grooming classifier": ("google", "PIPELINE", "PUBLIC", ["SOLICITATION"], ["DET-CLS"], ["US", "GB"], []),
    "Child safety campaign": ("ecpat", "CLOSED", "PUBLIC", ["EXTORTION"], ["AWR"], ["TH"], []),
    "Members-only study": ("ecpat", "IMPLEMENTATION", "MEMBERS", ["SOLICITATION"], ["RES"], [], []),
    "INHOPE internal": ("inhope", "PIPELINE", "ORGANISATION", ["CSAM-SG"], [], [], []),
    "100% _literal_ match": ("inhope", "CANCELLED", "PUBLIC", [], [], [], []),
    "Pending organisation's": ("pending", "IMPLEMENTATION", "PUBLIC", ["CSAM-KNOWN"], ["RPT-HOT"], ["US"], []),
}
VISIBLE = sorted(title for title in REGISTRY if title != "Pending organisation's")
PUBLIC = sorted(t for t in VISIBLE if REGISTRY[t][2] == "PUBLIC")


@pytest.fixture
def registry(make, db) -> dict:  # noqa: ANN001
    """The organisations and initiatives above; created and updated at distinct, known times."""
    organisations = {
        "inhope": make.organisation("inhope", stakeholder_type="HOTLINE", country="NL"),
        "google": make.organisation("google", stakeholder_type="IND-PLAT", country="US"),
        "ecpat": make.organisation("ecpat", stakeholder_type="INGO", country="TH"),
        "pending": make.organisation("pending", stakeholder_type="NGO", status=OrganisationStatus.PENDING),
    }
    initiatives = {}
    for position, (title, (lead, status, visibility, harms, types, countries, partners)) in enumerate(REGISTRY.items()):
        initiative = make.initiative(
            organisations[lead],
            title,
            status=status,
            visibility=visibility,
            harms=harms,
            partners=[(organisations[p], "FUNDING") for p in partners],
        )
        classify(db, initiative, "intervention-type", *types)
        classify(db, initiative, "country", *countries)
        # Created in table order; updated in the reverse order, so the two orderings differ.
        initiatives[title] = set_columns(
            db,
            initiative,
            created_at=BASE + timedelta(days=position),
            updated_at=BASE + timedelta(days=100 - position),
        )
    return {"organisations": organisations, "initiatives": initiatives}


@pytest.fixture
def token(make, registry) -> str:  # noqa: ANN001
    """INHOPE's token: sees public and members-only records, and its own organisation-only ones."""
    return make.token(registry["organisations"]["inhope"])


def _titles(client, registry, token, filter: dict | None = None, order_by: str = "TITLE_ASC") -> list[str]:  # noqa: ANN001, A002
    """Titles of every matching initiative, in order, checking totalCount on the way."""
    pages = connection_pages(client, "initiatives", token=token, filter=filter, order_by=order_by)
    by_id = {initiative.id: title for title, initiative in registry["initiatives"].items()}
    titles = [by_id[i] for i in node_ids(pages)]
    assert {page["totalCount"] for page in pages} == {len(titles)}
    return titles


def _org(registry, slug: str) -> str:  # noqa: ANN001
    return gid("Organisation", registry["organisations"][slug].id)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        pytest.param(None, VISIBLE, id="no filter"),
        pytest.param(lambda r: {"organisations": [_org(r, "google")]}, ["Grooming classifier", "Hash sharing", "Hotline network"], id="organisation leads or takes part"),
        pytest.param(lambda r: {"organisations": [_org(r, "inhope")]}, ["100% _literal_ match", "Hotline network", "INHOPE internal"], id="own organisation"),
        pytest.param(
            lambda r: {"organisations": [_org(r, "google"), _org(r, "ecpat")]},
            ["Child safety campaign", "Grooming classifier", "Hash sharing", "Hotline network", "Members-only study"],
            id="two organisations",
        ),
        pytest.param(lambda r: {"organisations": [_org(r, "pending")]}, [], id="hidden organisation"),
        pytest.param(lambda r: {"organisations": [gid("Organisation", 999_999)]}, [], id="missing organisation"),
        pytest.param(lambda r: {"organisations": [gid("Initiative", 1)]}, [], id="id of another type"),
        pytest.param({"stakeholderTypes": ["IND-PLAT"]}, ["Grooming classifier", "Hash sharing"], id="stakeholder type"),
        pytest.param(
            {"stakeholderTypes": ["HOTLINE", "INGO"]},
            ["100% _literal_ match", "Child safety campaign", "Hotline network", "INHOPE internal", "Members-only study"],
            id="two stakeholder types",
        ),
        pytest.param({"countries": ["us"]}, ["Grooming classifier", "Hash sharing"], id="country in lower case"),
        pytest.param({"countries": ["GB", "TH"]}, ["Child safety campaign", "Grooming classifier"], id="two countries"),
        pytest.param({"interventionTypes": ["DET-HASH", "DET-CLS"]}, ["Grooming classifier", "Hash sharing"], id="intervention types"),
        pytest.param({"harms": ["CSAM-KNOWN"]}, ["Hash sharing", "Hotline network"], id="harm"),
        pytest.param(
            {"harms": ["SOLICITATION", "EXTORTION"]},
            ["Child safety campaign", "Grooming classifier", "Members-only study"],
            id="two harms",
        ),
        pytest.param({"statuses": ["PIPELINE"]}, ["Grooming classifier", "INHOPE internal"], id="status"),
        pytest.param({"statuses": ["CLOSED", "CANCELLED"]}, ["100% _literal_ match", "Child safety campaign"], id="two statuses"),
        pytest.param({"visibilities": ["MEMBERS"]}, ["Members-only study"], id="members-only"),
        pytest.param({"visibilities": ["ORGANISATION"]}, ["INHOPE internal"], id="organisation-only"),
        pytest.param({"visibilities": ["PUBLIC"]}, PUBLIC, id="public"),
        pytest.param({"query": "hash"}, ["Hash sharing"], id="query, any case"),
        pytest.param({"query": "HOTLINE NET"}, ["Hotline network"], id="query with a space"),
        pytest.param({"query": "%"}, ["100% _literal_ match"], id="percent sign is literal"),
        pytest.param({"query": "_literal_"}, ["100% _literal_ match"], id="underscores are literal"),
        pytest.param({"query": "h_sh"}, [], id="underscore is no wildcard"),
        pytest.param({"query": "'; DROP TABLE initiative; --"}, [], id="SQL is just text"),
        pytest.param({"query": "\\"}, [], id="backslash is literal"),
        pytest.param({"query": "\x00"}, [], id="NUL in the query matches nothing"),
        pytest.param({"query": "Hash\x00"}, [], id="trailing NUL in the query"),
        pytest.param(
            {"harms": ["CSAM-KNOWN"], "countries": ["US"]}, ["Hash sharing"], id="filters combine"
        ),
        pytest.param(
            lambda r: {"statuses": ["IMPLEMENTATION"], "organisations": [_org(r, "google")]},
            ["Hash sharing", "Hotline network"],
            id="status and organisation combine",
        ),
    ],
)
def test_each_filter(client, db, registry, token, filter, expected) -> None:  # noqa: ANN001, A002
    given = filter(registry) if callable(filter) else filter
    assert _titles(client, registry, token, given) == expected
    assert db.execute(sa.text("SELECT count(*) FROM initiative")).scalar_one() == len(REGISTRY)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        pytest.param(None, PUBLIC, id="no filter"),
        pytest.param({"visibilities": ["MEMBERS", "ORGANISATION"]}, [], id="non-public visibilities"),
        pytest.param({"harms": ["SOLICITATION"]}, ["Grooming classifier"], id="a harm of a members-only record"),
    ],
)
def test_anonymous_filters_never_reach_non_public_records(client, registry, filter, expected) -> None:  # noqa: ANN001, A002
    assert _titles(client, registry, None, filter) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        pytest.param("TITLE_ASC", VISIBLE, id="title"),
        pytest.param("CREATED_AT_DESC", [t for t in reversed(REGISTRY) if t in VISIBLE], id="newest first"),
        pytest.param("UPDATED_AT_DESC", [t for t in REGISTRY if t in VISIBLE], id="last updated first"),
        pytest.param(None, [t for t in REGISTRY if t in VISIBLE], id="default: last updated first"),
    ],
)
def test_each_ordering(client, registry, token, order_by, expected) -> None:  # noqa: ANN001
    pages = connection_pages(client, "initiatives", token=token, order_by=order_by)
    by_id = {initiative.id: title for title, initiative in registry["initiatives"].items()}
    assert [by_id[i] for i in node_ids(pages)] == expected


# --- keyset pagination -------------------------------------------------------------------------

PAGED = 23


@pytest.fixture
def many(make, db) -> list:  # noqa: ANN001
    """23 initiatives whose sort keys tie in groups, so only the id tie-breaker orders them."""
    lead = make.organisation("weprotect", stakeholder_type="MSP")
    rows = []
    for i in range(PAGED):
        initiative = make.initiative(lead, f"Shared title {i % 4}", harms=["CSAM-KNOWN"] if i % 2 else [])
        rows.append(
            set_columns(
                db,
                initiative,
                created_at=BASE + timedelta(hours=i % 5),
                updated_at=BASE + timedelta(minutes=i % 3),
            )
        )
    return rows


def _expected(rows: list, order_by: str) -> list[int]:
    if order_by == "TITLE_ASC":
        return [r.id for r in sorted(rows, key=lambda r: (r.title, r.id))]
    column = "created_at" if order_by == "CREATED_AT_DESC" else "updated_at"
    return [r.id for r in sorted(rows, key=lambda r: (getattr(r, column), r.id), reverse=True)]


@pytest.mark.parametrize("order_by", ["TITLE_ASC", "CREATED_AT_DESC", "UPDATED_AT_DESC"])
@pytest.mark.parametrize("page_size", [1, 5, 23, 100])
def test_walking_every_page_returns_each_record_once(client, many, order_by, page_size) -> None:  # noqa: ANN001
    pages = connection_pages(client, "initiatives", order_by=order_by, first=page_size)
    ids = node_ids(pages)
    assert ids == _expected(many, order_by)
    assert len(ids) == len(set(ids)) == PAGED
    assert len(pages) == -(-PAGED // page_size)
    assert {page["totalCount"] for page in pages} == {PAGED}
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False] + [True] * (len(pages) - 1)
    assert all(len(page["edges"]) == page_size for page in pages[:-1])


def test_walking_a_filtered_list(client, many) -> None:  # noqa: ANN001
    pages = connection_pages(client, "initiatives", filter={"harms": ["CSAM-KNOWN"]}, order_by="TITLE_ASC", first=4)
    expected = _expected([r for i, r in enumerate(many) if i % 2], "TITLE_ASC")
    assert node_ids(pages) == expected
    assert {page["totalCount"] for page in pages} == {len(expected)}


def test_a_cursor_is_a_key_not_an_offset(client, make, many) -> None:  # noqa: ANN001
    """Records added before the cursor after page one was read neither shift nor repeat page two."""
    query = """query($after: String) { initiatives(first: 10, after: $after, orderBy: TITLE_ASC) {
                 edges { node { id } } pageInfo { endCursor } } }"""
    first = graphql(client, query, {"after": None})["data"]["initiatives"]
    for i in range(3):
        make.initiative(make.organisation(f"late-{i}"), f"AAA sorts before every other title {i}")
    second = graphql(client, query, {"after": first["pageInfo"]["endCursor"]})["data"]["initiatives"]
    assert node_ids([second]) == _expected(many, "TITLE_ASC")[10:20]
