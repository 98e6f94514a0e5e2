"""`searchToken`: a Meilisearch tenant token carrying the caller's access filter. Signed locally
(no Meilisearch server is contacted, none runs here); the claims follow Meilisearch's tenant-token
reference: `apiKeyUid`, `searchRules` per index with a `filter`, `exp`."""

import time

from joserfc import jwt
from joserfc.jwk import OctKey

from api.auth.principal import Role
from api.main import create_app
from api.core.settings import Settings
from fastapi.testclient import TestClient
from tests.factories import graphql

SEARCH_TOKEN = "mutation { searchToken { token url indexUid evidenceIndexUid bestPracticesIndexUid expiresAt } }"
KEY = "a-search-key-of-the-lab-0123456789abcdef"
KEY_UID = "5e3c1b0c-0000-4000-8000-000000000001"


def _meilisearch_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "meilisearch_url": "http://127.0.0.1:9",  # never contacted: indexing is switched off below
            "meilisearch_search_key": KEY,
            "meilisearch_search_key_uid": KEY_UID,
            "search_indexer_in_process": False,
        }
    )


def test_the_token_searches_only_what_the_caller_may_see(settings, make) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    ana = make.member(organisation, "ana@example.org", Role.VIEWER)
    token = make.token(organisation, "initiatives:read", user=ana)
    with TestClient(create_app(_meilisearch_settings(settings))) as client:
        answer = graphql(client, SEARCH_TOKEN, token=token)["data"]["searchToken"]
    assert answer["url"] == "http://127.0.0.1:9" and answer["indexUid"] == "initiatives"
    claims = jwt.decode(answer["token"], OctKey.import_key(KEY), algorithms=["HS256"]).claims
    assert claims["apiKeyUid"] == KEY_UID
    assert (answer["evidenceIndexUid"], answer["bestPracticesIndexUid"]) == ("initiatives-evidence", "initiatives-best-practices")
    rules = claims["searchRules"]
    assert set(rules) == {"initiatives", "initiatives-evidence", "initiatives-best-practices"}  # no other index
    assert rules["initiatives"] == {
        "filter": f"((lead_listed = true) OR (lead_organisation = {organisation.id})) AND "
        f'((visibility = "PUBLIC") OR (visibility = "MEMBERS") OR (owners = {organisation.id}))'
    }
    # Each record index carries its own access filter (api/search/record_access.py), as the API applies it.
    assert all(rules[uid]["filter"] for uid in ("initiatives-evidence", "initiatives-best-practices"))
    assert f"owners = {organisation.id}" in rules["initiatives-best-practices"]["filter"]
    assert "assessor_listed = true" in rules["initiatives-evidence"]["filter"]
    assert 0 < claims["exp"] - time.time() <= settings.search_token_seconds


def test_without_meilisearch_or_without_a_token_there_is_no_search_token(settings, make, client) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    token = make.token(organisation, "initiatives:read")
    unavailable = graphql(client, SEARCH_TOKEN, token=token)
    assert unavailable["errors"][0]["extensions"]["code"] == "SEARCH_TOKEN_UNAVAILABLE"
    with TestClient(create_app(_meilisearch_settings(settings))) as meili:
        anonymous = graphql(meili, SEARCH_TOKEN)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
