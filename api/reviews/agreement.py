"""Inter-reviewer agreement per pair of reviewers, over every round both coded (the secretariat's view of
how consistently the Lab's reviewers apply the coding rules)."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.organisations.models import User
from api.reviews import coding
from api.reviews.models import ReviewAssignment


@dataclass
class PairAgreement:
    reviewers: tuple[str, str]
    rounds: int
    agreed: int
    compared: int


async def by_pair(*, session: AsyncSession, principal: Principal) -> list[PairAgreement]:
    """Every pair of reviewers who coded the same round, with their agreement; nothing for anyone but the
    secretariat. Reads the codings of submitted reviews (one row per review, never per field)."""
    if not principal.is_lab_admin:
        return []
    statement = select(ReviewAssignment).where(
        col(ReviewAssignment.submitted_at).is_not(None), ReviewAssignment.position <= 2
    )
    rounds: dict[tuple[int, int], list[ReviewAssignment]] = {}
    for row in (await session.exec(statement.order_by(ReviewAssignment.position))).all():
        rounds.setdefault((row.revision_id, row.round), []).append(row)
    pairs: dict[tuple[int, int], list[tuple[dict, dict]]] = {}
    for reviews in rounds.values():
        if len(reviews) == 2:
            key = tuple(sorted(r.user_id for r in reviews))
            pairs.setdefault(key, []).append((reviews[0].coding, reviews[1].coding))
    names = dict((await session.exec(select(User.id, User.name).where(col(User.id).in_({u for k in pairs for u in k})))).all())
    result = []
    for (first, second), codings in sorted(pairs.items()):
        agreed, compared = coding.agreement(codings)
        result.append(PairAgreement((names[first], names[second]), len(codings), agreed, compared))
    return result
