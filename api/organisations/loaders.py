"""Batch loads for organisations, users, memberships and network memberships."""

from collections.abc import Sequence

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.core.batches import grouped
from api.organisations import service
from api.organisations.models import Membership, NetworkMembership, Organisation, User


async def organisation_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[Organisation | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def user_by_id(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[User | None]:
    return await service.users_by_ids(session=session, ids=keys)


async def members_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[Membership]]:
    rows = (
        await session.exec(
            service.readable_memberships(principal)
            .where(col(Membership.organisation_id).in_(keys))
            .order_by(Membership.id)
        )
    ).all()
    return grouped(keys, rows, lambda row: row.organisation_id)


async def network_membership_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[NetworkMembership | None]:
    return await service.network_memberships_by_ids(session=session, principal=principal, ids=keys)


async def networks_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[NetworkMembership]]:
    """The networks each organisation belongs to (its memberships as the member)."""
    return await service.network_memberships_of(session=session, principal=principal, organisation_ids=keys, side="member")


async def network_members_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[NetworkMembership]]:
    """The members of each network (its memberships as the network)."""
    return await service.network_memberships_of(session=session, principal=principal, organisation_ids=keys, side="network")
