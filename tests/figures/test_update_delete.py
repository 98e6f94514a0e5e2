"""Changing and deleting figures: who may (the organisation that recorded a figure: its editors, and the
contributor who made it), and what an update changes (omitted stays, null clears, a list replaces)."""

from datetime import date

import pytest

from api.auth.principal import Role
from tests.factories import gid, graphql
from tests.figures.operations import DELETE, NODE, UPDATE, problems, stored


def _update(client, figure_id: int, token: str, **changes: object) -> dict:  # noqa: ANN001
    return graphql(client, UPDATE, {"input": {"id": gid("Figure", figure_id), **changes}}, token)["data"]["updateFigure"]


def test_omitted_fields_stay_null_clears_and_lists_replace(client, make, db) -> None:
    iwf = make.organisation("iwf")
    ncmec = make.organisation("ncmec")
    first, second = make.initiative(iwf, "First"), make.initiative(iwf, "Second")
    figure = make.figure(iwf, "62% of reported material was hosted in Europe.", value=62, unit="%",
                         denominator="of all reported material", source=ncmec, initiatives=[first],
                         harms=["CSAM-KNOWN"], regions=["EUROPE"], countries=["NL"],
                         provenance=[{"source": "IWF Annual Report 2021"}])
    token = make.token(iwf)

    payload = _update(client, figure.id, token, value=None, denominator=None, sourceOrganisation=None,
                      initiatives=[gid("Initiative", second.id)], harms=["CSAM-NEW", "CSAM-SG"], countries=None)

    assert payload["userErrors"] == []
    shown = payload["figure"]
    assert (shown["statement"], shown["unit"], shown["periodStart"], shown["periodPrecision"]) == (
        "62% of reported material was hosted in Europe.", "%", "2022-01-01", "YEAR")
    assert (shown["value"], shown["denominator"], shown["sourceOrganisation"]) == (None, None, None)
    assert shown["initiatives"] == [{"title": "Second"}]
    assert (shown["harms"], shown["regions"], shown["countries"]) == (
        [{"code": "CSAM-NEW"}, {"code": "CSAM-SG"}], [{"code": "EUROPE"}], [])
    assert shown["provenance"] == [{"source": "IWF Annual Report 2021", "passage": None, "note": None}]
    row, codes, linked = stored(db, figure.id)
    assert (row["value"], row["source_organisation_id"], linked) == (None, None, [second.id])
    assert codes == [("harm", "CSAM-NEW"), ("harm", "CSAM-SG"), ("region", "EUROPE")]


def test_a_new_period_is_checked_with_its_precision(client, make, db) -> None:
    iwf = make.organisation("iwf")
    figure = make.figure(iwf, period=(date(2022, 11, 10), date(2022, 11, 10)), precision="DAY")
    token = make.token(iwf)
    # A coarser precision needs dates that start their month.
    refused = _update(client, figure.id, token, periodPrecision="MONTH")
    assert problems(refused) == [(["input", "periodStart"], "INVALID_VALUE"), (["input", "periodEnd"], "INVALID_VALUE")]
    assert "write 2022-11 as 2022-11-01" in refused["userErrors"][0]["message"]
    changed = _update(client, figure.id, token, periodPrecision="MONTH", periodStart="2020-11-01", periodEnd="2022-11-01")
    assert changed["userErrors"] == []
    assert (changed["figure"]["periodStart"], changed["figure"]["periodEnd"]) == ("2020-11-01", "2022-11-01")


