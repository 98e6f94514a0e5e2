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
- `meilisearch` when a server is configured, otherwise reported as skipped:

      COPLAB_TEST_MEILISEARCH_URL=http://127.0.0.1:7700 \\
      COPLAB_TEST_MEILISEARCH_KEY=<a key allowed to create, search and delete indexes> \\
      .venv/bin/pytest tests/search/contract

  (`COPLAB_TEST_MEILISEARCH_KEY` may be left out for a server started without a master key.)
  Each test gets an index of its own (uid `coplab_contract_<random>`), deleted afterwards,
  together with any index whose uid starts with it (the rebuild's shadow index).

Run against one engine only with `-k embedded` or `-k meilisearch`.
"""
