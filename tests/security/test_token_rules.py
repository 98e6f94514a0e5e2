"""Why a token is refused: each reason has a description of its own (test_tokens.py sends such tokens)."""

from api.auth.tokens import TokenProblem


def test_each_reason_has_its_own_description() -> None:
    descriptions = [problem.description for problem in TokenProblem]
    assert len(set(descriptions)) == len(descriptions)
