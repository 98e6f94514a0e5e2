"""`PublicExport`, behind `/exports/`: requests arriving together share one writing of the export, and older
exports are removed once replaced (test_http.py serves it over HTTP)."""

import asyncio

from api.exports.routes import PublicExport
from tests.exports.registry import build

NEVER_STALE = 10**9


def test_requests_arriving_together_share_one_writing(engine, make, db) -> None:  # noqa: ANN001
    build(make, db)
    exports = PublicExport(max_age_seconds=NEVER_STALE)

    async def together() -> list:
        return await asyncio.gather(*(exports.current(engine) for _ in range(5)))

    generations = asyncio.run(together())
    assert all(generation is generations[0] for generation in generations)
    assert [p.name for p in generations[0].directory.parent.iterdir()] == ["1"]


def test_older_exports_are_removed_once_replaced(engine, make, db) -> None:  # noqa: ANN001
    build(make, db)
    exports = PublicExport(max_age_seconds=0)

    async def four_times() -> list:
        return [await exports.current(engine) for _ in range(4)]

    generations = asyncio.run(four_times())
    root = generations[0].directory.parent
    # The newest, and the one before it (a download may still be reading it).
    assert sorted(p.name for p in root.iterdir()) == ["3", "4"]
    # Nothing changed in between: the same data files (the manifest tells when each was written).
    assert {**generations[-1].etags, "manifest.json": ""} == {**generations[0].etags, "manifest.json": ""}
