"""What /metrics reads of search at scrape time (docs/operations.md, "Metrics"): the outbox's
backlog and the indexer's lag from the database, the document count from the engine."""

import asyncio
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from api.core.metrics import Reading
from api.search.changes import Position
from api.search.indexer import backlog


async def read_outbox(state: Any) -> list[Metric]:  # noqa: ANN401
    # With the embedded engine this process's own index; otherwise the shared one, whoever indexes it.
    own = state.search.name == "embedded"
    position = (state.search_progress.position or Position()) if own else None
    waiting = await backlog(sessions=state.session_factory, position=position)
    return [
        GaugeMetricFamily("coplab_search_outbox_backlog", "Search changes waiting to be applied to the index.", value=waiting.rows),
        GaugeMetricFamily(
            "coplab_search_indexer_lag_seconds",
            "How long the oldest change not yet applied to the index has waited (0 when none waits).",
            value=waiting.oldest_seconds or 0.0,
        ),
    ]


async def read_index(state: Any) -> list[Metric]:  # noqa: ANN401
    stats = await asyncio.to_thread(state.search.stats)
    return [GaugeMetricFamily("coplab_search_documents", "Documents in the search index.", value=stats.documents)]


READINGS = (Reading("search_outbox", read_outbox), Reading("search_index", read_index))
