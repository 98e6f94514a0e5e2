"""Inter-reviewer agreement per pair of reviewers, over every round both coded (the secretariat's view of
how consistently the Lab's reviewers apply the coding rules)."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.organisations.models import User
from api.reviews import comparison, kinds
from api.reviews.models import ReviewAssignment, Revision


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
    statement = (
        select(ReviewAssignment, Revision.record_type)
        .join(Revision, Revision.id == ReviewAssignment.revision_id)
        .where(col(ReviewAssignment.submitted_at).is_not(None), ReviewAssignment.position <= 2)
    )
    rounds: dict[tuple[int, int], list[tuple[ReviewAssignment, str]]] = {}
    for row, record_type in (await session.exec(statement.order_by(ReviewAssignment.position))).all():
        rounds.setdefault((row.revision_id, row.round), []).append((row, record_type))
    pairs: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for reviews in rounds.values():
        if len(reviews) == 2:
            (first, record_type), (second, _) = reviews
            key = tuple(sorted((first.user_id, second.user_id)))
            fields_of = kinds.of(record_type).fields_of
            pairs.setdefault(key, []).append(comparison.agreement(fields_of, [(first.coding, second.coding)]))
    names = dict((await session.exec(select(User.id, User.name).where(col(User.id).in_({u for k in pairs for u in k})))).all())
    return [
        PairAgreement((names[a], names[b]), len(rounds_of), sum(r[0] for r in rounds_of), sum(r[1] for r in rounds_of))
        for (a, b), rounds_of in sorted(pairs.items())
    ]
