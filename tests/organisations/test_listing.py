"""`organisations`: every filter, both orderings, and keyset pagination without gaps or duplicates."""

from datetime import UTC, datetime, timedelta

import pytest

from api.organisations.models import OrganisationStatus
from tests.factories import connection_pages, graphql, lab_admin_token, node_ids, set_columns

BASE = datetime(2024, 1, 1, tzinfo=UTC)
Status = OrganisationStatus

# name: (slug, acronym, stakeholder type, country, status)
REGISTRY = {
    "Internet Watch Foundation": ("iwf", "IWF", "HOTLINE", "GB", Status.MEMBER),
    "Point de Contact": ("pdc", "PDC", "HOTLINE", "FR", Status.MEMBER),
    "Google": ("google", None, "IND-PLAT", "US", Status.MEMBER),
    "Thorn": ("thorn", None, "NGO", "US", Status.OBSERVER),
    "Korea Communications Standards Commission": ("kcsc", "KCSC", "REG", "KR", Status.NAMED),
    "100% _Literal_ Org": ("literal", None, "NGO", None, Status.MEMBER),
    "Pending NGO": ("pending-ngo", None, "NGO", "FR", Status.PENDING),
    "Suspended Platform": ("suspended", None, "IND-PLAT", "US", Status.SUSPENDED),
}
# Listed publicly: members, observers, and organisations named in the sources without an affiliation.
ADMITTED = sorted(name for name, row in REGISTRY.items() if row[4] in (Status.MEMBER, Status.OBSERVER, Status.NAMED))


@pytest.fixture
def registry(make, db) -> dict:  # noqa: ANN001
    """The organisations above, updated at known times (the first listed, the most recently)."""
    organisations = {}
    for position, (name, (slug, acronym, stakeholder_type, country, status)) in enumerate(REGISTRY.items()):
        organisation = make.organisation(slug, stakeholder_type=stakeholder_type, country=country, status=status)
        organisations[name] = set_columns(
            db, organisation, name=name, acronym=acronym, updated_at=BASE + timedelta(days=100 - position)
        )
    return organisations


def _names(client, registry, token, filter: dict | None = None, order_by: str | None = None) -> list[str]:  # noqa: ANN001, A002
    """Names of every listed organisation, in order, checking totalCount on the way."""
    pages = connection_pages(client, "organisations", token=token, filter=filter, order_by=order_by)
    by_id = {organisation.id: name for name, organisation in registry.items()}
    names = [by_id.get(i, f"#{i}") for i in node_ids(pages)]
    assert {page["totalCount"] for page in pages} == {len(names)}
    return names


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        pytest.param(None, ADMITTED, id="no filter: admitted organisations"),
        pytest.param({"stakeholderTypes": ["HOTLINE"]}, ["Internet Watch Foundation", "Point de Contact"], id="stakeholder type"),
        pytest.param({"stakeholderTypes": ["IND-PLAT", "NGO"]}, ["100% _Literal_ Org", "Google", "Thorn"], id="two types"),
        pytest.param({"countries": ["us"]}, ["Google", "Thorn"], id="country in lower case"),
        pytest.param({"countries": ["GB", "FR"]}, ["Internet Watch Foundation", "Point de Contact"], id="two countries"),
        pytest.param({"statuses": ["OBSERVER"]}, ["Thorn"], id="status"),
        pytest.param({"statuses": ["NAMED", "OBSERVER"]}, ["Korea Communications Standards Commission", "Thorn"], id="named"),
        pytest.param({"statuses": ["PENDING", "SUSPENDED"]}, [], id="hidden statuses stay hidden"),
        pytest.param({"query": "watch"}, ["Internet Watch Foundation"], id="query in the name"),
        pytest.param({"query": "pdc"}, ["Point de Contact"], id="query in the acronym"),
        pytest.param({"query": "%"}, ["100% _Literal_ Org"], id="percent sign is literal"),
        pytest.param({"query": "g__gle"}, [], id="underscore is no wildcard"),
        pytest.param({"query": "' OR 1=1 --"}, [], id="SQL is just text"),
        pytest.param({"query": "\x00"}, [], id="NUL in the query matches nothing"),
        pytest.param(
            {"stakeholderTypes": ["IND-PLAT"], "countries": ["US"], "statuses": ["MEMBER"]}, ["Google"], id="filters combine"
        ),
    ],
)
def test_each_filter(client, registry, filter, expected) -> None:  # noqa: ANN001, A002
    assert _names(client, registry, None, filter) == expected


