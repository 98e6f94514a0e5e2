"""The access filters of the evidence and best-practice indexes: each domain's `readable` rule in the
search-document form, inside every engine query, so hits, totals and facet counts cover only what the
caller may read (tests/search/test_record_access.py checks them against the database's rule).

An evidence assessment is readable when its initiative is (`initiatives.service.visible_condition`),
its assessing organisation and its study's organisation are readable (`organisations.readable`), its
study is visible to the caller, and it is itself (api/evidence/visibility.py). A best practice, when its
organisation is readable and it is visible itself (api/practices/service.py).
"""

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core.visibility import Visibility
from api.search.filters import EVERYTHING, Equals, Filter, all_of, any_of


def _organisation_readable(principal: Principal, listed: str, organisation: str) -> Filter:
    """`organisations.readable`: listed ones, the caller's own, every one for the secretariat."""
    if principal.is_lab_admin:
        return EVERYTHING
    own = principal.organisation_id
    return any_of(Equals(listed, True), *([Equals(organisation, own)] if own is not None else []))


def _visible(principal: Principal, scope: Scope, visibility: str, owners: str) -> Filter:
    """`core.visibility.visible_to` over a document's visibility and owning organisations."""
    visible: list[Filter] = [Equals(visibility, Visibility.PUBLIC.value)]
    reads = principal.reads_with(scope)
    if reads is not None:
        if principal.organisation_is_member:
            visible.append(Equals(visibility, Visibility.MEMBERS.value))
        visible.append(Equals(owners, reads))
    return any_of(*visible)


def evidence_access_filter(principal: Principal) -> Filter:
    return all_of(
        _organisation_readable(principal, "initiative_lead_listed", "initiative_lead"),
        _visible(principal, Scope.INITIATIVES_READ, "initiative_visibility", "initiative_owners"),
        _organisation_readable(principal, "assessor_listed", "assessor"),
        _organisation_readable(principal, "study_organisation_listed", "study_organisation"),
        _visible(principal, Scope.ASSESSMENTS_READ, "study_visibility", "study_owners"),
        _visible(principal, Scope.ASSESSMENTS_READ, "visibility", "owners"),
    )


def practice_access_filter(principal: Principal) -> Filter:
    return all_of(
        _organisation_readable(principal, "organisation_listed", "owners"),
        _visible(principal, Scope.PRACTICES_READ, "visibility", "owners"),
    )
