"""The access filter: what a caller may see, as a filter every engine applies inside the search, so
hits, totals and facet counts are all computed over visible initiatives only.

It is the search-document form of `initiatives.service.visible_condition`, and the search tests
check the two agree: public to everyone; members-only to admitted members; organisation-only to the
lead and partners; beyond public only with `initiatives:read`; and an initiative whose lead
organisation is not listed (pending or suspended) only to that organisation and the secretariat.
"""

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.search.filters import EVERYTHING, Equals, Filter, all_of, any_of
from api.core.visibility import Visibility


def access_filter(principal: Principal) -> Filter:
    own = principal.organisation_id
    lead_readable = (
        EVERYTHING
        if principal.is_lab_admin
        else any_of(Equals("lead_listed", True), *([Equals("lead_organisation", own)] if own is not None else []))
    )
    reads = principal.reads_with(Scope.INITIATIVES_READ)
    visible = [Equals("visibility", Visibility.PUBLIC.value)]
    if reads is not None:
        if principal.organisation_is_member:
            visible.append(Equals("visibility", Visibility.MEMBERS.value))
        visible.append(Equals("owners", reads))
    return all_of(lead_readable, any_of(*visible))
