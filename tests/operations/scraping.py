"""Reading /metrics as Prometheus does: every sample by its name and labels."""

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.server import HTTP_TIMEOUT

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str, *, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{base_url}/metrics", headers=headers, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for one not (yet) exposed, as a counter that never counted."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def label_values(samples: Samples) -> set[str]:
    return {value for _, labels in samples for _, value in labels}
