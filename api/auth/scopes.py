"""The OAuth scopes coplab understands: `<domain>:<action>` strings."""

from enum import StrEnum


class Scope(StrEnum):
    INITIATIVES_READ = "initiatives:read"
    INITIATIVES_WRITE = "initiatives:write"
    ASSESSMENTS_READ = "assessments:read"
    ASSESSMENTS_WRITE = "assessments:write"
    PRACTICES_READ = "practices:read"
    PRACTICES_WRITE = "practices:write"
    ORG_READ = "org:read"
    ORG_ADMIN = "org:admin"
    AUDIT_READ = "audit:read"
    LAB_ADMIN = "lab:admin"


ALL_SCOPES = frozenset(Scope)


def parse_scopes(value: str) -> frozenset[Scope]:
    """Known scopes in a space-separated `scope` claim; unknown ones are ignored."""
    known = {s.value for s in Scope}
    return frozenset(Scope(s) for s in value.split() if s in known)
