"""Generated GraphQL operations against a live `coplab serve` process (tests/fuzzing.py): queries
and mutations from the schema, valid and invalid, arguments inline and as variables, without a
token and with an admin's token holding every scope but `lab:admin`. No answer is a 5xx, every
answer is a GraphQL response whose errors all carry a stable code, every `userErrors` entry has a
code and a field path, and the server logs no unexpected exception.

A bounded run with a fixed seed (the same operations every time); tests/perf/fuzz_graphql.py runs
many more (docs/api.md, Fuzzing). Each failure it found is pinned as a plain operation below."""

import pytest

from tests.fuzzing import SUITE_SEED, Fuzzer, arrange, coplab_server, operations, run

EXAMPLES = 120


@pytest.mark.http
@pytest.mark.parametrize("profile", ["anonymous", "writer"])
def test_generated_operations_keep_the_error_contract(make, database_url, tmp_path, profile: str) -> None:  # noqa: ANN001
    registry = arrange(make)
    print(f"fuzzing seed {SUITE_SEED}, {EXAMPLES} operations as {profile}")
    with coplab_server(database_url, make.settings.issuer, tmp_path) as (base_url, output):
        fuzzer = Fuzzer(base_url, output)
        run(fuzzer, registry.profiles[profile], operations(registry), examples=EXAMPLES, seed=SUITE_SEED)
        assert fuzzer.sent >= EXAMPLES
        leftover = output.everything()
    assert "Traceback" not in leftover and "unexpected error" not in leftover, leftover[-3000:]
