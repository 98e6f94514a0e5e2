"""The helpers of the organisation and glossary pages (api/portal/rendering), directly: an
organisation's initiatives split by its part in them, and which term attributes a page shows.
Through the pages: test_reference_pages_in_the_browser.py."""

from api.portal.rendering import cross_references, glossary_anchor, initiatives_of


def test_an_organisations_initiatives_are_split_into_those_it_leads_and_the_others_by_title() -> None:
    def node(title: str, lead: str | None) -> dict:
        return {"title": title, "leadOrganisation": {"slug": lead} if lead else None}

    organisation = {"slug": "iwf", "initiatives": {"edges": [
        {"node": node("zeta reports", "iwf")}, {"node": node("Alpha hotline", "inhope")},
        {"node": node("beta portal", "iwf")}, {"node": node("Gamma, no lead", None)},
    ]}}
    leads, others = initiatives_of(organisation)
    assert [n["title"] for n in leads] == ["beta portal", "zeta reports"]
    assert [n["title"] for n in others] == ["Alpha hotline", "Gamma, no lead"]


def test_only_attributes_that_read_as_a_word_or_a_number_are_shown() -> None:
    attributes = {"mnr": "MNR-12", "sms": 3, "rise": True, "domain": {"machine": 1}, "iati": "11220"}
    assert cross_references(attributes) == [("iati", "11220"), ("mnr", "MNR-12"), ("sms", "3")]
    assert glossary_anchor("harm", "CSAM-KNOWN") == "harm-CSAM-KNOWN"