def test_the_secretariat_filters_every_status(client, make, registry) -> None:  # noqa: ANN001
    token = lab_admin_token(make)
    assert _names(client, registry, token, {"statuses": ["PENDING", "SUSPENDED"]}) == ["Pending NGO", "Suspended Platform"]


def test_a_pending_organisation_sees_itself(client, make, registry) -> None:  # noqa: ANN001
    token = make.token(registry["Pending NGO"])
    assert _names(client, registry, token, {"statuses": ["PENDING"]}) == ["Pending NGO"]
    assert _names(client, registry, token, {"countries": ["FR"]}) == ["Pending NGO", "Point de Contact"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        pytest.param(None, ADMITTED, id="default: by name"),
        pytest.param("NAME_ASC", ADMITTED, id="by name"),
        pytest.param("UPDATED_AT_DESC", [n for n in REGISTRY if n in ADMITTED], id="last updated first"),
    ],
)
def test_each_ordering(client, registry, order_by, expected) -> None:  # noqa: ANN001
    assert _names(client, registry, None, order_by=order_by) == expected


PAGED = 23


@pytest.fixture
def many(make, db) -> list:  # noqa: ANN001
    """23 admitted organisations whose names and update times tie in groups."""
    return [
        set_columns(
            db,
            make.organisation(f"org-{i:02d}", stakeholder_type="HOTLINE" if i % 3 else "NGO"),
            name=f"Shared name {i % 4}",
            updated_at=BASE + timedelta(minutes=i % 3),
        )
        for i in range(PAGED)
    ]


def _expected(rows: list, order_by: str) -> list[int]:
    if order_by == "NAME_ASC":
        return [r.id for r in sorted(rows, key=lambda r: (r.name, r.id))]
    return [r.id for r in sorted(rows, key=lambda r: (r.updated_at, r.id), reverse=True)]


@pytest.mark.parametrize("order_by", ["NAME_ASC", "UPDATED_AT_DESC"])
@pytest.mark.parametrize("page_size", [1, 4, 23])
def test_walking_every_page_returns_each_organisation_once(client, many, order_by, page_size) -> None:  # noqa: ANN001
    pages = connection_pages(client, "organisations", order_by=order_by, first=page_size)
    ids = node_ids(pages)
    assert ids == _expected(many, order_by)
    assert len(ids) == len(set(ids)) == PAGED
    assert {page["totalCount"] for page in pages} == {PAGED}
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True] * (len(pages) - 1) + [False]


def test_walking_a_filtered_list(client, many) -> None:  # noqa: ANN001
    pages = connection_pages(client, "organisations", filter={"stakeholderTypes": ["NGO"]}, first=3)
    expected = _expected([r for i, r in enumerate(many) if i % 3 == 0], "NAME_ASC")
    assert node_ids(pages) == expected
    assert {page["totalCount"] for page in pages} == {len(expected)}


@pytest.mark.parametrize(("slug", "expected"), [("iwf", "Internet Watch Foundation"), ("iwf\x00", None), ("\x00", None)])
def test_organisation_by_slug_takes_any_text(client, registry, slug, expected) -> None:  # noqa: ANN001
    body = graphql(client, "query($slug: String!) { organisation(slug: $slug) { name } }", {"slug": slug})
    assert "errors" not in body, body
    assert (body["data"]["organisation"] or {}).get("name") == expected