def test_a_link_to_an_initiative_the_editor_cannot_read_stays_when_the_list_is_replaced(client, make, db) -> None:
    iwf = make.organisation("iwf")
    other = make.organisation("other")
    hidden = make.initiative(other, "Made private later", visibility="ORGANISATION")
    mine = make.initiative(iwf, "Mine")
    figure = make.figure(iwf, initiatives=[hidden])

    payload = _update(client, figure.id, make.token(iwf), initiatives=[gid("Initiative", mine.id)])

    assert payload["figure"]["initiatives"] == [{"title": "Mine"}]
    assert stored(db, figure.id)[2] == sorted([hidden.id, mine.id])
    shown_to_other = graphql(client, NODE, {"id": gid("Figure", figure.id)}, make.token(other))["data"]["node"]
    assert sorted(i["title"] for i in shown_to_other["initiatives"]) == ["Made private later", "Mine"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("editor", True), ("contributor who made it", True), ("another contributor", False), ("viewer", False)],
)
def test_within_the_organisation_editors_and_the_contributor_who_made_it_may_change_it(client, make, db, who, allowed) -> None:
    iwf = make.organisation("iwf")
    author = make.member(iwf, "author@iwf.example", Role.CONTRIBUTOR)
    people = {
        "editor": make.member(iwf, "editor@iwf.example", Role.EDITOR),
        "contributor who made it": author,
        "another contributor": make.member(iwf, "colleague@iwf.example", Role.CONTRIBUTOR),
        "viewer": make.member(iwf, "reader@iwf.example", Role.VIEWER),
    }
    figure = make.figure(iwf)
    figure.created_by = f"user:{author.id}"
    db.add(figure)
    db.commit()

    payload = _update(client, figure.id, make.token(iwf, user=people[who]), unit="files")

    assert (payload["userErrors"] == []) is allowed
    if not allowed:
        assert problems(payload) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db, figure.id)[0]["unit"] == ("files" if allowed else "images and videos")


def test_another_organisation_cannot_change_or_delete_a_public_figure(client, make, db) -> None:
    iwf = make.organisation("iwf")
    figure = make.figure(iwf)
    token = make.token(make.organisation("other"))
    changed = _update(client, figure.id, token, unit="files")
    assert changed["userErrors"] == [{"field": ["input", "id"], "code": "FORBIDDEN",
                                      "message": "Only the organisation that recorded it can change this figure."}]
    deleted = graphql(client, DELETE, {"input": {"id": gid("Figure", figure.id)}}, token)["data"]["deleteFigure"]
    assert (deleted["deletedId"], problems(deleted)) == (None, [(["input", "id"], "FORBIDDEN")])
    assert stored(db, figure.id)[0]["deleted_at"] is None


def test_a_figure_of_the_labs_registry_is_changed_by_no_organisation(client, make, db) -> None:
    figure = make.figure(None, "Registry figure")
    payload = _update(client, figure.id, make.token(make.organisation("iwf")), unit="files")
    assert payload["userErrors"] == [{"field": ["input", "id"], "code": "FORBIDDEN",
                                      "message": "This figure belongs to the Lab's registry; no organisation can change it."}]
    assert graphql(client, NODE, {"id": gid("Figure", figure.id)})["data"]["node"]["recordingOrganisation"] is None


def test_deleting_needs_an_editor_and_hides_the_figure(client, make, db) -> None:
    iwf = make.organisation("iwf")
    author = make.member(iwf, "author@iwf.example", Role.CONTRIBUTOR)
    figure = make.figure(iwf)
    figure.created_by = f"user:{author.id}"
    db.add(figure)
    db.commit()
    figure_id = gid("Figure", figure.id)

    refused = graphql(client, DELETE, {"input": {"id": figure_id}}, make.token(iwf, user=author))["data"]["deleteFigure"]
    assert problems(refused) == [(["input", "id"], "FORBIDDEN")]
    editor = make.member(iwf, "editor@iwf.example", Role.EDITOR)
    deleted = graphql(client, DELETE, {"input": {"id": figure_id}}, make.token(iwf, user=editor))["data"]["deleteFigure"]
    assert deleted == {"deletedId": figure_id, "userErrors": []}
    assert stored(db, figure.id)[0]["deleted_at"] is not None
    assert graphql(client, NODE, {"id": figure_id}, make.token(iwf))["data"]["node"] is None
