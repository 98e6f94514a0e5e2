"""Who is calling: anonymous, a user acting for one organisation, or an organisation's client."""

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import strawberry

from api.auth.scopes import Scope


@strawberry.enum(description="A person's role in an organisation, from least to most rights.")
class Role(IntEnum):
    VIEWER = 1
    CONTRIBUTOR = 2
    EDITOR = 3
    ADMIN = 4


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    CLIENT = "client"
    # The Lab's operator at the command line: outside any organisation, and trusted with what the
    # API edge never allows (registering organisations, Lab-wide clients, revoking any client).
    OPERATOR = "operator"


USER_PREFIX = "user:"
CLIENT_PREFIX = "client:"


USER_PREFIX = "user:"
CLIENT_PREFIX = "client:"


@dataclass(frozen=True)
class Principal:
    """The caller of one request, resolved from its bearer token and the current database state."""

    kind: PrincipalKind
    subject: str
    organisation_id: int | None = None
    # Only organisations the Lab has admitted (status MEMBER) see "members" records.
    organisation_is_member: bool = False
    # The Lab's secretariat organisation; `lab:admin` counts only there.
    organisation_is_secretariat: bool = False
    # Users act with their membership role; a machine client acts with the rights its scopes allow.
    role: Role | None = None
    user_id: int | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes

    def reads_with(self, scope: Scope) -> int | None:
        """The organisation whose non-public records this principal may read under `scope`."""
        return self.organisation_id if scope in self.scopes else None

    def has_role(self, minimum: Role) -> bool:
        return self.role is not None and self.role >= minimum

    @property
    def is_lab_admin(self) -> bool:
        return self.organisation_is_secretariat and Scope.LAB_ADMIN in self.scopes

    @property
    def is_operator(self) -> bool:
        return self.kind is PrincipalKind.OPERATOR


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS, subject="anonymous")
# Audit columns and events name the command line as "cli".
OPERATOR = Principal(kind=PrincipalKind.OPERATOR, subject="cli")


def person(user_id: int) -> Principal:
    """A person acting for themselves on coplab's own pages (choosing a password), for no organisation."""
    return Principal(kind=PrincipalKind.USER, subject=f"{USER_PREFIX}{user_id}", user_id=user_id)


_READ = frozenset({Scope.INITIATIVES_READ, Scope.ASSESSMENTS_READ, Scope.PRACTICES_READ, Scope.ORG_READ})
_WRITE = frozenset({Scope.INITIATIVES_WRITE, Scope.ASSESSMENTS_WRITE, Scope.PRACTICES_WRITE})
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: _READ,
    Role.CONTRIBUTOR: _READ | _WRITE,
    Role.EDITOR: _READ | _WRITE,
    Role.ADMIN: _READ | _WRITE | {Scope.ORG_ADMIN, Scope.AUDIT_READ},
}


def scopes_for_role(role: Role, *, secretariat: bool) -> frozenset[Scope]:
    """The scopes a person with `role` may be granted: the ceiling of what a sign-in can give them.
    `lab:admin` only to administrators of the Lab's secretariat."""
    if secretariat and role is Role.ADMIN:
        return ROLE_SCOPES[role] | {Scope.LAB_ADMIN}
    return ROLE_SCOPES[role]
