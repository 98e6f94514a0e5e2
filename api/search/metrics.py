"""What /metrics reads of search at scrape time (docs/operations.md, "Metrics"): the outbox's
backlog and the indexer's lag from the database, the document count from the engine."""

import asyncio
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from api.core.db import utcnow
from api.core.metrics import Reading
from api.search.indexer import backlog


async def read_outbox(state: Any) -> list[Metric]:  # noqa: ANN401
    waiting = await backlog(sessions=state.session_factory)
    lag = (utcnow() - waiting.oldest).total_seconds() if waiting.oldest is not None else 0.0
    return [
        GaugeMetricFamily("coplab_search_outbox_backlog", "Search outbox rows waiting to be indexed.", value=waiting.rows),
        GaugeMetricFamily(
            "coplab_search_indexer_lag_seconds",
            "Age of the oldest search outbox row still waiting (0 when none waits).",
            value=max(lag, 0.0),
        ),
    ]


async def read_index(state: Any) -> list[Metric]:  # noqa: ANN401
    stats = await asyncio.to_thread(state.search.stats)
    return [GaugeMetricFamily("coplab_search_documents", "Documents in the search index.", value=stats.documents)]


READINGS = (Reading("search_outbox", read_outbox), Reading("search_index", read_index))
