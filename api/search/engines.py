"""Which search engine this process uses: Meilisearch when `COPLAB_MEILISEARCH_URL` is set, the
embedded engine otherwise."""

from api.search.backend import SearchBackend
from api.core.settings import Settings


def create_backend(settings: Settings) -> SearchBackend:
    if settings.meilisearch_url:
        from api.search.meilisearch_backend import MeilisearchBackend

        return MeilisearchBackend(
            settings.meilisearch_url, settings.meilisearch_api_key, index_uid=settings.search_index_uid
        )
    from api.search.embedded import EmbeddedBackend

    return EmbeddedBackend(built=False)  # the process's indexer builds it from the database
