"""The rules of the operators' view, called directly: label values, readings that fail or overrun,
and the settings' defaults for metrics and tracing. Through a real server: test_metrics.py,
test_metrics_workers.py and test_tracing.py."""

import asyncio
import os
import time

import pytest
from prometheus_client.core import GaugeMetricFamily

from api.core import metrics
from api.core.metrics import (
    Reading,
    matchable_routes,
    method_label,
    operation_label,
    prepare_multiprocess_directory,
    route_label,
    take_readings,
)
from api.core.settings import Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY
from api.graphql.operation_metrics import code_label
from api.main import create_app


@pytest.mark.parametrize(
    ("name", "label"),
    [
        (None, "anonymous"),
        ("", "anonymous"),
        ("ListOrganisations", "ListOrganisations"),
        ("_private2", "_private2"),
        ("A" * 64, "A" * 64),
        ("A" * 65, "invalid"),
        ("2fast", "invalid"),
        ("drop table", "invalid"),
        ("Név", "invalid"),
    ],
)
def test_operation_names_become_bounded_labels(name: str | None, label: str) -> None:
    assert operation_label(name) == label


def test_past_the_limit_new_operation_names_are_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_operation_names", {"Known"})
    monkeypatch.setattr(metrics, "MAX_OPERATION_NAMES", 2)
    assert operation_label("Second") == "Second"
    assert operation_label("Third") == "other"
    assert operation_label("Known") == "Known" and operation_label("Second") == "Second"


def test_codes_and_methods_outside_the_known_shapes_are_grouped() -> None:
    assert code_label("BAD_USER_INPUT") == "BAD_USER_INPUT"
    assert code_label("not a code") == "OTHER"
    assert method_label("POST") == "POST"
    assert method_label("PROPFIND") == "OTHER"


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_routes_are_labelled_by_template(tmp_path) -> None:  # noqa: ANN001
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    routes = matchable_routes(app.routes)
    assert route_label(routes, _scope("POST", "/graphql")) == "/graphql"
    assert route_label(routes, _scope("GET", "/exports/initiatives-12345.csv")) == "/exports/{name}"
    assert route_label(routes, _scope("DELETE", "/graphql")) == "/graphql"  # 405: the path's template still
    assert route_label(routes, _scope("GET", "/no/such/4711")) == "unmatched"


async def _quick(state: object) -> list:
    return [GaugeMetricFamily("quick", "A reading that answers.", value=1)]


async def _failing(state: object) -> list:
    raise ConnectionError("the engine is down")


async def _slow(state: object) -> list:
    await asyncio.sleep(5)
    return [GaugeMetricFamily("slow", "A reading that overruns.", value=1)]


def test_readings_that_fail_or_overrun_are_reported_down_and_do_not_hold_the_scrape() -> None:
    readings = [Reading("quick", _quick), Reading("failing", _failing), Reading("slow", _slow)]

    async def scrape() -> tuple[list, float]:
        started = time.monotonic()
        families = await take_readings(object(), readings, timeout=0.2)
        return families, time.monotonic() - started

    families, took = asyncio.run(scrape())
    assert took < 4, "the scrape waited for the slow reading"
    by_name = {family.name: family for family in families}
    assert set(by_name) == {"coplab_metrics_reading_up", "quick"}
    up = {sample.labels["reading"]: sample.value for sample in by_name["coplab_metrics_reading_up"].samples}
    assert up == {"quick": 1, "failing": 0, "slow": 0}


def test_metrics_are_on_by_default_except_in_production_without_a_token() -> None:
    assert Settings(environment="test").metrics_enabled is True
    production = {"environment": "production", "issuer": "https://coplab.example", "key_encryption_keys": [TEST_KEY_ENCRYPTION_KEY]}
    assert Settings(**production).metrics_enabled is False
    assert Settings(**production, metrics_token="secret").metrics_enabled is True
    assert Settings(**production, metrics_enabled=True).metrics_enabled is True  # the operator's explicit choice


def test_tracing_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("COPLAB_TRACING", raising=False)
    assert Settings(environment="test").tracing == "off"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert Settings(environment="test").tracing == "otlp"
    assert Settings(environment="test", tracing="off").tracing == "off"
    with pytest.raises(ValueError, match="COPLAB_TRACING"):
        Settings(environment="test", tracing="jaeger")
    with pytest.raises(ValueError, match="COPLAB_TRACING_FILE"):
        Settings(environment="test", tracing="file")


def test_the_multiprocess_directory_starts_empty(tmp_path) -> None:  # noqa: ANN001
    given = tmp_path / "prometheus"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"an earlier run")
    (given / "README").write_text("kept")
    assert prepare_multiprocess_directory(str(given)) == str(given)
    assert sorted(p.name for p in given.iterdir()) == ["README"]
    fresh = prepare_multiprocess_directory(None)
    assert os.path.isdir(fresh) and not os.listdir(fresh)
    os.rmdir(fresh)
