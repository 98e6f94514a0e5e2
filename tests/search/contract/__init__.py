"""The search contract: what every `SearchBackend` engine must do, whichever engine it is.

The suite is written from the specification (api/search/backend.py, filters.py, schema.py,
access.py and Meilisearch's documented behaviour), never from an engine's code, so the embedded
engine and the Meilisearch adapter are held to the same answers: ranking by matched words, then
typos, then attribute priority; Meilisearch's typo rules; prefix matching on the last word; case
and diacritics ignored; filters; facet counts over every match; exact totals and pages; sorting;
highlighting and cropping; replace-on-write, delete and rebuild; and the access filter applied to
hits, totals and facet counts alike.

Every test runs once per engine through the `engine` fixture (conftest.py):

- `embedded` always (in memory, no server);
- `meilisearch` on the live server of the `meilisearch_server` fixture (tests/meilisearch_server.py:
  the server `COPLAB_TEST_MEILISEARCH_URL` names, or one started from a `meilisearch` binary on
  PATH), otherwise reported as skipped with the reason. Each test gets an index of its own (uid
  `coplab_contract_<random>`), deleted afterwards, together with any index whose uid starts with
  it (the rebuild's shadow index).

Run against one engine only with `-k embedded` or `-k meilisearch`.
"""
